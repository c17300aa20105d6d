"""
The settings hierarchy of django-graphql-auto.

Settings come from four places, from the least to the most specific::

    DJANGO_GRAPHQL_AUTO = {...}                    # global, with optional "SCHEMAS": {name: {...}}
    GRAPHQL_AUTO_APPS = {"shop": {...}}            # per app label
    GRAPHQL_AUTO_MODELS = {"shop.Order": {...}}    # per model label (case-insensitive)
    class Order(models.Model):
        class GraphQLMeta: ...                     # per model, in code

For a model the most specific value wins, by replacement (lists are never merged):
``GRAPHQL_AUTO_MODELS`` entry > ``GraphQLMeta`` > ``GRAPHQL_AUTO_APPS`` entry > the schema's entry
in ``SCHEMAS`` > ``DJANGO_GRAPHQL_AUTO`` > the library default. One exception protects columns:
a proxy or multi-table child also takes its ancestors' ``EXCLUDE_FIELDS``, ``SANITIZE_FIELDS``
and ``FIELD_RULES``, merged with its own (it shows the same columns).

Every key is described once, in :data:`SETTINGS` (declared in ``settings_table.py``); the
documentation table is rendered from it and the system checks validate against it, so a key
cannot exist in one place and not the other. A key that is unknown, misplaced or of the wrong type
is an error (see :func:`find_problems`), never a silent ignore: a misspelt ``EXCLUDE_FIELDS``
would otherwise publish the very fields it was meant to hide.

The rest of the package reads settings only through :func:`load_schema_config`, which reads
``django.conf.settings`` at call time, so ``override_settings`` in tests and a schema rebuild see
the new values.
"""

from __future__ import annotations

import copy
import difflib
import reprlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from types import MappingProxyType, NoneType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from django_graphql_auto.permissions import BasePermission
from django_graphql_auto.settings_table import (
    _FIELD_NAME_KEYS,
    _LIST,
    _MODEL_KEYS,
    _SCHEMA_KEYS,
    LEVELS,
    SETTINGS,
    SettingSpec,
)

__all__ = [
    "DEFAULT_SCHEMA",
    "LEVELS",
    "SETTINGS",
    "ModelConfig",
    "Problem",
    "SchemaConfig",
    "SettingSpec",
    "find_problems",
    "load_schema_config",
    "schema_names",
]


DEFAULT_SCHEMA = "default"

GLOBAL_SETTING = "DJANGO_GRAPHQL_AUTO"
APPS_SETTING = "GRAPHQL_AUTO_APPS"
MODELS_SETTING = "GRAPHQL_AUTO_MODELS"
META_CLASS = "GraphQLMeta"

# The library's own app is never exposed, even when listed in APPS: its models (refresh tokens,
# MFA devices) are internal bookkeeping.
_OWN_APP = "django_graphql_auto"


@dataclass(frozen=True)
class Problem:
    """
    Something wrong with the configuration.

    ``id`` is "E001"-style (an error) or "W001"-style (a warning); ``message`` names the setting
    and where it was found, so it reads on its own in an exception as well as in ``manage.py
    check``.
    """

    id: str
    message: str
    hint: str | None = None
    obj: Any = None

    @property
    def is_error(self) -> bool:
        return self.id.startswith("E")

    def __str__(self) -> str:
        text = f"({self.id}) {self.message}"
        return f"{text} HINT: {self.hint}" if self.hint else text


@dataclass(frozen=True)
class ModelConfig:
    """The resolved settings of one exposed model within one schema."""

    model: type[models.Model]
    label: str
    values: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise KeyError(f"{key!r} is not a model-level django-graphql-auto setting") from None


@dataclass(frozen=True)
class SchemaConfig:
    """
    The resolved settings of one schema and the models it exposes.

    ``values`` holds every key allowed at schema level (the schema's ``SCHEMAS`` entry over
    ``DJANGO_GRAPHQL_AUTO`` over the default); ``models`` is in a stable order: apps in
    ``INSTALLED_APPS`` order, then models in definition order.
    """

    name: str
    values: Mapping[str, Any]
    models: tuple[ModelConfig, ...]
    _by_label: Mapping[str, ModelConfig] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {config.model._meta.label_lower: config for config in self.models}
        object.__setattr__(self, "_by_label", MappingProxyType(index))

    def __getitem__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise KeyError(f"{key!r} is not a schema-level django-graphql-auto setting") from None

    def for_model(self, model: type[models.Model] | models.Model | str) -> ModelConfig | None:
        """Return the model's config, or None when this schema does not expose it.

        Accepts a model class, an instance or a label ("blog.Post", case-insensitive).
        """
        if isinstance(model, str):
            return self._by_label.get(model.lower())
        if not isinstance(model, type):
            model = type(model)
        config = self._by_label.get(model._meta.label_lower)
        return config if config is not None and config.model is model else None


