"""Minimal settings for ``schema_build.py``: the generated models and nothing else."""

SECRET_KEY = "benchmarks-only"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_graphql_auto",
    "benchmarks.bench_models",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DJANGO_GRAPHQL_AUTO = {"APPS": ["bench_models"]}
GRAPHQL_AUTO_APPS = {
    "bench_models": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]},
}
