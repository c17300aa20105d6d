"""Python type hints -> GraphQL types, for method mutations and computed fields.

Only what maps exactly is accepted: scalars, lists of them, `X | None`, and exposed models.
Anything else fails the build with the method named, rather than guessing a type.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
)

from django_graphql_auto.schema import scalars

PLAIN_TYPES = {
    int: GraphQLInt,
    str: GraphQLString,
    bool: GraphQLBoolean,
    float: GraphQLFloat,
    Decimal: scalars.DecimalScalar,
    dt.datetime: scalars.DateTime,
    dt.date: scalars.Date,
    dt.time: scalars.Time,
    dt.timedelta: scalars.Duration,
    uuid.UUID: scalars.UUID,
    dict: scalars.JSON,
    typing.Any: scalars.JSON,
}


class NotExposed(ImproperlyConfigured):
    """A method mentions a model this schema does not expose: the method is left out."""


@dataclass(frozen=True)
class Hint:
    """A type hint reduced to what we map: base type, list-ness, optionality."""

    base: Any
    many: bool
    optional: bool


def reduce_hint(hint: Any, where: str) -> Hint:
    optional = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(parts) != len(typing.get_args(hint))
        if len(parts) != 1:
            raise ImproperlyConfigured(f"{where}: unions other than X | None are not supported.")
        hint, origin = parts[0], typing.get_origin(parts[0])
    if origin in (list, tuple, typing.Sequence) or hint in (list, tuple):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        if len(args) != 1:
            raise ImproperlyConfigured(f"{where}: annotate lists with their item type.")
        return Hint(args[0], True, optional)
    return Hint(hint, False, optional)


def is_model(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, models.Model)


def graphql_type(hint: Hint, bundle: Any, where: str, *, output: bool) -> Any:
    if is_model(hint.base):
        target = bundle.models.get(hint.base)
        if target is None:
            raise NotExposed(f"{where}: {hint.base._meta.label} is not exposed.")
        base = target.object_type if output else GraphQLID
    elif hint.base in PLAIN_TYPES:
        base = PLAIN_TYPES[hint.base]
    else:
        raise ImproperlyConfigured(f"{where}: no GraphQL type for {hint.base!r}.")
    gtype = GraphQLList(GraphQLNonNull(base)) if hint.many else base
    return gtype if hint.optional else GraphQLNonNull(gtype)