# --- Reading and validating ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    """Where a group of settings was found, for messages ("GRAPHQL_AUTO_APPS['shop']")."""

    text: str
    attributes: bool = False  # GraphQLMeta: keys are class attributes, any case

    def key(self, name: Any) -> str:
        return f"{self.text}.{name}" if self.attributes else f"{self.text}[{name!r}]"


@dataclass
class _Snapshot:
    """The valid part of every source of settings, plus the problems met reading them."""

    problems: list[Problem]
    global_values: dict[str, Any]
    schemas: dict[str, tuple[str, dict[str, Any]]]
    apps: dict[str, tuple[str, dict[str, Any]]]
    models: dict[str, tuple[str, dict[str, Any]]]
    metas: dict[str, tuple[str, dict[str, Any]]]


_MISSING = object()
_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 40

_TYPE_WORDS = {
    bool: ("a bool", "bool"),
    int: ("an int", "int"),
    str: ("a str", "str"),
    type: ("a class", "class"),
    dict: ("a dict", "dict"),
    PurePath: ("a path", "path"),
    BasePermission: ("a permission", "permission instance"),
    NoneType: ("None", "None"),
}


def _describe(types: tuple[type, ...], item_types: tuple[type, ...] | None = None) -> str:
    """Say in words what ``types`` accepts: "None or a list or tuple of str"."""
    words = ["None"] if NoneType in types else []
    if any(t in _LIST for t in types):
        listed = "a list or tuple"
        if item_types:
            items = (_TYPE_WORDS.get(t, (t.__name__, t.__name__))[1] for t in item_types)
            listed += " of " + " or ".join(items)
        words.append(listed)
    words += [_TYPE_WORDS.get(t, (t.__name__,))[0] for t in types if t not in (*_LIST, NoneType)]
    return " or ".join(words)


def _matches(value: Any, types: Iterable[type]) -> bool:
    types = tuple(types)
    if isinstance(value, bool) and bool not in types:
        return False
    return any(isinstance(value, Mapping if t is dict else t) for t in types)


def _close(word: Any, candidates: Iterable[str]) -> str | None:
    if not isinstance(word, str):
        return None
    candidates = list(candidates)
    exact = [c for c in candidates if c.lower() == word.lower()]
    matches = exact or difflib.get_close_matches(word, candidates, n=1)
    return f"Did you mean {matches[0]!r}?" if matches else None


def _level_places(spec: SettingSpec) -> str:
    places = {
        "global": GLOBAL_SETTING,
        "schema": f"{GLOBAL_SETTING}['SCHEMAS'][<name>]",
        "app": APPS_SETTING,
        "model": f"{MODELS_SETTING} or {META_CLASS}",
    }
    return ", ".join(places[level] for level in LEVELS if level in spec.levels)


def _check_value(spec: SettingSpec, value: Any, path: str, problems: list[Problem]) -> bool:
    """Check one value against its spec; return whether it is usable."""
    if not _matches(value, spec.types):
        problems.append(
            Problem(
                "E002",
                f"{path} must be {_describe(spec.types, spec.item_types)}, "
                f"not {type(value).__name__} ({_repr.repr(value)}).",
            )
        )
        return False
    if spec.item_types and isinstance(value, _LIST):
        for index, item in enumerate(value):
            if not _matches(item, spec.item_types):
                problems.append(
                    Problem(
                        "E002",
                        f"{path} must be {_describe(spec.types, spec.item_types)}; item {index} "
                        f"is {type(item).__name__} ({_repr.repr(item)}).",
                    )
                )
                return False
    if spec.choices is not None and value not in spec.choices:
        allowed = ", ".join(repr(choice) for choice in spec.choices)
        problems.append(
            Problem("E004", f"{path} must be one of {allowed}, not {_repr.repr(value)}.")
        )
        return False
    if spec.minimum is not None and isinstance(value, int) and value < spec.minimum:
        problems.append(Problem("E007", f"{path} must be at least {spec.minimum}, not {value}."))
        return False
    if spec.validator is not None:
        problem = spec.validator(value)
        if problem is not None:
            problems.append(Problem("E008", f"{path}: {problem}."))
            return False
    return True


