"""Settings for the django-graphql-auto example project.

Everything that differs between a laptop, CI and a throwaway server comes from environment
variables, so the same file serves `make demo`, the SQLite test run and the PostgreSQL test run.
"""

import os
from pathlib import Path

import dj_database_url

# The ``example/`` directory: the default database and uploaded media live next to the code.
BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    """Read a boolean env var; only explicit "1"/"true" switch it on, so typos fail closed."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true"}


# Debug must be opted into: a forgotten variable should never leave tracebacks exposed.
DEBUG = env_flag("DJANGO_DEBUG")

SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY",
    "django-insecure-dev-only-key-for-the-django-graphql-auto-example-project",
)

_allowed_hosts_env = os.environ.get("DJANGO_ALLOWED_HOSTS", "")
if _allowed_hosts_env:
    ALLOWED_HOSTS = [host.strip() for host in _allowed_hosts_env.split(",") if host.strip()]
elif DEBUG:
    ALLOWED_HOSTS = ["*"]
else:
    # "testserver" keeps Django's test client working with DEBUG off.
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_graphql_auto",
    "blog",
    "clinic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# One variable selects the backend, so the test suite can be pointed at PostgreSQL unchanged.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The API's STATEMENT_TIMEOUT_MS (10 s by default) set once per connection: the library
    # then has nothing to set per request (see docs/security.md, "Timeouts").
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c statement_timeout=10000"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-graphql-auto: the demo opens read access to its two apps; everything else stays closed.
DJANGO_GRAPHQL_AUTO = {
    "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
}
GRAPHQL_AUTO_APPS = {
    "blog": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]},
    "clinic": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]},
}
GRAPHQL_AUTO_MODELS = {
    "blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]},
    # Permissions are created by migrate, not by API clients (their content type is not exposed).
    "auth.Permission": {"ENABLE_MUTATIONS": False},
}
