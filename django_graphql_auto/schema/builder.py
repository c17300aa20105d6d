"""Assembles one `GraphQLSchema` from a `SchemaConfig` and keeps what execution needs beside it.

The build reads models and settings only; it never touches a request or the database, so it
can run at any time (first request, `rebuild_schema()`, `export_schema`).
"""

from __future__ import annotations

import gc
import itertools
import sys
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    validate_schema,
)

from django_graphql_auto.conf import SchemaConfig
from django_graphql_auto.execution import resolvers
from django_graphql_auto.mutations.schema import add_mutations
from django_graphql_auto.naming import NameCase
from django_graphql_auto.schema.filters import FilterTypes, build_filter_types, is_filterable
from django_graphql_auto.schema.metadata import ModelSchema, collect_model_schemas
from django_graphql_auto.schema.ordering import build_order_type
from django_graphql_auto.schema.types import (
    build_enum,
    build_object_type,
    build_page_info,
    build_page_type,
    list_arguments,
)
from django_graphql_auto.security.auth import add_auth_fields
from django_graphql_auto.security.policy import Policy, load_policy

_versions = itertools.count(1)


@dataclass
class SchemaBundle:
    """A built schema plus the metadata the planner, mutations and transport read."""

    name: str
    version: int
    config: SchemaConfig
    case: NameCase
    models: dict[type[Model], ModelSchema]
    policy: Policy
    schema: GraphQLSchema | None = None
    enums: dict[tuple[str, str], GraphQLEnumType] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def type_name(self, model: type[Model]) -> str:
        ms = self.models.get(model)
        return ms.type_name if ms else model._meta.object_name

    def model_schema(self, model: type[Model]) -> ModelSchema | None:
        return self.models.get(model)


class RootFields(dict):
    """Root field names must be unique: a silent overwrite would hide part of one model's API."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def __setitem__(self, key: str, value: GraphQLField) -> None:
        if key in self:
            raise ImproperlyConfigured(
                f"Two {self.kind} fields would be named '{key}'; give one model another "
                "TYPE_NAME or PLURAL_NAME (or rename the @graphql_mutation)."
            )
        super().__setitem__(key, value)


def _root_query_fields(bundle: SchemaBundle) -> dict[str, GraphQLField]:
    case = bundle.case
    fields: dict[str, GraphQLField] = RootFields("query")
    roots = bundle.extras.setdefault("root_fields", {})
    for ms in bundle.models.values():
        roots[ms.single_name] = ("single", ms)
        roots[ms.list_name] = ("list", ms)
        roots[ms.pages_name] = ("pages", ms)
        fields[ms.single_name] = GraphQLField(
            ms.object_type,
            args={ms.id_name: GraphQLArgument(GraphQLNonNull(GraphQLID))},
            resolve=resolvers.single_resolver(ms),
            description=f"One {ms.type_name} by id; null when it does not exist or is hidden.",
        )
        # Root lists and pages are nullable: one refused root field (FORBIDDEN, a bad limit)
        # then nulls only itself, and its siblings in the same document still answer.
        fields[ms.list_name] = GraphQLField(
            GraphQLList(GraphQLNonNull(ms.object_type)),
            args=list_arguments(ms, case),
            resolve=resolvers.list_resolver(ms),
            description=f"{ms.type_name} rows; `limit` defaults to "
            f"{ms.config['DEFAULT_PAGE_SIZE']} and may be at most {ms.config['MAX_PAGE_SIZE']}.",
        )
        fields[ms.pages_name] = GraphQLField(
            ms.page_type,
            args={
                case("filters"): GraphQLArgument(ms.filter_type),
                case("order_by"): GraphQLArgument(GraphQLList(GraphQLNonNull(ms.order_type))),
                case("page"): GraphQLArgument(GraphQLInt, description="Counts from 1."),
                case("page_size"): GraphQLArgument(GraphQLInt),
            },
            resolve=resolvers.pages_resolver(ms),
            description=f"{ms.type_name} rows one page at a time, with the page's position.",
        )
    return fields


def _maskable(bundle: SchemaBundle) -> dict[type[Model], dict[str, bool]]:
    """Per model, the fields the policy may mask -> whether the shown value may be null."""
    result: dict[type[Model], dict[str, bool]] = {}
    for model in bundle.models:
        names = bundle.policy.maskable_fields(model)
        if not names:
            continue
        rules = bundle.policy.field_rules(model) if hasattr(bundle.policy, "field_rules") else None
        result[model] = {}
        for name in names:
            declared = rules.rules.get(name, ()) if rules is not None else ()
            masked = [rule.masked for rule in declared if rule.is_masked]
            result[model][name] = not masked or any(value is None for value in masked)
    return result


def _drop_fieldless_updates(bundle: SchemaBundle, mutation_fields: dict) -> None:
    """A model whose update input would have no field at all (every field excluded or read
    only) gets no `update_<model>` / `bulk_update_<model>`: GraphQL forbids an input type
    without fields, and such a schema would answer every request with an error."""
    case = bundle.case
    skipped = bundle.extras.setdefault("skipped_updates", [])
    for ms in bundle.models.values():
        if ms.update_input is None or ms.update_input.fields:
            continue
        for name in (f"update_{ms.base_name}", f"bulk_update_{ms.base_name}"):
            if mutation_fields.pop(case(name), None) is not None:
                skipped.append(case(name))


def build_schema(config: SchemaConfig) -> SchemaBundle:
    """The schema bundle for `config`.

    The cyclic garbage collector is paused while building: a build allocates thousands of
    long-lived objects (types, fields, arguments) and next to no garbage, so the collector's
    passes over an ever larger heap would only make the build time grow faster than the model
    count (about a third of the time at 500 models)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(config)
    finally:
        if collecting:
            gc.enable()