def _validate(
    entries: Mapping[Any, Any], where: _Where, level: str, problems: list[Problem]
) -> dict[str, Any]:
    """Check one group of settings at one level; return its valid part, keyed by setting name."""
    clean: dict[str, Any] = {}
    for raw_key, value in entries.items():
        key = raw_key.upper() if where.attributes and isinstance(raw_key, str) else raw_key
        spec = SETTINGS.get(key) if isinstance(key, str) else None
        if spec is None:
            problems.append(
                Problem(
                    "E001",
                    f"{where.text}: unknown setting {raw_key!r}.",
                    hint=_close(key, SETTINGS),
                )
            )
            continue
        if level not in spec.levels:
            problems.append(
                Problem(
                    "E003",
                    f"{where.text}: setting {raw_key!r} is not allowed at {level} level.",
                    hint=f"{key} may appear in {_level_places(spec)}.",
                )
            )
            continue
        if _check_value(spec, value, where.key(raw_key), problems):
            clean[key] = value
    return clean


def _top_level(name: str, problems: list[Problem]) -> Mapping[Any, Any]:
    value = getattr(settings, name, _MISSING)
    if value is _MISSING:
        return {}
    if not isinstance(value, Mapping):
        problems.append(Problem("E006", f"{name} must be a dict, not {type(value).__name__}."))
        return {}
    return value


def _graphql_meta(model: type[models.Model]) -> Any:
    """
    Return the GraphQLMeta that applies to ``model``, or None.

    A GraphQLMeta is inherited from abstract parents and plain mixins, like Django's ``Meta``, but
    not from a concrete parent: a proxy or multi-table child is another GraphQL type and must not
    silently take over its parent's TYPE_NAME or FIELDS.
    """
    for klass in model.__mro__:
        if (
            klass is not model
            and issubclass(klass, models.Model)
            and klass is not models.Model
            and not klass._meta.abstract
        ):
            return None
        if META_CLASS in vars(klass):
            return vars(klass)[META_CLASS]
    return None


def _field_names(model: type[models.Model]) -> set[str]:
    """Names by which settings may refer to a model's fields and relations."""
    names: set[str] = set()
    for model_field in model._meta.get_fields(include_hidden=True):
        names.add(model_field.name)
        attname = getattr(model_field, "attname", None)
        if attname:
            names.add(attname)
        if model_field.is_relation and model_field.auto_created and not model_field.concrete:
            names.add(model_field.get_accessor_name() or model_field.name)
    from django_graphql_auto.introspection import inspect_model  # computed (@graphql_field) ones

    names.update(inspect_model(model).computed)
    return names


def _check_field_names(
    model: type[models.Model], values: Mapping[str, Any], where: _Where, problems: list[Problem]
) -> None:
    known = None
    for key in _FIELD_NAME_KEYS.intersection(values):
        for name in values[key] or ():
            if known is None:
                known = _field_names(model)
            if name not in known:
                problems.append(
                    Problem(
                        "E005",
                        f"{where.key(key)}: {name!r} is not a field of {model._meta.label}.",
                        hint=_close(name, sorted(known)),
                    )
                )


def _check_authorization(
    model: type[models.Model], values: dict[str, Any], where: _Where, problems: list[Problem]
) -> None:
    """FIELD_RULES and OWNER_FIELD at model level must fit the model: a rule on a misspelt
    field would leave the real one readable."""
    from django_graphql_auto.permissions import owner_path_problem
    from django_graphql_auto.security import field_rules

    if "FIELD_RULES" in values:
        found = field_rules.problems(model, values["FIELD_RULES"])
        for message, candidates in found:
            name = message.split("'")[1] if message.startswith("'") else None
            problems.append(
                Problem(
                    "E005" if candidates else "E008",
                    f"{where.key('FIELD_RULES')}: {message}.",
                    hint=_close(name, candidates) if candidates else None,
                )
            )
        if found:
            del values["FIELD_RULES"]
    owner = values.get("OWNER_FIELD")
    if owner is not None:
        problem = owner_path_problem(model, owner)
        if problem is not None:
            problems.append(Problem("E005", f"{where.key('OWNER_FIELD')}: {problem}."))
            del values["OWNER_FIELD"]


