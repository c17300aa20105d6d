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
in ``SCHEMAS`` > ``DJANGO_GRAPHQL_AUTO`` > the library default.

Every key is described once, in :data:`SETTINGS`; the documentation table is rendered from it and
the system checks validate against it, so a key cannot exist in one place and not the other. A key
that is unknown, misplaced or of the wrong type is an error (see :func:`find_problems`), never a
silent ignore: a misspelt ``EXCLUDE_FIELDS`` would otherwise publish the very fields it was meant to
hide.

The rest of the package reads settings only through :func:`load_schema_config`, which reads
``django.conf.settings`` at call time, so ``override_settings`` in tests and a schema rebuild see
the new values.
"""

from __future__ import annotations

import copy
import difflib
import reprlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from types import MappingProxyType, NoneType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from django_graphql_auto.execution.limits.cost import field_costs_problem
from django_graphql_auto.permissions import BasePermission
from django_graphql_auto.security.rates import proxy_problem, rate_problem
from django_graphql_auto.security.roles import roles_problem
from django_graphql_auto.security.sanitize import attributes_problem, tags_problem

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

LEVELS = ("global", "schema", "app", "model")

DEFAULT_SCHEMA = "default"

GLOBAL_SETTING = "DJANGO_GRAPHQL_AUTO"
APPS_SETTING = "GRAPHQL_AUTO_APPS"
MODELS_SETTING = "GRAPHQL_AUTO_MODELS"
META_CLASS = "GraphQLMeta"

# The library's own app is never exposed, even when listed in APPS: its models (refresh tokens,
# MFA devices) are internal bookkeeping.
_OWN_APP = "django_graphql_auto"


@dataclass(frozen=True)
class SettingSpec:
    """
    One documented setting: its default, what values it accepts and where it may appear.

    ``types`` lists the accepted Python types (``NoneType`` when ``None`` is allowed); ``bool`` is
    never accepted where only ``int`` is listed, although Python says a bool is an int.
    ``item_types`` additionally constrains the items of a list or tuple value, and ``minimum`` the
    smallest accepted number. ``validator`` checks the format of a value of the right type
    (a rate string, an IP network) and returns why it is wrong, or None.
    """

    name: str
    default: Any
    types: tuple[type, ...]
    levels: frozenset[str]
    description: str
    choices: tuple | None = None
    item_types: tuple[type, ...] | None = None
    minimum: int | None = None
    validator: Callable[[Any], str | None] | None = None


_EVERYWHERE = frozenset(LEVELS)
_GLOBAL_AND_SCHEMA = frozenset({"global", "schema"})
_APP_AND_MODEL = frozenset({"app", "model"})
_MODEL = frozenset({"model"})
_GLOBAL = frozenset({"global"})
_LIST = (list, tuple)
_NAMES = (str,)

# Keys whose values are field names of one model: at model level they can be checked against the
# model's fields.
_FIELD_NAME_KEYS = frozenset(
    {"FIELDS", "EXCLUDE_FIELDS", "ALLOW_SENSITIVE_FIELDS", "REGEX_FILTER_FIELDS", "SANITIZE_FIELDS"}
)

_SPECS = (
    # Which models are exposed.
    SettingSpec(
        "APPS",
        None,
        (*_LIST, NoneType),
        _GLOBAL_AND_SCHEMA,
        "App labels whose models are exposed; None means every installed app not part of Django.",
        item_types=_NAMES,
    ),
    SettingSpec(
        "EXCLUDE_APPS",
        [],
        _LIST,
        _GLOBAL_AND_SCHEMA,
        "App labels whose models are never exposed, even when listed in APPS.",
        item_types=_NAMES,
    ),
    SettingSpec(
        "EXCLUDE_MODELS",
        [],
        _LIST,
        _GLOBAL_AND_SCHEMA,
        'Model labels ("app_label.ModelName", case-insensitive) that are never exposed.',
        item_types=_NAMES,
    ),
    SettingSpec(
        "EXPOSE",
        True,
        (bool,),
        _APP_AND_MODEL,
        "Whether the app's or model's models are exposed at all (the model value wins).",
    ),
    SettingSpec(
        "FIELDS",
        None,
        (*_LIST, NoneType),
        _MODEL,
        "Explicit allow-list of field and relation names to expose; None exposes them all.",
        item_types=_NAMES,
    ),
    SettingSpec(
        "EXCLUDE_FIELDS",
        [],
        _LIST,
        _EVERYWHERE,
        "Field and relation names never exposed, read or written (e.g. internal_notes).",
        item_types=_NAMES,
    ),
    SettingSpec(
        "ALLOW_SENSITIVE_FIELDS",
        [],
        _LIST,
        _EVERYWHERE,
        'Field names containing "token" or "secret" that are exposed anyway (hidden by default).',
        item_types=_NAMES,
    ),
    SettingSpec(
        "TYPE_NAME",
        None,
        (str, NoneType),
        _MODEL,
        "GraphQL type name of the model; None uses the model name (app-prefixed on a clash).",
    ),
    SettingSpec(
        "PLURAL_NAME",
        None,
        (str, NoneType),
        _MODEL,
        "Plural used in the model's root field names; None derives it by English rules.",
    ),
    SettingSpec(
        "NAME_CASE",
        "snake",
        (str,),
        _GLOBAL_AND_SCHEMA,
        "Case of every generated GraphQL name: snake (post_pages) or camel (postPages).",
        choices=("snake", "camel"),
    ),
    # Security.
    SettingSpec(
        "ENABLE_AUTHENTICATION",
        True,
        (bool,),
        _EVERYWHERE,
        "Serve me, login, MFA and token mutations and accept JWTs (the schema's value counts).",
    ),
    # Authentication (docs/authentication.md).
    SettingSpec(
        "JWT_ALGORITHM",
        "HS256",
        (str,),
        _GLOBAL_AND_SCHEMA,
        "Algorithm that signs and alone is accepted on tokens; RS*/ES* need key files.",
        choices=("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512"),
    ),
    SettingSpec(
        "JWT_SECRET",
        None,
        (str, NoneType),
        _GLOBAL_AND_SCHEMA,
        "HMAC key of HS* tokens (32+ characters); None derives a sub-key from SECRET_KEY.",
        validator=lambda value: (
            None
            if value is None or len(value) >= 32
            else "must be at least 32 characters long (or None to derive one)"
        ),
    ),
    SettingSpec(
        "JWT_PRIVATE_KEY_FILE",
        None,
        (str, PurePath, NoneType),
        _GLOBAL_AND_SCHEMA,
        "PEM private key file that signs RS*/ES* tokens.",
    ),
    SettingSpec(
        "JWT_PUBLIC_KEY_FILE",
        None,
        (str, PurePath, NoneType),
        _GLOBAL_AND_SCHEMA,
        "PEM public key file that checks RS*/ES* tokens; None uses the private key's.",
    ),
    SettingSpec(
        "JWT_ISSUER",
        "django-graphql-auto",
        (str,),
        _GLOBAL_AND_SCHEMA,
        "The iss claim written into tokens and required on them.",
    ),
    SettingSpec(
        "JWT_AUDIENCE",
        "django-graphql-auto",
        (str,),
        _GLOBAL_AND_SCHEMA,
        "The aud claim written into tokens and required on them (differ per schema to isolate).",
    ),
    SettingSpec(
        "JWT_ACCESS_TOKEN_LIFETIME",
        300,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Seconds an access token is valid.",
        minimum=1,
    ),
    SettingSpec(
        "JWT_REFRESH_TOKEN_LIFETIME",
        604_800,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Seconds a refresh token is valid (each rotation issues one with the full lifetime).",
        minimum=1,
    ),
    SettingSpec(
        "JWT_LEEWAY",
        0,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Seconds of clock skew tolerated on exp, nbf and iat.",
        minimum=0,
    ),
    SettingSpec(
        "JWT_COOKIE",
        False,
        (bool,),
        _GLOBAL_AND_SCHEMA,
        "Send tokens as HttpOnly cookies (not in the response body); cookie requests need CSRF.",
    ),
    SettingSpec(
        "MFA_ISSUER",
        "django-graphql-auto",
        (str,),
        _GLOBAL_AND_SCHEMA,
        "Issuer name shown by authenticator apps (in the otpauth:// URI).",
    ),
    SettingSpec(
        "MFA_REQUIRED_ROLES",
        [],
        _LIST,
        _GLOBAL_AND_SCHEMA,
        "Group names whose members must use MFA: without it login returns mfa_setup_required.",
        item_types=_NAMES,
    ),
    SettingSpec(
        "MFA_TICKET_LIFETIME",
        300,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Seconds the mfa_ticket of a login stays valid.",
        minimum=1,
    ),
    SettingSpec(
        "MFA_TOTP_WINDOW",
        1,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "TOTP time steps (30 s) accepted before and after now, for clock drift.",
        minimum=0,
    ),
    SettingSpec(
        "MFA_BACKUP_CODES",
        10,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Number of one-time backup codes generated when MFA is confirmed.",
        minimum=1,
    ),
    SettingSpec(
        "ENABLE_REGISTRATION",
        False,
        (bool,),
        _GLOBAL_AND_SCHEMA,
        "Add the register mutation (Django's password validators apply).",
    ),
    SettingSpec(
        "ENABLE_PERMISSIONS",
        True,
        (bool,),
        _EVERYWHERE,
        "Enforce PERMISSION_CLASSES and object permissions on every path to the model.",
    ),
    SettingSpec(
        "PERMISSION_CLASSES",
        ["django_graphql_auto.permissions.DjangoModelPermissions"],
        _LIST,
        _EVERYWHERE,
        "Permission classes (dotted paths, classes or composed instances like IsAdminUser | "
        "ReadOnly) that must all allow an operation.",
        item_types=(str, type, BasePermission),
    ),
    # Authorization beyond PERMISSION_CLASSES (docs/permissions.md).
    SettingSpec(
        "OWNER_FIELD",
        None,
        (str, NoneType),
        _EVERYWHERE,
        'Lookup path to the owning user ("user", "author__user") for IsOwnerOrAdmin; None: the '
        "model's only foreign key to the user model.",
    ),
    SettingSpec(
        "FIELD_RULES",
        {},
        (dict,),
        _MODEL,
        "Field name to a rule: hidden, masked (the value shown), read_only or write_only, "
        "optionally lifted by unless_role / unless_permission.",
    ),
    SettingSpec(
        "ROLES",
        {},
        (dict,),
        _GLOBAL,
        'Role (Django group) name to {"permissions": ["app.codename", ...], "description": ...}; '
        "manage.py sync_roles creates and updates the groups.",
        validator=roles_problem,
    ),
    SettingSpec(
        "POLICY",
        "django_graphql_auto.security.policy.PermissionPolicy",
        (str, type),
        _GLOBAL_AND_SCHEMA,
        "Policy class (dotted path or class) that applies permissions on every path.",
    ),
    SettingSpec(
        "ENABLE_RATE_LIMITING",
        False,
        (bool,),
        _GLOBAL_AND_SCHEMA,
        "Charge every request to a per-user (or per-IP) budget; over it, HTTP 429 + Retry-After.",
    ),
    SettingSpec(
        "RATE_LIMIT_QUERIES",
        "120/minute",
        (str, NoneType),
        _GLOBAL_AND_SCHEMA,
        'Query budget per user or IP, "N/second|minute|hour|day"; None: unlimited.',
        validator=rate_problem,
    ),
    SettingSpec(
        "RATE_LIMIT_MUTATIONS",
        "30/minute",
        (str, NoneType),
        _GLOBAL_AND_SCHEMA,
        'Mutation budget per user or IP, "N/second|minute|hour|day"; None: unlimited.',
        validator=rate_problem,
    ),
    SettingSpec(
        "RATE_LIMIT_LOGIN",
        "10/minute",
        (str, NoneType),
        _GLOBAL_AND_SCHEMA,
        "Login attempts per client IP (with ENABLE_RATE_LIMITING); None: unlimited.",
        validator=rate_problem,
    ),
    SettingSpec(
        "RATE_LIMIT_BY_COST",
        False,
        (bool,),
        _GLOBAL_AND_SCHEMA,
        "Charge a query its computed cost instead of 1 (capped at the whole budget).",
    ),
    SettingSpec(
        "RATE_LIMIT_CACHE",
        "default",
        (str,),
        _GLOBAL_AND_SCHEMA,
        "CACHES alias holding the buckets and login counters (Redis: shared across processes).",
        validator=lambda alias: (
            None if alias in settings.CACHES else f"{alias!r} is not an alias in CACHES"
        ),
    ),
    SettingSpec(
        "TRUSTED_PROXIES",
        [],
        _LIST,
        _GLOBAL_AND_SCHEMA,
        "Proxy IPs/networks whose X-Forwarded-For is believed when finding the client IP.",
        item_types=_NAMES,
        validator=proxy_problem,
    ),
    SettingSpec(
        "LOGIN_FAILURE_LIMIT",
        5,
        (int, NoneType),
        _GLOBAL_AND_SCHEMA,
        "Failed logins that lock an account for LOGIN_LOCKOUT_SECONDS; None: never locked.",
        minimum=1,
    ),
    SettingSpec(
        "LOGIN_IP_FAILURE_LIMIT",
        50,
        (int, NoneType),
        _GLOBAL_AND_SCHEMA,
        "Failed logins (any account) that lock a client IP out of login; None: never locked.",
        minimum=1,
    ),
    SettingSpec(
        "LOGIN_LOCKOUT_SECONDS",
        900,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Window in which failures are counted, and how long a lock lasts, in seconds.",
        minimum=1,
    ),
    SettingSpec(
        "ENABLE_QUERY_ANALYSIS",
        True,
        (bool,),
        _EVERYWHERE,
        "Refuse documents over the query-analysis limits (the schema's value counts).",
    ),
    SettingSpec(
        "INTROSPECTION",
        None,
        (bool, NoneType),
        _GLOBAL_AND_SCHEMA,
        "Allow introspection queries and the SDL; None follows DEBUG.",
    ),
    SettingSpec(
        "GRAPHIQL",
        None,
        (bool, NoneType),
        _GLOBAL_AND_SCHEMA,
        "Serve GraphiQL to browsers on the GraphQL URL; None follows DEBUG.",
    ),
    SettingSpec(
        "DEBUG_ERRORS",
        None,
        (bool, NoneType),
        _GLOBAL_AND_SCHEMA,
        "Show internal error messages to clients; None follows DEBUG.",
    ),
    # Operations.
    SettingSpec(
        "ENABLE_MUTATIONS",
        True,
        (bool,),
        _EVERYWHERE,
        "Generate create, update and delete mutations for the model.",
    ),
    SettingSpec(
        "ENABLE_BULK_OPERATIONS",
        True,
        (bool,),
        _EVERYWHERE,
        "Generate bulk create, update and delete mutations for the model.",
    ),
    SettingSpec(
        "BULK_MAX_ITEMS",
        500,
        (int,),
        _EVERYWHERE,
        "Most items one bulk mutation accepts.",
        minimum=1,
    ),
    SettingSpec(
        "MAX_NESTED_DEPTH",
        4,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Deepest chain of nested creates/updates one mutation input may hold.",
        minimum=1,
    ),
    SettingSpec(
        "UPLOAD_MAX_BYTES",
        10_485_760,
        (int,),
        _EVERYWHERE,
        "Largest file accepted by an Upload input, in bytes.",
        minimum=1,
    ),
    SettingSpec(
        "UPLOAD_MAX_REQUEST_BYTES",
        52_428_800,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Largest multipart (file upload) request accepted, in bytes; larger ones get 413.",
        minimum=1,
    ),
    SettingSpec(
        "UPLOAD_ALLOWED_EXTENSIONS",
        ["pdf", "txt", "csv", "png", "jpg", "jpeg", "gif", "webp"],
        _LIST,
        _EVERYWHERE,
        "File name extensions an Upload input accepts (ImageField uploads must also be images).",
        item_types=_NAMES,
    ),
    # Pagination.
    SettingSpec(
        "DEFAULT_PAGE_SIZE",
        20,
        (int,),
        _EVERYWHERE,
        "Page size used when a list or page query does not give one.",
        minimum=1,
    ),
    SettingSpec(
        "MAX_PAGE_SIZE",
        100,
        (int,),
        _EVERYWHERE,
        "Largest limit or page_size accepted; larger values are refused, never clamped.",
        minimum=1,
    ),
    # Filters.
    SettingSpec(
        "REGEX_FILTER_FIELDS",
        [],
        _LIST,
        _EVERYWHERE,
        "Field names whose regex and iregex filter operators are enabled (off: ReDoS risk).",
        item_types=_NAMES,
    ),
    SettingSpec(
        "MAX_FILTER_DEPTH",
        6,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Deepest nesting of and/or/not and relation filters accepted.",
        minimum=1,
    ),
    SettingSpec(
        "MAX_FILTER_CONDITIONS",
        100,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Most leaf conditions one filters argument may hold.",
        minimum=1,
    ),
    # Query analysis (docs/limits.md); read at schema level, like ENABLE_QUERY_ANALYSIS.
    SettingSpec(
        "MAX_QUERY_DEPTH",
        10,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Deepest field an operation may reach, fragments included; a root field is at depth 1.",
        minimum=1,
    ),
    SettingSpec(
        "MAX_QUERY_COST",
        10_000,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Highest estimated cost of an operation: field weights, list fields times their size.",
        minimum=1,
    ),
    SettingSpec(
        "FIELD_COSTS",
        {},
        (dict,),
        _GLOBAL_AND_SCHEMA,
        'Weights of chosen fields, "Type.field" (GraphQL names) to an int; others weigh 1.',
        validator=field_costs_problem,
    ),
    SettingSpec(
        "MAX_ALIASES",
        30,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Most aliases one document may write.",
        minimum=0,
    ),
    SettingSpec(
        "MAX_ROOT_FIELDS",
        20,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Most root fields one operation may select, counted as written.",
        minimum=1,
    ),
    SettingSpec(
        "MAX_TOKENS",
        5_000,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Most lexical tokens (comments excluded) a document may have; counted before parsing.",
        minimum=1,
    ),
    SettingSpec(
        "MAX_DOCUMENT_BYTES",
        100_000,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Largest document accepted, in UTF-8 bytes; applies even without ENABLE_QUERY_ANALYSIS.",
        minimum=1,
    ),
    SettingSpec(
        "EXPOSE_QUERY_COST",
        False,
        (bool,),
        _GLOBAL_AND_SCHEMA,
        "Return the cost of each executed operation in the response's extensions.cost.",
    ),
    # Transport.
    SettingSpec(
        "DOCUMENT_CACHE_SIZE",
        1000,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Number of parsed and validated documents kept in memory; 0 disables the cache.",
        minimum=0,
    ),
    SettingSpec(
        "PERSISTED_QUERIES",
        "apq",
        (str,),
        _GLOBAL_AND_SCHEMA,
        "apq: automatic persisted queries; allowlist: only documents in ALLOWED_QUERIES_FILE; off.",
        choices=("apq", "allowlist", "off"),
    ),
    SettingSpec(
        "ALLOWED_QUERIES_FILE",
        None,
        (str, NoneType),
        _GLOBAL_AND_SCHEMA,
        "JSON file of sha256 hex -> document, the documents the allowlist mode accepts.",
    ),
    SettingSpec(
        "PERSISTED_QUERY_CACHE",
        "default",
        (str,),
        _GLOBAL_AND_SCHEMA,
        "Alias in CACHES that keeps automatic persisted queries.",
    ),
    SettingSpec(
        "PERSISTED_QUERY_TTL",
        86_400,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Seconds an automatic persisted query is remembered.",
        minimum=1,
    ),
    SettingSpec(
        "CACHE_TTL",
        0,
        (int,),
        _EVERYWHERE,
        "Seconds responses reading this model may be cached (0: never); writes invalidate them.",
        minimum=0,
    ),
    SettingSpec(
        "RESPONSE_CACHE",
        "default",
        (str,),
        _GLOBAL,
        "Alias in CACHES that keeps cached responses and the per-model write counters.",
    ),
    SettingSpec(
        "MAX_REQUEST_BYTES",
        1_048_576,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Largest request body accepted, in bytes; larger requests get 413.",
        minimum=1,
    ),
    # Input hygiene and timeouts (docs/security.md).
    SettingSpec(
        "SANITIZE_FIELDS",
        [],
        _LIST,
        _EVERYWHERE,
        "Field names whose string input is cleaned with nh3 (HTML sanitizer) before validation.",
        item_types=_NAMES,
    ),
    SettingSpec(
        "SANITIZE_TEXT_FIELDS",
        False,
        (bool,),
        _EVERYWHERE,
        "Clean the input of every TextField with nh3 too (off: it escapes plain text, a < b).",
    ),
    SettingSpec(
        "SANITIZE_ALLOWED_TAGS",
        None,
        (*_LIST, NoneType),
        _EVERYWHERE,
        "HTML tags sanitizing keeps (others are stripped, their text kept); None: nh3's defaults.",
        item_types=_NAMES,
        validator=tags_problem,
    ),
    SettingSpec(
        "SANITIZE_ALLOWED_ATTRIBUTES",
        None,
        (dict, NoneType),
        _EVERYWHERE,
        'Tag to the attribute names sanitizing keeps ("*": on every tag); None: nh3\'s defaults.',
        validator=attributes_problem,
    ),
    SettingSpec(
        "STATEMENT_TIMEOUT_MS",
        10_000,
        (int,),
        _GLOBAL_AND_SCHEMA,
        "Cancel an operation's SQL statement running longer, in ms (PostgreSQL, SQLite); 0: off.",
        minimum=0,
    ),
    # Several schemas.
    SettingSpec(
        "SCHEMAS",
        {},
        (dict,),
        _GLOBAL,
        "Extra named schemas (or overrides for 'default'): name to a dict of schema-level keys.",
    ),
)

SETTINGS: dict[str, SettingSpec] = {spec.name: spec for spec in _SPECS}

_MODEL_KEYS = tuple(name for name, spec in SETTINGS.items() if "model" in spec.levels)
_SCHEMA_KEYS = tuple(name for name, spec in SETTINGS.items() if "schema" in spec.levels)


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
_PROXY_INHERITED = frozenset({"ALLOW_SENSITIVE_FIELDS", "FIELDS"})

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