def _build(config: SchemaConfig) -> SchemaBundle:
    case = NameCase(camel=config["NAME_CASE"] == "camel")
    models = collect_model_schemas(config, case)
    bundle = SchemaBundle(
        name=config.name,
        version=next(_versions),
        config=config,
        case=case,
        models=models,
        policy=load_policy(config),
    )
    for ms in models.values():
        for scalar in (*ms.scalars.values(), *ms.write_only_scalars.values()):
            if scalar.enum:
                bundle.enums[(ms.type_name, scalar.info.name)] = build_enum(ms, scalar)
    filter_types = FilterTypes(case)
    page_info = build_page_info(case)
    maskable = bundle.extras["maskable"] = _maskable(bundle)
    for ms in models.values():
        ms.object_type = build_object_type(ms, models, bundle.enums, case, maskable.get(ms.model))
        ms.filter_type, ms.relation_filter_type = build_filter_types(
            ms, models, bundle.enums, filter_types
        )
        ms.order_type = build_order_type(ms, models)
        ms.page_type = build_page_type(ms, page_info, case)
        for gname, scalar in ms.scalars.items():
            if is_filterable(scalar):
                enum = bundle.enums.get((ms.type_name, scalar.info.name))
                regex = scalar.info.name in set(ms.config["REGEX_FILTER_FIELDS"] or ())
                input_type = filter_types.for_field(scalar, enum, regex)
                ms.filter_ops[gname] = filter_types.specs[input_type.name]

    query_fields = _root_query_fields(bundle)
    mutation_fields: dict[str, GraphQLField] = RootFields("mutation")
    add_mutations(bundle, mutation_fields)
    _drop_fieldless_updates(bundle, mutation_fields)
    if config["ENABLE_AUTHENTICATION"]:
        add_auth_fields(bundle, query_fields, mutation_fields)
    subscription_fields: dict[str, GraphQLField] = RootFields("subscription")
    if not query_fields:
        # A schema needs a query type with at least one field, even when nothing is exposed.
        query_fields["_empty"] = GraphQLField(
            GraphQLNonNull(GraphQLInt),
            resolve=lambda *_: 0,
            description="Placeholder: no model is exposed in this schema.",
        )
    limit = sys.getrecursionlimit()
    # graphql-core collects types recursively: a long chain of FKs between hundreds of models
    # is deeper than Python's default limit. Pure-Python frames are cheap since 3.11.
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        bundle.schema = GraphQLSchema(
            query=GraphQLObjectType("Query", dict(query_fields)),
            mutation=(
                GraphQLObjectType("Mutation", dict(mutation_fields)) if mutation_fields else None
            ),
            subscription=(
                GraphQLObjectType("Subscription", dict(subscription_fields))
                if subscription_fields
                else None
            ),
        )
        # Types are resolved lazily: force them now so a clash surfaces here, not mid-request.
        bundle.schema.type_map  # noqa: B018
    except TypeError as error:
        if "uniquely named types" not in str(error):
            raise
        raise ImproperlyConfigured(
            f"Schema '{config.name}' cannot be built: {error} Set TYPE_NAME on one of the models."
        ) from error
    except GraphQLError as error:  # a name graphql-core refuses while collecting the types
        raise ImproperlyConfigured(
            f"Schema '{config.name}' is not a valid GraphQL schema: {error.message}"
        ) from error
    finally:
        sys.setrecursionlimit(limit)
    _assert_valid(bundle.schema, config.name)
    return bundle


def _assert_valid(schema: GraphQLSchema, name: str) -> None:
    """graphql-core validates a schema only when the first request arrives, and then answers
    every request with a 500: an invalid name or type found here fails the build instead (and
    `manage.py check`, which builds every schema). The result is cached on the schema, so
    requests do not validate again."""
    errors = validate_schema(schema)
    if errors:
        details = "; ".join(error.message for error in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ImproperlyConfigured(
            f"Schema '{name}' is not a valid GraphQL schema: {details}{more}"
        )