def _installed_models() -> dict[str, type[models.Model]]:
    return {
        model._meta.label_lower: model
        for model in apps.get_models(include_auto_created=True, include_swapped=True)
    }


def _check_references(
    values: Mapping[str, Any],
    where: _Where,
    app_labels: Iterable[str],
    model_labels: Mapping[str, Any],
    problems: list[Problem],
) -> None:
    """APPS, EXCLUDE_APPS and EXCLUDE_MODELS must name things that exist: a typo would expose."""
    app_labels = list(app_labels)
    for key in ("APPS", "EXCLUDE_APPS"):
        for label in values.get(key) or ():
            if label not in app_labels:
                problems.append(
                    Problem(
                        "E005",
                        f"{where.key(key)}: {label!r} is not an installed app label.",
                        hint=_close(label, app_labels),
                    )
                )
    for label in values.get("EXCLUDE_MODELS") or ():
        if label.lower() not in model_labels:
            problems.append(
                Problem(
                    "E005",
                    f"{where.key('EXCLUDE_MODELS')}: {label!r} is not an installed model "
                    "('app_label.ModelName').",
                    hint=_close(label, [m._meta.label for m in model_labels.values()]),
                )
            )


def _read() -> _Snapshot:
    problems: list[Problem] = []
    app_labels = [app_config.label for app_config in apps.get_app_configs()]
    installed = _installed_models()

    # Global and schema levels.
    where = _Where(GLOBAL_SETTING)
    global_values = _validate(_top_level(GLOBAL_SETTING, problems), where, "global", problems)
    _check_references(global_values, where, app_labels, installed, problems)
    schemas: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, entries in global_values.pop("SCHEMAS", {}).items():
        where = _Where(f"{GLOBAL_SETTING}['SCHEMAS'][{name!r}]")
        if not isinstance(name, str) or not name:
            problems.append(
                Problem("E002", f"{where.text}: a schema name must be a non-empty str.")
            )
            continue
        if not isinstance(entries, Mapping):
            problems.append(
                Problem("E002", f"{where.text} must be a dict, not {type(entries).__name__}.")
            )
            continue
        values = _validate(entries, where, "schema", problems)
        _check_references(values, where, app_labels, installed, problems)
        schemas[name] = (where.text, values)

    # App level.
    app_settings: dict[str, tuple[str, dict[str, Any]]] = {}
    for label, entries in _top_level(APPS_SETTING, problems).items():
        where = _Where(f"{APPS_SETTING}[{label!r}]")
        if label not in app_labels:
            problems.append(
                Problem(
                    "E005",
                    f"{APPS_SETTING}: {label!r} is not an installed app label.",
                    hint=_close(label, app_labels),
                )
            )
        if not isinstance(entries, Mapping):
            problems.append(
                Problem("E002", f"{where.text} must be a dict, not {type(entries).__name__}.")
            )
            continue
        values = _validate(entries, where, "app", problems)
        if label in app_labels:
            app_settings[label] = (where.text, values)

    # Model level, from settings.
    model_settings: dict[str, tuple[str, dict[str, Any]]] = {}
    for label, entries in _top_level(MODELS_SETTING, problems).items():
        where = _Where(f"{MODELS_SETTING}[{label!r}]")
        model = installed.get(label.lower()) if isinstance(label, str) else None
        if model is None:
            problems.append(
                Problem(
                    "E005",
                    f"{MODELS_SETTING}: {label!r} is not an installed model "
                    "('app_label.ModelName').",
                    hint=_close(label, [m._meta.label for m in installed.values()]),
                )
            )
        if not isinstance(entries, Mapping):
            problems.append(
                Problem("E002", f"{where.text} must be a dict, not {type(entries).__name__}.")
            )
            continue
        values = _validate(entries, where, "model", problems)
        if model is not None:
            _check_field_names(model, values, where, problems)
            _check_authorization(model, values, where, problems)
            model_settings[model._meta.label_lower] = (where.text, values)

    # Model level, from GraphQLMeta.
    metas: dict[str, tuple[str, dict[str, Any]]] = {}
    for model in apps.get_models(include_swapped=True):
        meta = _graphql_meta(model)
        if meta is None:
            continue
        where = _Where(f"{model._meta.label}.{META_CLASS}", attributes=True)
        if not isinstance(meta, type):
            problems.append(
                Problem("E002", f"{where.text} must be a class, not {type(meta).__name__}.")
            )
            continue
        entries = {key: value for key, value in vars(meta).items() if not key.startswith("_")}
        values = _validate(entries, where, "model", problems)
        _check_field_names(model, values, where, problems)
        _check_authorization(model, values, where, problems)
        metas[model._meta.label_lower] = (where.text, values)

    return _Snapshot(problems, global_values, schemas, app_settings, model_settings, metas)


