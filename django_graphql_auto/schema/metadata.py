"""What one schema exposes of each model, decided once at build time.

`ModelSchema` is the bridge between the GraphQL names a client uses and the Django names the
planner needs: the schema layer fills it, the planner and the mutation layer read it.
Nothing here builds GraphQL types; `types.py`, `filters.py` and `ordering.py` do that from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.db import models

from django_graphql_auto.introspection import (
    ComputedInfo,
    FieldInfo,
    ModelInfo,
    RelationshipInfo,
    inspect_model,
)
from django_graphql_auto.naming import NameCase, pascal_case, pluralize, snake_case
from django_graphql_auto.security.field_rules import ModelFieldRules

if TYPE_CHECKING:
    from django_graphql_auto.conf import ModelConfig, SchemaConfig

ScalarKind = Literal[
    "string",
    "int",
    "bigint",
    "float",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "time",
    "duration",
    "uuid",
    "json",
    "file",
]

#: Django's `get_internal_type()` -> our scalar kind. A type not listed is not exposed (a custom
#: field usually reports the internal type of the field it extends, so it is still covered).
INTERNAL_TYPES: dict[str, ScalarKind] = {
    "AutoField": "int",
    "SmallAutoField": "int",
    "IntegerField": "int",
    "SmallIntegerField": "int",
    "PositiveIntegerField": "int",
    "PositiveSmallIntegerField": "int",
    "BigAutoField": "bigint",
    "BigIntegerField": "bigint",
    "PositiveBigIntegerField": "bigint",
    "FloatField": "float",
    "DecimalField": "decimal",
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "CharField": "string",
    "TextField": "string",
    "SlugField": "string",
    "EmailField": "string",
    "URLField": "string",
    "GenericIPAddressField": "string",
    "IPAddressField": "string",
    "FilePathField": "string",
    "DateField": "date",
    "DateTimeField": "datetime",
    "TimeField": "time",
    "DurationField": "duration",
    "UUIDField": "uuid",
    "JSONField": "json",
    "HStoreField": "json",
    "FileField": "file",
    "ImageField": "file",
}

SENSITIVE_WORDS = ("token", "secret")

#: Names the library itself uses for shared types; a model type may not take them.
RESERVED_TYPE_NAMES = frozenset(
    {
        "Query",
        "Mutation",
        "Subscription",
        "PageInfo",
        "SortDirection",
        "FieldError",
        "Node",
    }
)


def is_password_field(name: str) -> bool:
    return "password" in name.lower()


def is_sensitive_field(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SENSITIVE_WORDS)


@dataclass(frozen=True)
class ScalarField:
    graphql_name: str
    info: FieldInfo
    kind: ScalarKind
    enum: bool  # the field has choices: exposed as an enum

    @property
    def name(self) -> str:
        return self.info.name


@dataclass(frozen=True)
class RelationField:
    graphql_name: str
    info: RelationshipInfo
    target: type[models.Model]

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def many(self) -> bool:
        return self.info.many


@dataclass(frozen=True)
class ComputedField:
    """A `@graphql_field` property or method: read-only, loaded with its declared columns."""

    graphql_name: str
    info: ComputedInfo

    @property
    def name(self) -> str:
        return self.info.name


@dataclass(frozen=True)
class CountField:
    graphql_name: str
    relation: RelationField


@dataclass
class ModelSchema:
    """Per-model naming and exposure for one schema; GraphQL types are attached by the builder."""

    info: ModelInfo
    config: ModelConfig
    type_name: str
    single_name: str
    list_name: str
    pages_name: str
    id_name: str
    base_name: str  # snake_case singular, before NAME_CASE: "published_post"
    scalars: dict[str, ScalarField] = field(default_factory=dict)
    relations: dict[str, RelationField] = field(default_factory=dict)
    counts: dict[str, CountField] = field(default_factory=dict)
    computed: dict[str, ComputedField] = field(default_factory=dict)
    # Write-only fields (FIELD_RULES without a condition): in inputs, never in output types.
    write_only_scalars: dict[str, ScalarField] = field(default_factory=dict)
    write_only_relations: dict[str, RelationField] = field(default_factory=dict)
    # Fields no input may set (FIELD_RULES hidden / read_only without a condition).
    never_written: frozenset[str] = frozenset()
    # GraphQL filter field name -> operator spec of its input type (filled by the builder).
    filter_ops: dict[str, Any] = field(default_factory=dict)
    # GraphQL types, filled in by the builder.
    object_type: Any = None
    filter_type: Any = None
    relation_filter_type: Any = None
    order_type: Any = None
    page_type: Any = None
    # Writes (filled in by the mutation layer when mutations are enabled).
    create_fields: dict[str, Any] = field(default_factory=dict)
    update_fields: dict[str, Any] = field(default_factory=dict)
    create_input: Any = None
    update_input: Any = None
    bulk_update_input: Any = None
    payload_type: Any = None

    @property
    def model(self) -> type[models.Model]:
        return self.info.model

    def field_names(self) -> frozenset[str]:
        """Model names of every exposed field and relation (what the policy talks about)."""
        return frozenset(
            [f.name for f in self.scalars.values()]
            + [r.name for r in self.relations.values()]
            + [c.name for c in self.computed.values()]
        )


def _exposed_field_names(info: ModelInfo, config: ModelConfig) -> set[str]:
    candidates = set(info.fields) | set(info.relationships)
    allow = config["FIELDS"]
    if allow is not None:
        candidates &= set(allow)
    candidates -= set(config["EXCLUDE_FIELDS"] or ())
    opted_in = set(config["ALLOW_SENSITIVE_FIELDS"] or ())
    return {
        name
        for name in candidates
        if not is_password_field(name) and (not is_sensitive_field(name) or name in opted_in)
    }


def _type_names(configs: tuple[ModelConfig, ...]) -> dict[type[models.Model], str]:
    """Model name, app-prefixed only where two exposed models (or a reserved name) clash."""
    wanted: dict[type[models.Model], str] = {}
    for config in configs:
        override = config["TYPE_NAME"]
        wanted[config.model] = override or config.model._meta.object_name
    counts: dict[str, int] = {}
    for name in wanted.values():
        counts[name] = counts.get(name, 0) + 1
    names = {}
    for model, name in wanted.items():
        clash = counts[name] > 1 or name in RESERVED_TYPE_NAMES
        overridden = any(c.model is model and c["TYPE_NAME"] for c in configs)
        if clash and not overridden:
            name = pascal_case(model._meta.app_label) + model._meta.object_name
        names[model] = name
    return names


def collect_model_schemas(
    config: SchemaConfig, case: NameCase
) -> dict[type[models.Model], ModelSchema]:
    type_names = _type_names(config.models)
    exposed = {c.model for c in config.models}
    result: dict[type[models.Model], ModelSchema] = {}
    for model_config in config.models:
        model = model_config.model
        info = inspect_model(model)
        single = snake_case(type_names[model])
        plural = model_config["PLURAL_NAME"] or pluralize(single)
        if plural == single:
            plural = f"{single}_list"
        ms = ModelSchema(
            info=info,
            config=model_config,
            type_name=type_names[model],
            single_name=case(single),
            list_name=case(plural),
            pages_name=case(f"{single}_pages"),
            id_name="id",
            base_name=single,
        )
        names = _exposed_field_names(info, model_config)
        rules = ModelFieldRules(model_config["FIELD_RULES"])
        ms.never_written = rules.never_written
        taken = {"id"}
        for name, finfo in info.fields.items():
            if name not in names or (finfo.primary_key and (name == "id" or finfo.inherited_from)):
                continue
            kind = INTERNAL_TYPES.get(finfo.internal_type)
            if kind is None:
                continue
            gname = case(name)
            scalar = ScalarField(gname, finfo, kind, enum=finfo.choices is not None)
            if name in rules.never_read:
                ms.write_only_scalars[gname] = scalar
            else:
                ms.scalars[gname] = scalar
            taken.add(gname)
        for name, rinfo in info.relationships.items():
            if name not in names or rinfo.parent_link or rinfo.related_model not in exposed:
                continue
            gname = case(name)
            if gname in taken:
                continue
            relation = RelationField(gname, rinfo, rinfo.related_model)
            if name in rules.never_read:
                ms.write_only_relations[gname] = relation
            else:
                ms.relations[gname] = relation
            taken.add(gname)
        excluded = set(model_config["EXCLUDE_FIELDS"] or ())
        for name, cinfo in info.computed.items():
            gname = case(cinfo.graphql_name)
            if name in excluded or gname in taken:
                continue
            ms.computed[gname] = ComputedField(gname, cinfo)
            taken.add(gname)
        for relation in list(ms.relations.values()):
            if relation.many:
                gname = case(f"{relation.name}_count")
                if gname not in taken:
                    ms.counts[gname] = CountField(gname, relation)
                    taken.add(gname)
        result[model] = ms
    return result
