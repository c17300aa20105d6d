"""Compiles `order_by: [PostOrder!]` into ORM ordering with a primary-key tiebreak.

Ordering through a to-one relation whose rows the policy restricts uses a correlated
subquery over the visible rows, so the order never reveals values of a hidden row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, OuterRef, Subquery

from django_graphql_auto.execution.errors import bad_input
from django_graphql_auto.permissions import VIEW
from django_graphql_auto.schema.metadata import ModelSchema

_DIRECTIONS = {
    "ASC": ("asc", None),
    "DESC": ("desc", None),
    "ASC_NULLS_FIRST": ("asc", "first"),
    "ASC_NULLS_LAST": ("asc", "last"),
    "DESC_NULLS_FIRST": ("desc", "first"),
    "DESC_NULLS_LAST": ("desc", "last"),
}


def _single_key(item: dict[str, Any], where: str, argument: str) -> tuple[str, Any]:
    keys = [k for k, v in item.items() if v is not None]
    if len(keys) != 1:
        raise bad_input(
            f"Each {argument} item takes exactly one field (at {where}); "
            "use several items to order by several fields.",
            argument,
        )
    return keys[0], item[keys[0]]


def _expression(ctx: Any, ms: ModelSchema, item: dict, where: str, argument: str):
    key, value = _single_key(item, where, argument)
    if key == ms.id_name:
        return F("pk"), value
    if key in ms.scalars:
        field = ms.scalars[key]
        ctx.require_field(ms.model, field.name, "order by")
        return F(field.name), value
    relation = ms.relations[key]
    ctx.require_field(ms.model, relation.name, "order by")
    ctx.require_relation(relation)
    target = ctx.bundle.models[relation.target]
    inner, direction = _expression(ctx, target, value, f"{where}.{key}", argument)
    info = relation.info
    if ctx.joinable(relation.target) and isinstance(inner, F):
        return F(f"{info.name}__{inner.name}"), direction
    if info.forward:
        rows = ctx.visible(relation.target).filter(**{info.target_field: OuterRef(info.attname)})
    else:
        parent = OuterRef(info.parent_key)
        rows = ctx.visible(relation.target).filter(**{info.remote_name: parent})
    return Subquery(rows.order_by().annotate(gqa_order=inner).values("gqa_order")[:1]), direction


def _default_ordering(ctx: Any, ms: ModelSchema) -> tuple[str, ...]:
    """The model's Meta.ordering, less the entries that would sort by something the caller may
    not read: the order of the rows would reveal how the hidden values compare."""
    return tuple(e for e in ms.info.default_ordering if _may_sort_by(ctx, ms, e))


def _may_sort_by(ctx: Any, ms: ModelSchema, entry: str) -> bool:
    """Every step of a Meta.ordering path (`-author__email`) is readable: each exposed field
    on the way, each relation's target model, whose rows no rule restricts (Django joins them
    as they are). A name the schema does not expose is the model's own choice and is kept."""
    for part in entry.lstrip("-").split("__"):
        readable = ctx.readable(ms.model)
        if readable is not None and part in ms.field_names() and part not in readable:
            return False
        relation = next((r for r in ms.relations.values() if r.name == part), None)
        if relation is None:
            return True
        target = ctx.bundle.models.get(relation.target)
        if target is None or not ctx.allows(relation.target, VIEW):
            return False
        if not ctx.joinable(relation.target):
            return False
        ms = target
    return True


def compile_ordering(
    ctx: Any, ms: ModelSchema, items: list[dict] | None, argument: str = "order_by"
) -> list[Any]:
    """Explicit items (or the model's Meta.ordering), then the primary key."""
    result: list[Any] = []
    for index, item in enumerate(items or ()):
        expression, direction = _expression(ctx, ms, item, f"{argument}.{index}", argument)
        method, nulls = _DIRECTIONS[direction]
        kwargs = {"nulls_first": True} if nulls == "first" else {}
        if nulls == "last":
            kwargs = {"nulls_last": True}
        result.append(getattr(expression, method)(**kwargs))
    if not items:
        result.extend(_default_ordering(ctx, ms))
    result.append(F("pk").asc())
    return result