# --- Resolving ----------------------------------------------------------------------------------

_DEFAULT_ORIGIN = "the default"

# (where, values), most specific first.
_Layers = list[tuple[str, Mapping[str, Any]]]


def _resolve(keys: Iterable[str], layers: _Layers) -> dict[str, tuple[Any, str]]:
    """Return {key: (value, where it came from)}: the first layer that sets a key wins."""
    resolved = {}
    for key in keys:
        for where, values in layers:
            if key in values:
                resolved[key] = (values[key], where)
                break
        else:
            resolved[key] = (copy.deepcopy(SETTINGS[key].default), _DEFAULT_ORIGIN)
    return resolved


def _schema_layers(snapshot: _Snapshot, name: str) -> _Layers:
    layers: _Layers = []
    if name in snapshot.schemas:
        layers.append(snapshot.schemas[name])
    layers.append((GLOBAL_SETTING, snapshot.global_values))
    return layers


#: Keys a proxy model takes from its concrete model's own settings when it does not set them:
#: the proxy reads the same columns, so what hides a column must hide it there too.
#: A proxy reads the concrete model's rows and columns: unless it sets its own, it takes the
#: concrete model's access rules too (else a proxy would be a way around them).
_PROXY_INHERITED = frozenset(
    {"ALLOW_SENSITIVE_FIELDS", "FIELDS", "PERMISSION_CLASSES", "OWNER_FIELD"}
)

#: Keys that protect columns. A proxy or a multi-table child shows its ancestors' columns, so it
#: gets their values too, merged with its own (lists united; per-field rules: its own win).
_PROTECTING_KEYS = ("EXCLUDE_FIELDS", "SANITIZE_FIELDS", "FIELD_RULES")


def _ancestors(model: type[models.Model]) -> list[type[models.Model]]:
    concrete = model._meta.concrete_model
    return ([concrete] if model._meta.proxy else []) + list(concrete._meta.get_parent_list())


def _with_ancestor_protection(
    snapshot: _Snapshot, model: type[models.Model], values: dict[str, Any]
) -> dict[str, Any]:
    for ancestor in _ancestors(model):
        label = ancestor._meta.label_lower
        for source in (snapshot.models, snapshot.metas):
            if label not in source:
                continue
            _, settings_of_ancestor = source[label]
            for key in _PROTECTING_KEYS:
                inherited = settings_of_ancestor.get(key)
                if not inherited:
                    continue
                if key == "FIELD_RULES":
                    values[key] = {**inherited, **values[key]}
                else:
                    values[key] = list(dict.fromkeys([*values[key], *inherited]))
    return values


def _model_layers(snapshot: _Snapshot, model: type[models.Model], schema: _Layers) -> _Layers:
    label = model._meta.label_lower
    layers: _Layers = []
    for source, key in ((snapshot.models, label), (snapshot.metas, label)):
        if key in source:
            layers.append(source[key])
    if model._meta.proxy:
        concrete = model._meta.concrete_model._meta.label_lower
        for source in (snapshot.models, snapshot.metas):
            if concrete in source:
                where, values = source[concrete]
                inherited = {k: v for k, v in values.items() if k in _PROXY_INHERITED}
                if inherited:
                    layers.append((where, inherited))
    if model._meta.app_label in snapshot.apps:
        layers.append(snapshot.apps[model._meta.app_label])
    return layers + schema


def _is_django_app(app_config: Any) -> bool:
    return app_config.name == "django" or app_config.name.startswith("django.")


def _is_own_app(app_config: Any) -> bool:
    return app_config.name == _OWN_APP or app_config.name.startswith(_OWN_APP + ".")


