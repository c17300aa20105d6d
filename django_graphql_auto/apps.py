from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db.models.signals import post_migrate

#: Settings whose change makes every built schema stale.
SCHEMA_SETTINGS = frozenset(
    {
        "DJANGO_GRAPHQL_AUTO",
        "GRAPHQL_AUTO_APPS",
        "GRAPHQL_AUTO_MODELS",
        "INSTALLED_APPS",
        "DEBUG",
    }
)


def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting in SCHEMA_SETTINGS:
        from django_graphql_auto.execution import response_cache
        from django_graphql_auto.schema.registry import clear_schemas

        clear_schemas()
        response_cache.reset()


def _migrated(**kwargs) -> None:
    from django_graphql_auto.schema.registry import clear_schemas

    clear_schemas()


class GraphQLAutoConfig(AppConfig):
    name = "django_graphql_auto"
    label = "django_graphql_auto"
    verbose_name = "GraphQL auto API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the modules registers the settings checks and the deploy checks.
        from django_graphql_auto.execution.response_cache import connect_signals

        from . import checks, production_checks  # noqa: F401

        connect_signals()
        setting_changed.connect(_settings_changed, dispatch_uid="django_graphql_auto.settings")
        post_migrate.connect(_migrated, dispatch_uid="django_graphql_auto.migrate")
