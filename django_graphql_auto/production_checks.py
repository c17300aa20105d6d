"""Deploy checks (``manage.py check --deploy``): settings that are right while developing and
unsafe once ``DEBUG`` is off (SPEC §9).

They are deploy checks, as Django's own ``security.W*`` are: a development machine is not
bothered, and a deployment pipeline that runs ``check --deploy --fail-level WARNING`` stops on
them. Each one names the schema and the setting, and says what to set instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.cache.backends.locmem import LocMemCache

from django_graphql_auto import conf

TAG = "django_graphql_auto"
_ALLOW_ANY = "django_graphql_auto.permissions.AllowAny"


def _dotted(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    return f"{entry.__module__}.{entry.__qualname__}"


def _cache_backend(alias: str) -> Any:
    """The backend class behind a cache alias, without connecting to it."""
    from django.utils.module_loading import import_string

    backend = settings.CACHES.get(alias, {}).get("BACKEND")
    return import_string(backend) if backend else None


def _problems(name: str, config: Any) -> list[tuple[str, str, str]]:
    """(id, message, hint) for each unsafe setting of schema ``name``."""
    found = []
    for key, check_id, what in (
        ("INTROSPECTION", "W301", "answers introspection, so anyone can read the whole schema"),
        ("GRAPHIQL", "W302", "serves GraphiQL to browsers"),
        ("DEBUG_ERRORS", "W303", "shows internal error messages to clients"),
    ):
        if config[key] is True:
            found.append(
                (
                    check_id,
                    f"{key} is True: the API {what} although DEBUG is off.",
                    f"Set {key} to None (follow DEBUG) or False.",
                )
            )
    if not config["ENABLE_RATE_LIMITING"]:
        found.append(
            (
                "W304",
                "ENABLE_RATE_LIMITING is off: no client is held to a request budget.",
                "Set ENABLE_RATE_LIMITING = True with RATE_LIMIT_QUERIES / _MUTATIONS (see "
                "docs/rate-limits.md).",
            )
        )
    backend = _cache_backend(config["RATE_LIMIT_CACHE"])
    if backend is not None and issubclass(backend, LocMemCache):
        found.append(
            (
                "W305",
                f"RATE_LIMIT_CACHE '{config['RATE_LIMIT_CACHE']}' is a local-memory cache: each "
                "worker process keeps its own budgets and login-failure counts, so N workers let "
                "N times the limit through.",
                "Point RATE_LIMIT_CACHE at a Redis (or memcached) cache shared by the workers.",
            )
        )
    if not config["STATEMENT_TIMEOUT_MS"]:
        found.append(
            (
                "W306",
                "STATEMENT_TIMEOUT_MS is 0: an SQL statement may run for as long as the database "
                "lets it.",
                "Keep the default (10000) or set a limit (see docs/security.md).",
            )
        )
    if _ALLOW_ANY in {_dotted(entry) for entry in config["PERMISSION_CLASSES"]}:
        found.append(
            (
                "W307",
                "PERMISSION_CLASSES of the whole schema include AllowAny: every exposed model "
                "can be read and written by anonymous clients unless it says otherwise.",
                "Open models or apps one by one (PERMISSION_CLASSES in GRAPHQL_AUTO_APPS / "
                "GRAPHQL_AUTO_MODELS), and prefer ReadOnly for anonymous reading.",
            )
        )
    return found


@checks.register(TAG, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """W301 to W307, for each schema, when DEBUG is off (Django's deploy checks warn about DEBUG
    itself)."""
    if settings.DEBUG or any(p.is_error for p in conf.find_problems()):
        return []  # settings errors are reported by check_settings first
    messages: list[checks.CheckMessage] = []
    for name in conf.schema_names():
        config = conf.load_schema_config(name)
        for check_id, message, hint in _problems(name, config):
            messages.append(
                checks.Warning(f"Schema '{name}': {message}", hint=hint, id=f"{TAG}.{check_id}")
            )
    return messages
