"""Adds the mutation root fields of every model that has `ENABLE_MUTATIONS` on."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLArgument, GraphQLField, GraphQLID, GraphQLList, GraphQLNonNull

from django_graphql_auto.mutations import bulk, crud
from django_graphql_auto.mutations.inputs import (
    build_input_types,
    input_fields,
    unsettable_required,
)
from django_graphql_auto.mutations.methods import method_field
from django_graphql_auto.mutations.payloads import build_payload_type, field_error_type
from django_graphql_auto.schema.annotations import NotExposed


def add_mutations(bundle: Any, mutation_fields: dict[str, GraphQLField]) -> None:
    case = bundle.case
    writable = [ms for ms in bundle.models.values() if ms.config["ENABLE_MUTATIONS"]]
    if not writable:
        return
    field_error = field_error_type(bundle)
    skipped: dict[str, list[str]] = {}
    for ms in writable:
        # Whether a model's own required fields can be set does not depend on nested inputs.
        missing = unsettable_required(ms, input_fields(ms, bundle.models, case, update=False))
        if missing:
            skipped[ms.info.label] = missing
    not_creatable = frozenset(ms.model for ms in writable if ms.info.label in skipped)
    for ms in writable:
        ms.create_fields = input_fields(
            ms, bundle.models, case, update=False, not_creatable=not_creatable
        )
        ms.update_fields = input_fields(
            ms, bundle.models, case, update=True, not_creatable=not_creatable
        )
    for ms in writable:
        ms.create_input, ms.update_input, ms.bulk_update_input = build_input_types(
            ms, bundle.models, bundle.enums, case
        )
        ms.payload_type = build_payload_type(ms, field_error, case)
    bundle.extras["skipped_creates"] = skipped

    for ms in writable:
        name = ms.base_name
        payload = ms.payload_type
        id_arg = {ms.id_name: GraphQLArgument(GraphQLNonNull(GraphQLID))}
        bulk_on = ms.config["ENABLE_BULK_OPERATIONS"]
        if ms.info.label not in skipped:
            mutation_fields[case(f"create_{name}")] = GraphQLField(
                payload,
                args={"input": GraphQLArgument(GraphQLNonNull(ms.create_input))},
                resolve=crud.create_resolver(ms),
                description=f"Create one {ms.type_name}, with nested writes, in one transaction.",
            )
            if bulk_on:
                mutation_fields[case(f"bulk_create_{name}")] = GraphQLField(
                    payload,
                    args={"inputs": _list_arg(ms.create_input)},
                    resolve=bulk.bulk_create_resolver(ms),
                    description=f"Create several {ms.type_name} rows; all or nothing.",
                )
        mutation_fields[case(f"update_{name}")] = GraphQLField(
            payload,
            args={**id_arg, "input": GraphQLArgument(GraphQLNonNull(ms.update_input))},
            resolve=crud.update_resolver(ms),
            description=f"Change one {ms.type_name}; absent fields stay as they are.",
        )
        mutation_fields[case(f"delete_{name}")] = GraphQLField(
            payload,
            args=id_arg,
            resolve=crud.delete_resolver(ms),
            description=f"Delete one {ms.type_name}, following on_delete of its relations.",
        )
        for method in ms.info.methods.values():
            method_name = case(f"{name}_{method.options['name']}")
            try:
                mutation_fields[method_name] = method_field(ms, method, bundle, field_error)
            except NotExposed as reason:
                bundle.extras.setdefault("skipped_methods", {})[method_name] = str(reason)
        if bulk_on:
            mutation_fields[case(f"bulk_update_{name}")] = GraphQLField(
                payload,
                args={"inputs": _list_arg(ms.bulk_update_input)},
                resolve=bulk.bulk_update_resolver(ms),
                description=f"Change several {ms.type_name} rows; all or nothing.",
            )
            mutation_fields[case(f"bulk_delete_{name}")] = GraphQLField(
                payload,
                args={"ids": _list_arg(GraphQLID)},
                resolve=bulk.bulk_delete_resolver(ms),
                description=f"Delete several {ms.type_name} rows; all or nothing.",
            )


def _list_arg(item_type: Any) -> GraphQLArgument:
    return GraphQLArgument(GraphQLNonNull(GraphQLList(GraphQLNonNull(item_type))))
