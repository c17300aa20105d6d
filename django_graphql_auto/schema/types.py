"""Object types, enums and page types for exposed models.

Field resolvers here only read what the planner already loaded (columns, select_related
objects, prefetched lists, annotations); they never run SQL of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal, DefaultContext, InvalidOperation
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from django_graphql_auto.execution.paths import response_keys, slot_name
from django_graphql_auto.naming import NameCase, enum_value_names
from django_graphql_auto.schema import scalars
from django_graphql_auto.schema.annotations import graphql_type, reduce_hint
from django_graphql_auto.schema.metadata import (
    ComputedField,
    ModelSchema,
    RelationField,
    ScalarField,
    enum_type_name,
)

SCALAR_TYPES = {
    "string": GraphQLString,
    "int": GraphQLInt,
    "bigint": scalars.BigInt,
    "float": GraphQLFloat,
    "decimal": scalars.DecimalScalar,
    "boolean": GraphQLBoolean,
    "date": scalars.Date,
    "datetime": scalars.DateTime,
    "time": scalars.Time,
    "duration": scalars.Duration,
    "uuid": scalars.UUID,
    "json": scalars.JSON,
    "file": GraphQLString,
}

_MISSING = object()


def build_enum(ms: ModelSchema, field: ScalarField) -> GraphQLEnumType:
    """SPEC §10 value names; a clash after normalising gets a numeric suffix, never a drop."""
    choices = field.info.choices or ()
    names = enum_value_names(value for value, _label in choices)
    values = {
        name: GraphQLEnumValue(value, description=label or None)
        for name, (value, label) in zip(names, choices, strict=True)
    }
    return GraphQLEnumType(
        enum_type_name(ms.type_name, field.info.name),
        values,
        description=field.info.help_text or None,
    )


def scalar_output_type(field: ScalarField, enums: dict[tuple[str, str], GraphQLEnumType], ms):
    if field.enum:
        return enums[(ms.type_name, field.info.name)]
    return SCALAR_TYPES[field.kind]


def value_transform(field: ScalarField) -> Callable[[Any], Any] | None:
    """Stored value -> the value the API shows (before scalar serialization); None: as is."""
    if field.kind == "file":
        return lambda value: value.url if value else None
    if field.kind == "decimal" and field.info.decimal_places is not None:
        return _decimal_transform(field.info.decimal_places, field.info.max_digits)
    if field.enum and field.info.blank:
        return lambda value: None if value == "" else value  # "" is stored for "no choice"
    return None


def quantize(value: Decimal, places: int) -> Decimal:
    """`value` with exactly `places` decimals, every digit kept.

    `Decimal.quantize` raises InvalidOperation when the result has more digits than the
    context's precision (28 by default), which a `DecimalField(max_digits=30)` value has; the
    precision is therefore taken from the value itself."""
    if not value.is_finite():
        return value
    digits = max(value.adjusted() + 1, 1) + places
    context = Context(prec=max(digits, DefaultContext.prec))
    return value.quantize(Decimal(1).scaleb(-places), context=context)


def _decimal_transform(places: int, max_digits: int | None) -> Callable[[Any], Any]:
    """Quantize with a context made once per field, wide enough for any value of the column;
    a value beyond `max_digits` (SQLite does not enforce it) takes the slower exact path."""
    quantum = Decimal(1).scaleb(-places)
    context = Context(prec=max(max_digits or 0, DefaultContext.prec))

    def transform(value: Any) -> Any:
        if not isinstance(value, Decimal):
            return value
        try:
            return value.quantize(quantum, context=context)
        except InvalidOperation:
            return quantize(value, places)

    return transform


def column_reader(field: ScalarField) -> Callable[[Any], Any]:
    """obj -> the value of this column as the API shows it (before scalar serialization)."""
    read = attrgetter(field.info.attname)
    transform = value_transform(field)
    if transform is None:
        return read
    return lambda obj: transform(read(obj))


def _column_resolver(field: ScalarField):
    read = column_reader(field)

    def resolve_column(obj: Any, info: Any) -> Any:
        return read(obj)

    return resolve_column


def _masking(model: Any, name: str, resolve: Callable[[Any, Any], Any]):
    """`resolve`, but showing the caller's mask value when the policy masks the field for them.

    Only fields the policy may mask get this wrapper; the compiled path never writes them (it
    falls back to graphql-core's executor for a selection with a masked field)."""

    def resolve_masked(obj: Any, info: Any) -> Any:
        masks = info.context.masks(model)
        if name in masks:
            return masks[name]
        return resolve(obj, info)

    return resolve_masked


def computed_type(ms: ModelSchema, computed: ComputedField) -> Any:
    """Scalars (and lists of them) only: a computed value cannot be planned like a relation."""
    where = f"{ms.info.label}.{computed.name}"
    hint = reduce_hint(computed.info.return_annotation, where)
    return graphql_type(hint, SimpleNamespace(models={}), where, output=True)


def computed_reader(computed: ComputedField) -> Callable[[Any], Any]:
    read = attrgetter(computed.name)
    if computed.info.is_property:
        return read
    return lambda obj: read(obj)()


def _computed_resolver(computed: ComputedField):
    read = computed_reader(computed)

    def resolve_computed(obj: Any, info: Any) -> Any:
        return read(obj)

    return resolve_computed


def _resolve_id(obj: Any, info: Any) -> str:
    return str(obj.pk)


def _to_one_resolver(relation: RelationField):
    name = relation.info.name

    def resolve_to_one(obj: Any, info: Any) -> Any:
        value = getattr(obj, slot_name(response_keys(info.path)), _MISSING)
        if value is not _MISSING:
            return value
        try:  # joined with select_related by the planner: no query here
            return getattr(obj, name)
        except ObjectDoesNotExist:
            return None

    return resolve_to_one


def _prefetched_resolver(kind: str):
    def resolve_prefetched(obj: Any, info: Any, **_arguments: Any) -> Any:
        return getattr(obj, slot_name(response_keys(info.path), kind))

    return resolve_prefetched


def _scalar_nullable(field: ScalarField) -> bool:
    info = field.info
    if field.kind == "file":
        return True
    if field.enum and info.blank:
        return True  # "" is stored for "no choice"
    return info.null


def list_arguments(target: ModelSchema, case: NameCase) -> dict[str, GraphQLArgument]:
    return {
        case("filters"): GraphQLArgument(target.filter_type),
        case("order_by"): GraphQLArgument(GraphQLList(GraphQLNonNull(target.order_type))),
        case("limit"): GraphQLArgument(GraphQLInt),
        case("offset"): GraphQLArgument(GraphQLInt),
    }


def build_object_type(
    ms: ModelSchema,
    schemas: dict[Any, ModelSchema],
    enums: dict[tuple[str, str], GraphQLEnumType],
    case: NameCase,
    masks: dict[str, bool] | None = None,
) -> GraphQLObjectType:
    """`masks`: model field name -> whether its mask may be null, for fields the policy may
    mask (their resolvers check the caller's masks; a null mask makes the field nullable)."""
    masks = masks or {}

    def fields() -> dict[str, GraphQLField]:
        result = {
            ms.id_name: GraphQLField(
                GraphQLNonNull(GraphQLID), resolve=_resolve_id, description="Primary key."
            )
        }
        for gname, field in ms.scalars.items():
            gtype = scalar_output_type(field, enums, ms)
            resolve = _column_resolver(field)
            nullable = _scalar_nullable(field)
            if field.name in masks:
                resolve = _masking(ms.model, field.name, resolve)
                nullable = nullable or masks[field.name]
            result[gname] = GraphQLField(
                gtype if nullable else GraphQLNonNull(gtype),
                resolve=resolve,
                description=field.info.help_text or None,
            )
        for gname, relation in ms.relations.items():
            target = schemas[relation.target]
            if relation.many:
                result[gname] = GraphQLField(
                    GraphQLNonNull(GraphQLList(GraphQLNonNull(target.object_type))),
                    args=list_arguments(target, case),
                    resolve=_prefetched_resolver("r"),
                    description=relation.info.help_text or None,
                )
            else:
                # Always nullable: the caller may not be allowed to see the related row.
                result[gname] = GraphQLField(
                    target.object_type,
                    resolve=_to_one_resolver(relation),
                    description=relation.info.help_text or None,
                )
        for gname, computed in ms.computed.items():
            gtype = computed_type(ms, computed)
            resolve = _computed_resolver(computed)
            if computed.name in masks:
                resolve = _masking(ms.model, computed.name, resolve)
                if masks[computed.name] and isinstance(gtype, GraphQLNonNull):
                    gtype = gtype.of_type
            result[gname] = GraphQLField(
                gtype, resolve=resolve, description=computed.info.doc or None
            )
        for gname, count in ms.counts.items():
            target = schemas[count.relation.target]
            result[gname] = GraphQLField(
                GraphQLNonNull(GraphQLInt),
                args={case("filters"): GraphQLArgument(target.filter_type)},
                resolve=_prefetched_resolver("c"),
                description=f"Number of {count.relation.name} the caller may see.",
            )
        return result

    return GraphQLObjectType(ms.type_name, fields, description=ms.info.description or None)


def build_page_info(case: NameCase) -> GraphQLObjectType:
    non_null_int = GraphQLNonNull(GraphQLInt)
    non_null_bool = GraphQLNonNull(GraphQLBoolean)
    return GraphQLObjectType(
        "PageInfo",
        {
            case("total_count"): GraphQLField(non_null_int, resolve=_key("total_count")),
            case("page"): GraphQLField(non_null_int, resolve=_key("page")),
            case("page_size"): GraphQLField(non_null_int, resolve=_key("page_size")),
            case("total_pages"): GraphQLField(non_null_int, resolve=_key("total_pages")),
            case("has_next_page"): GraphQLField(non_null_bool, resolve=_key("has_next_page")),
            case("has_previous_page"): GraphQLField(
                non_null_bool, resolve=_key("has_previous_page")
            ),
        },
        description="Position of a page; counts only rows the caller may see.",
    )


def _resolve_page_items(page: dict, info: Any) -> list[Any]:
    """Each alias of `items` was planned (and loaded) on its own, keyed by response key."""
    return page["items"][info.path.key]


def _key(name: str):
    def resolve(obj: dict, info: Any) -> Any:
        return obj[name]

    return resolve


def build_page_type(ms: ModelSchema, page_info: GraphQLObjectType, case: NameCase):
    return GraphQLObjectType(
        f"{ms.type_name}Page",
        lambda: {
            case("items"): GraphQLField(
                GraphQLNonNull(GraphQLList(GraphQLNonNull(ms.object_type))),
                resolve=_resolve_page_items,
            ),
            case("page_info"): GraphQLField(GraphQLNonNull(page_info), resolve=_key("page_info")),
        },
    )