def _exposed(
    snapshot: _Snapshot, schema: _Layers
) -> Iterator[tuple[type[models.Model], dict[str, tuple[Any, str]]]]:
    """
    Yield each model the schema exposes, with its resolved settings.

    APPS, EXCLUDE_APPS and EXCLUDE_MODELS select at schema level and always win; EXPOSE follows
    the hierarchy, so a model may set ``EXPOSE: True`` inside an app with ``EXPOSE: False``.
    """
    values = {key: value for key, (value, _) in _resolve(_SCHEMA_KEYS, schema).items()}
    selected = values["APPS"]
    excluded_apps = set(values["EXCLUDE_APPS"])
    excluded_models = {label.lower() for label in values["EXCLUDE_MODELS"]}
    for app_config in apps.get_app_configs():
        if _is_own_app(app_config):
            continue  # refresh tokens, MFA devices: never exposed, even when listed in APPS
        if selected is None:
            if _is_django_app(app_config):
                continue
        elif app_config.label not in selected:
            continue
        if app_config.label in excluded_apps:
            continue
        # get_models() leaves out auto-created many-to-many tables and swapped models.
        for model in app_config.get_models():
            opts = model._meta
            if opts.abstract or opts.auto_created or opts.swapped:
                continue
            if opts.label_lower in excluded_models:
                continue
            resolved = _resolve(_MODEL_KEYS, _model_layers(snapshot, model, schema))
            if resolved["EXPOSE"][0]:
                yield model, resolved


def _names(snapshot: _Snapshot) -> tuple[str, ...]:
    return (DEFAULT_SCHEMA, *(name for name in snapshot.schemas if name != DEFAULT_SCHEMA))


def _check_page_sizes(snapshot: _Snapshot, problems: list[Problem]) -> None:
    """DEFAULT_PAGE_SIZE may not exceed MAX_PAGE_SIZE wherever the two end up together."""
    seen = set()

    def check(resolved: Mapping[str, tuple[Any, str]]) -> None:
        (default, default_from), (maximum, maximum_from) = (
            resolved["DEFAULT_PAGE_SIZE"],
            resolved["MAX_PAGE_SIZE"],
        )
        key = (default, default_from, maximum, maximum_from)
        if default > maximum and key not in seen:
            seen.add(key)
            problems.append(
                Problem(
                    "E007",
                    f"DEFAULT_PAGE_SIZE ({default}, from {default_from}) is greater than "
                    f"MAX_PAGE_SIZE ({maximum}, from {maximum_from}).",
                    hint="Lower DEFAULT_PAGE_SIZE or raise MAX_PAGE_SIZE at the same level.",
                )
            )

    for name in _names(snapshot):
        schema = _schema_layers(snapshot, name)
        check(_resolve(("DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE"), schema))
        for _model, resolved in _exposed(snapshot, schema):
            check(resolved)


# --- Public API ---------------------------------------------------------------------------------


def schema_names() -> tuple[str, ...]:
    """Names of the configured schemas: "default" first, then the SCHEMAS keys in order."""
    return _names(_read())


def _problems(snapshot: _Snapshot) -> list[Problem]:
    problems = list(snapshot.problems)
    _check_page_sizes(snapshot, problems)
    return problems


def find_problems() -> list[Problem]:
    """
    Return everything wrong with the configuration, for the system checks.

    Never raises on malformed settings: each malformed part is reported and left out.
    """
    return _problems(_read())


def load_schema_config(name: str = DEFAULT_SCHEMA) -> SchemaConfig:
    """
    Resolve the settings of schema ``name`` and of every model it exposes.

    Raises ImproperlyConfigured when the configuration has errors, rather than serving an API
    built from a guess, and for an unknown schema name.
    """
    snapshot = _read()
    errors = [problem for problem in _problems(snapshot) if problem.is_error]
    if errors:
        listed = "\n".join(f"  {problem}" for problem in errors)
        raise ImproperlyConfigured(
            f"django-graphql-auto settings are invalid (see `manage.py check`):\n{listed}"
        )
    names = _names(snapshot)
    if name not in names:
        raise ImproperlyConfigured(
            f"Unknown GraphQL schema {name!r}; configured schemas: {', '.join(names)}."
        )
    schema = _schema_layers(snapshot, name)
    values = {key: value for key, (value, _) in _resolve(_SCHEMA_KEYS, schema).items()}
    configs = tuple(
        ModelConfig(
            model=model,
            label=model._meta.label,
            values=MappingProxyType(
                _with_ancestor_protection(
                    snapshot, model, {key: value for key, (value, _) in resolved.items()}
                )
            ),
        )
        for model, resolved in _exposed(snapshot, schema)
    )
    return SchemaConfig(name=name, values=MappingProxyType(values), models=configs)
