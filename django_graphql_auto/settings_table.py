"""The table of every django-graphql-auto setting: name, default, accepted types, levels.

One declaration per key. The documentation (docs/settings.md) is rendered from it and the
system checks validate against it, so a key cannot exist in one place and not the other;
`conf.py` resolves the values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from types import NoneType
from typing import Any

from django.conf import settings

from django_graphql_auto.execution.limits.cost import field_costs_problem
from django_graphql_auto.permissions import BasePermission
from django_graphql_auto.security.rates import proxy_problem, rate_problem
from django_graphql_auto.security.roles import roles_problem
from django_graphql_auto.security.sanitize import attributes_problem, tags_problem

LEVELS = ("global", "schema", "app", "model")


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
def import_problem(value: Any) -> str | None:
    """A dotted path (or a list of them) that does not import: a typo would otherwise pass the
    checks and fail every request to the schema. Checked once the app registry is ready (a
    project's permission module may import its models)."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    if not apps.ready:
        return None
    for entry in value if isinstance(value, list | tuple) else [value]:
        if isinstance(entry, str):
            try:
                import_string(entry)
            except ImportError as error:
                return f"{entry!r} cannot be imported ({error})"
    return None


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
        validator=import_problem,
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
        validator=import_problem,
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
    SettingSpec(
        "PREPARED_STATEMENTS",
        True,
        (bool,),
        _GLOBAL_AND_SCHEMA,
        "Prepare query operations' SELECTs on PostgreSQL (psycopg 3): planned once per connection.",
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
