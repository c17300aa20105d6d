"""`order_by: [PostOrder!]` input types: one key per item, nested through to-one relations."""

from __future__ import annotations

from typing import Any, get_args

from graphql import GraphQLEnumType, GraphQLInputField, GraphQLInputObjectType

from django_graphql_auto.schema.metadata import ModelSchema, ScalarKind

#: Every scalar kind sorts, except JSON documents and file paths.
ORDERABLE_KINDS = frozenset(get_args(ScalarKind)) - {"json", "file"}

SortDirection = GraphQLEnumType(
    "SortDirection",
    {
        "ASC": "ASC",
        "DESC": "DESC",
        "ASC_NULLS_FIRST": "ASC_NULLS_FIRST",
        "ASC_NULLS_LAST": "ASC_NULLS_LAST",
        "DESC_NULLS_FIRST": "DESC_NULLS_FIRST",
        "DESC_NULLS_LAST": "DESC_NULLS_LAST",
    },
    description="Direction of one ordering key; NULLS_FIRST/LAST pin where empty values go.",
)


def build_order_type(ms: ModelSchema, schemas: dict[Any, ModelSchema]) -> GraphQLInputObjectType:
    def fields() -> dict[str, GraphQLInputField]:
        result = {ms.id_name: GraphQLInputField(SortDirection)}
        for gname, field in ms.scalars.items():
            if field.kind in ORDERABLE_KINDS:
                result[gname] = GraphQLInputField(SortDirection)
        for gname, relation in ms.relations.items():
            if not relation.many:
                result[gname] = GraphQLInputField(schemas[relation.target].order_type)
        return result

    return GraphQLInputObjectType(
        f"{ms.type_name}Order",
        fields,
        description="Exactly one field per item; items apply in list order, then the id.",
    )
