"""Test-only apps (`tests/oddities`, `tests/clashes`): installed, given tables and served by a
schema of their own for the tests that ask for them, and invisible to every other test.

They hold the models a real project has and the example project does not. Installing them for
the whole run would put them in every schema a test builds from its own settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test.utils import override_settings

from django_graphql_auto.schema.registry import clear_schemas

OPEN = {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]}


@contextmanager
def test_app(label: str, **schema_settings) -> Iterator[str]:
    """Install `tests.<label>`, create its tables, and serve it (readable and writable by
    anyone) as the schema `<label>` at `/<label>-graphql/`; yields that path. Tests using it
    need `django_db(transaction=True)`: tables cannot be created inside SQLite's transaction."""
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, f"tests.{label}"],
        ROOT_URLCONF="tests.urls",
        DJANGO_GRAPHQL_AUTO={
            **settings.DJANGO_GRAPHQL_AUTO,
            "EXCLUDE_APPS": [label],
            "SCHEMAS": {label: {"APPS": [label], "EXCLUDE_APPS": [], **schema_settings}},
        },
        GRAPHQL_AUTO_APPS={**settings.GRAPHQL_AUTO_APPS, label: OPEN},
    ):
        models = list(apps.get_app_config(label).get_models())
        with connection.schema_editor() as editor:
            for model in models:
                editor.create_model(model)
        clear_schemas()
        try:
            yield f"/{label}-graphql/"
        finally:
            clear_schemas()
            with connection.schema_editor() as editor:
                for model in reversed(models):
                    editor.delete_model(model)


test_app.__test__ = False  # a helper, not a test for pytest to collect
