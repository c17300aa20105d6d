"""Filter input types: `PostFilter`, per-scalar operator inputs, `and`/`or`/`not`.

Operator inputs are shared between models and named by scalar (`StringFilter`, `IntFilter`);
a nullable field gets the `Nullable...` variant, the only one with `isnull` (SPEC §10), and
`regex`/`iregex` appear only on fields listed in `REGEX_FILTER_FIELDS`.

A relation that may be empty (nullable to-one, any to-many) filters with the target's
`...RelationFilter`: the target's filter plus `isnull`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
)

from django_graphql_auto.naming import NameCase
from django_graphql_auto.schema import scalars
from django_graphql_auto.schema.metadata import ModelSchema, ScalarField

COMPARE = ("exact", "in", "gt", "gte", "lt", "lte", "range")
STRING_OPS = (
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "in",
)
REGEX_OPS = ("regex", "iregex")
DATE_PARTS = ("year", "month", "day", "week_day")
DATETIME_PARTS = (*DATE_PARTS, "hour")
TIME_PARTS = ("hour",)

#: scalar kind -> (GraphQL name stem, value type, operators, date parts)
KIND_OPERATORS: dict[str, tuple[str, Any, tuple[str, ...], tuple[str, ...]]] = {
    "string": ("String", GraphQLString, STRING_OPS, ()),
    "int": ("Int", GraphQLInt, COMPARE, ()),
    "bigint": ("BigInt", scalars.BigInt, COMPARE, ()),
    "float": ("Float", GraphQLFloat, COMPARE, ()),
    "decimal": ("Decimal", scalars.DecimalScalar, COMPARE, ()),
    "boolean": ("Boolean", GraphQLBoolean, ("exact",), ()),
    "date": ("Date", scalars.Date, COMPARE, DATE_PARTS),
    "datetime": ("DateTime", scalars.DateTime, COMPARE, DATETIME_PARTS),
    "time": ("Time", scalars.Time, COMPARE, TIME_PARTS),
    "duration": ("Duration", scalars.Duration, COMPARE, ()),
    "uuid": ("UUID", scalars.UUID, ("exact", "in"), ()),
    "json": ("JSON", scalars.JSON, ("exact", "has_key"), ()),
}
FILTERABLE_KINDS = frozenset(KIND_OPERATORS)
LIST_OPERATORS = frozenset({"in", "range"})
#: Operators whose value type is not the field's own: a JSON key is a string.
OPERATOR_VALUE_TYPES: dict[str, Any] = {"has_key": GraphQLString}


@dataclass(frozen=True)
class OperatorSpec:
    """How the compiler reads one operator input: GraphQL name -> Django lookup."""

    lookups: dict[str, str]  # GraphQL field name -> Django lookup ("isnull", "week_day", ...)
    parts: frozenset[str]  # GraphQL names that are date parts (their value is an IntFilter)


class FilterTypes:
    """Creates and caches the shared operator input types of one schema."""

    def __init__(self, case: NameCase):
        self.case = case
        self._types: dict[str, GraphQLInputObjectType] = {}
        self.specs: dict[str, OperatorSpec] = {}

    def operator_input(
        self,
        stem: str,
        value_type: Any,
        operators: tuple[str, ...],
        *,
        nullable: bool = False,
        regex: bool = False,
        parts: tuple[str, ...] = (),
    ) -> GraphQLInputObjectType:
        name = f"{'Nullable' if nullable else ''}{'Regex' if regex else ''}{stem}Filter"
        if name in self._types:
            return self._types[name]
        ops = list(operators) + (list(REGEX_OPS) if regex else [])
        fields: dict[str, GraphQLInputField] = {}
        lookups: dict[str, str] = {}
        for op in ops:
            gname = self.case(op)
            op_type = OPERATOR_VALUE_TYPES.get(op, value_type)
            if op in LIST_OPERATORS:
                fields[gname] = GraphQLInputField(GraphQLList(GraphQLNonNull(op_type)))
            else:
                fields[gname] = GraphQLInputField(op_type)
            lookups[gname] = op
        if nullable:
            fields[self.case("isnull")] = GraphQLInputField(GraphQLBoolean)
            lookups[self.case("isnull")] = "isnull"
        int_filter = self.int_filter() if parts else None
        for part in parts:
            gname = self.case(part)
            fields[gname] = GraphQLInputField(int_filter)
            lookups[gname] = part
        self.specs[name] = OperatorSpec(lookups, frozenset(self.case(p) for p in parts))
        self._types[name] = GraphQLInputObjectType(name, fields)
        return self._types[name]

    def int_filter(self) -> GraphQLInputObjectType:
        return self.operator_input("Int", GraphQLInt, COMPARE)

    def id_filter(self) -> GraphQLInputObjectType:
        return self.operator_input("ID", GraphQLID, ("exact", "in"))

    def for_field(self, field: ScalarField, enum: GraphQLEnumType | None, regex: bool):
        nullable = field.info.null or (field.enum and field.info.blank)
        if enum is not None:
            return self.operator_input(enum.name, enum, ("exact", "in"), nullable=nullable)
        stem, value_type, operators, parts = KIND_OPERATORS[field.kind]
        return self.operator_input(
            stem,
            value_type,
            operators,
            nullable=nullable,
            regex=regex and field.kind == "string",
            parts=parts,
        )


def is_filterable(field: ScalarField) -> bool:
    return field.kind in FILTERABLE_KINDS


def build_filter_types(
    ms: ModelSchema,
    schemas: dict[Any, ModelSchema],
    enums: dict[tuple[str, str], GraphQLEnumType],
    filter_types: FilterTypes,
) -> tuple[GraphQLInputObjectType, GraphQLInputObjectType]:
    """`PostFilter` and `PostRelationFilter` (the same fields plus `isnull`)."""
    case = filter_types.case
    regex_fields = set(ms.config["REGEX_FILTER_FIELDS"] or ())

    def fields(with_isnull: bool):
        def thunk() -> dict[str, GraphQLInputField]:
            result = {ms.id_name: GraphQLInputField(filter_types.id_filter())}
            for gname, field in ms.scalars.items():
                if not is_filterable(field):
                    continue
                enum = enums.get((ms.type_name, field.info.name)) if field.enum else None
                regex = field.info.name in regex_fields
                result[gname] = GraphQLInputField(filter_types.for_field(field, enum, regex))
            for gname, relation in ms.relations.items():
                target = schemas[relation.target]
                may_be_empty = relation.many or relation.info.null or not relation.info.forward
                result[gname] = GraphQLInputField(
                    target.relation_filter_type if may_be_empty else target.filter_type
                )
            self_list = GraphQLList(GraphQLNonNull(ms.filter_type))
            result["and"] = GraphQLInputField(self_list)
            result["or"] = GraphQLInputField(self_list)
            result["not"] = GraphQLInputField(ms.filter_type)
            if with_isnull:
                result[case("isnull")] = GraphQLInputField(
                    GraphQLBoolean,
                    description="true: no related row matches; false: at least one does.",
                )
            return result

        return thunk

    return (
        GraphQLInputObjectType(f"{ms.type_name}Filter", fields(False)),
        GraphQLInputObjectType(f"{ms.type_name}RelationFilter", fields(True)),
    )
