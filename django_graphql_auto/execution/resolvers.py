"""Root field resolvers: the glue between graphql-core and the planner."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from django_graphql_auto.execution.errors import bad_input
from django_graphql_auto.execution.planner import Planner
from django_graphql_auto.execution.selection import field_selection
from django_graphql_auto.permissions import VIEW
from django_graphql_auto.schema.metadata import ModelSchema


def single_resolver(ms: ModelSchema):
    def resolve_single(root: Any, info: Any, **arguments: Any) -> Any:
        ctx = info.context
        ctx.require(ms.model, VIEW)
        raw = arguments[ms.id_name]
        try:
            pk = ms.model._meta.pk.to_python(raw)
        except ValidationError:
            raise bad_input(f"'{raw}' is not a valid {ms.type_name} id.", ms.id_name) from None
        return Planner(ctx).single(ms, pk, field_selection(info, arguments))

    return resolve_single


def list_resolver(ms: ModelSchema):
    def resolve_list(root: Any, info: Any, **arguments: Any) -> list[Any]:
        ctx = info.context
        ctx.require(ms.model, VIEW)
        return Planner(ctx).many(ms, field_selection(info, arguments))

    return resolve_list


def pages_resolver(ms: ModelSchema):
    def resolve_pages(root: Any, info: Any, **arguments: Any) -> dict[str, Any]:
        ctx = info.context
        ctx.require(ms.model, VIEW)
        return Planner(ctx).page(ms, field_selection(info, arguments))

    return resolve_pages
