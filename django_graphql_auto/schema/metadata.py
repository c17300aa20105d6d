"""What one schema exposes of each model, decided once at build time.

`ModelSchema` is the bridge between the GraphQL names a client uses and the Django names the
planner needs: the schema layer fills it, the planner and the mutation layer read it.
Nothing here builds GraphQL types; `types.py`, `filters.py` and `ordering.py` do that from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from django_graphql_auto.introspection import (
    ComputedInfo,
    FieldInfo,
    ModelInfo,
    RelationshipInfo,
    inspect_model,
)
from django_graphql_auto.naming import (
    NameCase,
    is_graphql_name,
    pascal_case,
    pluralize,
    snake_case,
)
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

#: Built-in and custom scalars (SPEC §10), each also the stem of its filter operator inputs.
SCALAR_NAMES = frozenset(
    {
        "String",
        "Int",
        "Float",
        "Boolean",
        "ID",
        "BigInt",
        "Decimal",
        "Date",
        "DateTime",
        "Time",
        "Duration",
        "UUID",
        "JSON",
        "Upload",
    }
)

#: Object types of the authentication fields, reserved even while authentication is off, so
#: that switching it on never renames a model's type.
AUTH_TYPE_NAMES = frozenset(
    {
        "Viewer",
        "AuthPayload",
        "LogoutPayload",
        "SetupMfaPayload",
        "ConfirmMfaPayload",
        "DisableMfaPayload",
        "ChangePasswordPayload",
        "RegisterPayload",
    }
)

#: Root fields of the authentication layer (before NAME_CASE), taken when it is on.
AUTH_QUERY_FIELDS = ("me",)
AUTH_MUTATION_FIELDS = (
    "login",
    "verify_mfa",
    "refresh_token",
    "logout",
    "setup_mfa",
    "confirm_mfa",
    "disable_mfa",
    "change_password",
    "register",
)


def operator_input_names(stem: str) -> tuple[str, ...]:
    """Every operator input `filters.FilterTypes` may derive from one stem (scalar or enum)."""
    return tuple(
        f"{nullable}{regex}{stem}Filter" for nullable in ("", "Nullable") for regex in ("", "Regex")
    )


#: Every type name the library may create whatever the models: no model type may take one.
SHARED_TYPE_NAMES = (
    RESERVED_TYPE_NAMES
    | SCALAR_NAMES
    | AUTH_TYPE_NAMES
    | frozenset(name for stem in SCALAR_NAMES for name in operator_input_names(stem))
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


def _setting(config: ModelConfig, key: str, default: Any = None) -> Any:
    """A model-level setting; a ModelConfig built by hand (tests) may carry only some keys."""
    return config.values.get(key, default)


def _exposed_field_names(info: ModelInfo, config: ModelConfig) -> set[str]:
    candidates = set(info.fields) | set(info.relationships)
    allow = _setting(config, "FIELDS")
    if allow is not None:
        candidates &= set(allow)
    candidates -= set(_setting(config, "EXCLUDE_FIELDS") or ())
    opted_in = set(_setting(config, "ALLOW_SENSITIVE_FIELDS") or ())
    return {
        name
        for name in candidates
        if not is_password_field(name) and (not is_sensitive_field(name) or name in opted_in)
    }


def has_composite_pk(model: type[models.Model]) -> bool:
    """Django 5.2's `CompositePrimaryKey`: its tuple ids cannot be carried by `ID` yet, so such
    models are left out of every schema (check W103)."""
    composite = getattr(models, "CompositePrimaryKey", None)
    return composite is not None and isinstance(model._meta.pk, composite)


def unnamable_fields(info: ModelInfo, config: ModelConfig, case: NameCase) -> list[str]:
    """Exposed fields and relations whose name GraphQL cannot carry (`prénom`): left out of
    the schema, with check W102 naming them."""
    names = _exposed_field_names(info, config)
    return sorted(name for name in names if not is_graphql_name(case(name)))


def enum_type_name(type_name: str, field_name: str) -> str:
    """`Post` + `status` -> `PostStatus`: the enum of a choice field belongs to its type."""
    return f"{type_name}{pascal_case(field_name)}"


def root_snake_names(type_name: str, config: ModelConfig) -> tuple[str, str]:
    """(single, plural) root field names before NAME_CASE: `post`, `posts`; `series_list`."""
    single = snake_case(type_name)
    plural = _setting(config, "PLURAL_NAME") or pluralize(single)
    if plural == single:
        plural = f"{single}_list"
    return single, plural


# Names every model derives: chosen so that none is taken twice ------------------------------


@dataclass(frozen=True)
class _Claim:
    """One name the generator will create, and what it is derived from (for the messages)."""

    space: str  # "type", "query field" or "mutation field": names are unique per space
    name: str
    owner: type[models.Model] | None  # None: the library itself
    what: str  # "order input", "pages query field", ...
    primary: bool = False  # the model's own name: its object type or its single query field

    def describe(self) -> str:
        if self.owner is None:
            return f"a {self.what} of the library"
        return f"the {self.what} of {self.owner._meta.label}"


def _choice_fields(info: ModelInfo, config: ModelConfig) -> list[str]:
    exposed = _exposed_field_names(info, config)
    return [
        name
        for name, finfo in info.fields.items()
        if name in exposed and finfo.choices is not None and finfo.internal_type in INTERNAL_TYPES
    ]


def _mutation_claims(config: ModelConfig, info: ModelInfo, type_name: str, single: str, case):
    model = config.model
    claims = [
        _Claim("type", f"{type_name}Payload", model, "payload type"),
        _Claim("type", f"Create{type_name}Input", model, "create input"),
        _Claim("type", f"Update{type_name}Input", model, "update input"),
        _Claim("type", f"BulkUpdate{type_name}Input", model, "bulk update input"),
    ]
    verbs = ["create", "update", "delete"]
    if _setting(config, "ENABLE_BULK_OPERATIONS", True):
        verbs += ["bulk_create", "bulk_update", "bulk_delete"]
    claims += [
        _Claim("mutation field", case(f"{verb}_{single}"), model, f"{verb} mutation")
        for verb in verbs
    ]
    for method in info.methods.values():
        name = method.options["name"]
        payload = f"{type_name}{''.join(p.title() for p in name.split('_'))}Payload"
        claims.append(_Claim("type", payload, model, f"payload of method {method.name}"))
        claims.append(_Claim("mutation field", case(f"{single}_{name}"), model, f"{name} mutation"))
    return claims


def _model_claims(config: ModelConfig, type_name: str, case: NameCase) -> list[_Claim]:
    """Every type and root field name derived from one model under `type_name`."""
    model = config.model
    info = inspect_model(model)
    single, plural = root_snake_names(type_name, config)
    claims = [
        _Claim("type", type_name, model, "object type", primary=True),
        _Claim("type", f"{type_name}Filter", model, "filter input"),
        _Claim("type", f"{type_name}RelationFilter", model, "relation filter input"),
        _Claim("type", f"{type_name}Order", model, "order input"),
        _Claim("type", f"{type_name}Page", model, "page type"),
        _Claim("query field", case(single), model, "single query field", primary=True),
        _Claim("query field", case(plural), model, "list query field"),
        _Claim("query field", case(f"{single}_pages"), model, "pages query field"),
    ]
    for field_name in _choice_fields(info, config):
        enum = enum_type_name(type_name, field_name)
        claims.append(_Claim("type", enum, model, f"enum of field {field_name}"))
        claims += [
            _Claim("type", name, model, f"filter input of field {field_name}")
            for name in operator_input_names(enum)
            if "Regex" not in name
        ]
    if _setting(config, "ENABLE_MUTATIONS", True):
        claims += _mutation_claims(config, info, type_name, single, case)
    return claims


def _library_claims(case: NameCase, auth: bool) -> list[_Claim]:
    claims = [_Claim("type", name, None, "type") for name in SHARED_TYPE_NAMES]
    if auth:
        claims += [_Claim("query field", case(n), None, "query field") for n in AUTH_QUERY_FIELDS]
        claims += [
            _Claim("mutation field", case(n), None, "mutation field") for n in AUTH_MUTATION_FIELDS
        ]
    return claims


def _clashes(claims: list[_Claim]) -> list[list[_Claim]]:
    """Groups of claims on one name (within one space)."""
    groups: dict[tuple[str, str], list[_Claim]] = {}
    for claim in claims:
        groups.setdefault((claim.space, claim.name), []).append(claim)
    return [group for group in groups.values() if len(group) > 1]


def _to_prefix(
    clashes: list[list[_Claim]], fixed: set[type[models.Model]]
) -> set[type[models.Model]]:
    """Who gets the app prefix next: a model whose own name is taken (by another model's name,
    or by a name derived from another model or the library); only when there is none, every
    model in a clash of derived names. `fixed` models (TYPE_NAME, or prefixed already) never
    change, and a model is never prefixed because a fixed one took its derived name."""
    between = [group for group in clashes if len({claim.owner for claim in group}) > 1]
    own = {claim.owner for group in between for claim in group if claim.primary}
    if own:
        return own - fixed - {None}
    return {claim.owner for group in between for claim in group} - fixed - {None}


def _clash_error(group: list[_Claim], schema: str) -> ImproperlyConfigured:
    first, second = group[0], group[1]
    where = f"Schema '{schema}': " if schema else ""
    return ImproperlyConfigured(
        f"{where}the {first.space} name '{first.name}' would be both {first.describe()} and "
        f"{second.describe()}. Set TYPE_NAME (or PLURAL_NAME, for a root field) on "
        "GRAPHQL_AUTO_MODELS for one of these models."
    )


def _invalid_name_error(claim: _Claim, schema: str) -> ImproperlyConfigured:
    where = f"Schema '{schema}': " if schema else ""
    return ImproperlyConfigured(
        f"{where}'{claim.name}', {claim.describe()}, is not a GraphQL name (ASCII letters, "
        "digits and _, not starting with a digit or __). Set TYPE_NAME (or PLURAL_NAME) for "
        "the model."
    )


def _type_names(
    configs: tuple[ModelConfig, ...],
    case: NameCase | None = None,
    *,
    auth: bool = False,
    schema: str = "",
) -> dict[type[models.Model], str]:
    """Model name, app-prefixed only where it clashes (docs/naming.md).

    Every name the generator derives from a model (its filter, order, page, payload, input
    and enum types, its root fields) is claimed with the model's name; a model whose name
    collides is prefixed with its app label, and a collision that remains (a TYPE_NAME, or a
    clash the prefix does not undo) is an ImproperlyConfigured naming both sides."""
    case = case or NameCase()
    pinned = {c.model for c in configs if _setting(c, "TYPE_NAME")}
    names = {c.model: _setting(c, "TYPE_NAME") or c.model._meta.object_name for c in configs}
    library = _library_claims(case, auth)
    prefixed: set[type[models.Model]] = set()
    while True:
        claims = library + [
            c for cfg in configs for c in _model_claims(cfg, names[cfg.model], case)
        ]
        clashes = _clashes(claims)
        changeable = _to_prefix(clashes, pinned | prefixed)
        if not changeable:
            break
        for model in changeable:
            names[model] = pascal_case(model._meta.app_label) + model._meta.object_name
        prefixed |= changeable
    if clashes:
        raise _clash_error(clashes[0], schema)
    for claim in claims:
        if not is_graphql_name(claim.name):
            raise _invalid_name_error(claim, schema)
    return names


def collect_model_schemas(
    config: SchemaConfig, case: NameCase
) -> dict[type[models.Model], ModelSchema]:
    """Names and exposed fields of every model of the schema (composite keys left out)."""
    configs = tuple(c for c in config.models if not has_composite_pk(c.model))
    auth = bool(config.values.get("ENABLE_AUTHENTICATION"))
    type_names = _type_names(configs, case, auth=auth, schema=config.name)
    exposed = {c.model for c in configs}
    return {
        c.model: _model_schema(c, type_names[c.model], exposed, case, config.name) for c in configs
    }


class _FieldNames:
    """The GraphQL field names of one type: two model fields never silently share one (with
    NAME_CASE "camel", `line_1` and `line1` would both be `line1`)."""

    def __init__(self, label: str, schema: str):
        self.label = label
        self.schema = schema
        self.owners = {"id": "the primary key"}

    def __contains__(self, gname: str) -> bool:
        return gname in self.owners

    def claim(self, gname: str, owner: str) -> None:
        other = self.owners.get(gname)
        if other is not None:
            raise ImproperlyConfigured(
                f"Schema '{self.schema}': {self.label} fields {other} and {owner} would both be "
                f"named '{gname}'. Leave one out with EXCLUDE_FIELDS (or FIELDS), or rename it."
            )
        self.owners[gname] = owner


def _model_schema(
    config: ModelConfig,
    type_name: str,
    exposed: set[type[models.Model]],
    case: NameCase,
    schema: str,
) -> ModelSchema:
    info = inspect_model(config.model)
    single, plural = root_snake_names(type_name, config)
    ms = ModelSchema(
        info=info,
        config=config,
        type_name=type_name,
        single_name=case(single),
        list_name=case(plural),
        pages_name=case(f"{single}_pages"),
        id_name="id",
        base_name=single,
    )
    rules = ModelFieldRules(config["FIELD_RULES"])
    ms.never_written = rules.never_written
    names = _exposed_field_names(info, config) - set(unnamable_fields(info, config, case))
    taken = _FieldNames(info.label, schema)
    _add_scalars(ms, names, rules, taken, case)
    _add_relations(ms, names, rules, exposed, taken, case)
    _add_computed(ms, taken, case)
    _add_counts(ms, taken, case)
    if config["ENABLE_MUTATIONS"]:
        _check_input_names(ms, case, schema)
    return ms


def _add_scalars(ms: ModelSchema, names: set[str], rules, taken: _FieldNames, case) -> None:
    for name, finfo in ms.info.fields.items():
        if name not in names or (finfo.primary_key and (name == "id" or finfo.inherited_from)):
            continue
        kind = INTERNAL_TYPES.get(finfo.internal_type)
        if kind is None:
            continue
        gname = case(name)
        taken.claim(gname, f"'{name}'")
        scalar = ScalarField(gname, finfo, kind, enum=finfo.choices is not None)
        if name in rules.never_read:
            ms.write_only_scalars[gname] = scalar
        else:
            ms.scalars[gname] = scalar


def _add_relations(ms, names, rules, exposed, taken: _FieldNames, case) -> None:
    for name, rinfo in ms.info.relationships.items():
        if name not in names or rinfo.parent_link or rinfo.related_model not in exposed:
            continue
        gname = case(name)
        taken.claim(gname, f"'{name}'")
        relation = RelationField(gname, rinfo, rinfo.related_model)
        if name in rules.never_read:
            ms.write_only_relations[gname] = relation
        else:
            ms.relations[gname] = relation


def _add_computed(ms: ModelSchema, taken: _FieldNames, case) -> None:
    excluded = set(ms.config["EXCLUDE_FIELDS"] or ())
    for name, cinfo in ms.info.computed.items():
        if name in excluded:
            continue
        gname = case(cinfo.graphql_name)
        taken.claim(gname, f"'{name}' (@graphql_field)")
        ms.computed[gname] = ComputedField(gname, cinfo)


def _add_counts(ms: ModelSchema, taken: _FieldNames, case) -> None:
    """`<relation>_count`; a model field of that name wins (docs/naming.md)."""
    for relation in list(ms.relations.values()):
        if relation.many:
            gname = case(f"{relation.name}_count")
            if gname not in taken:
                ms.counts[gname] = CountField(gname, relation)
                taken.claim(gname, f"'{relation.name}_count'")


#: Input field prefixes derived from a relation's name (mutations/inputs.py), by its kind.
_INPUT_PREFIXES = {
    "forward_one": ("nested",),
    "forward_many": ("nested", "add", "remove"),
    "reverse": ("nested", "update", "delete"),
}


def _check_input_names(ms: ModelSchema, case: NameCase, schema: str) -> None:
    """A relation's derived input names (`nested_posts`, `add_tags`, ...) must not be the name
    of another field of the model: the input would silently carry only one of them."""
    fields = {**ms.scalars, **ms.write_only_scalars, **ms.relations, **ms.write_only_relations}
    for relation in (*ms.relations.values(), *ms.write_only_relations.values()):
        if relation.info.forward:
            kind = "forward_many" if relation.many else "forward_one"
        else:
            kind = "reverse"
        for prefix in _INPUT_PREFIXES[kind]:
            key = case(f"{prefix}_{relation.name}")
            if key in fields:
                raise ImproperlyConfigured(
                    f"Schema '{schema}': the input field '{key}' of {ms.info.label} would be "
                    f"both its field '{fields[key].name}' and the {prefix} input of its "
                    f"relation '{relation.name}'. Leave one out with EXCLUDE_FIELDS, rename "
                    "it, or set ENABLE_MUTATIONS to False for the model."
                )
