"""
Minimal settings for running tests/test_conf.py on its own, without the example project:

    pytest tests/test_conf.py --ds=tests.conf_settings

test_conf.py sets INSTALLED_APPS itself, so it passes the same under the example settings.
"""

SECRET_KEY = "django-graphql-auto-conf-tests"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django_graphql_auto",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
