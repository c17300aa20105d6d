"""What every limit rule shares: a bound maximum and one error shape.

Validation rules are classes that graphql-core instantiates with a context only, so a rule cannot
take its maximum as an argument: `LimitRule.bound()` makes a subclass that carries it. Schemas are
built once and their rule lists cached, so that is a handful of classes per schema, not per
request.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

from graphql import GraphQLError, Node
from graphql.validation import ValidationRule

from django_graphql_auto.execution.errors import QUERY_TOO_COMPLEX

#: How many selection sets deep (fields and fragment spreads together) the analysis walks. The
#: parser stops documents far below Python's recursion limit, but a chain of fragment spreads is
#: not nested text, so without a bound it could reach that limit; anything this deep is refused
#: by the depth rule long before the bound matters.
MAX_NESTING = 200


class TooDeep(Exception):
    """The selections nest deeper than MAX_NESTING: the walk stops and the document is refused."""


def limit_error(
    message: str,
    setting: str,
    maximum: int,
    actual: int,
    nodes: Node | Collection[Node] | None = None,
) -> GraphQLError:
    """A QUERY_TOO_COMPLEX error that names the setting, its maximum and what was measured.

    The numbers are in `extensions` too, so a client can adjust without parsing the message.
    """
    return GraphQLError(
        message,
        nodes,
        extensions={
            "code": QUERY_TOO_COMPLEX,
            "limit": setting,
            "maximum": maximum,
            "actual": actual,
        },
    )


def number(value: int) -> str:
    """10000 -> "10,000": limits and measurements are read by people first."""
    return f"{value:,}"


class LimitRule(ValidationRule):
    """A validation rule enforcing one configurable maximum."""

    setting: ClassVar[str] = ""
    maximum: ClassVar[int] = 0

    @classmethod
    def bound(cls, maximum: int, **attributes: Any) -> type[LimitRule]:
        """A subclass of this rule enforcing `maximum` (and carrying any other class data)."""
        return type(cls.__name__, (cls,), {"maximum": maximum, **attributes})
