"""django-graphql-auto: a complete, secure and fast GraphQL API generated from Django models.

The public API is what this module lists; everything else is private.
"""

from django_graphql_auto.decorators import graphql_field, graphql_mutation

__version__ = "0.1.0.dev0"


def get_schema(name: str = "default"):
    """The built schema bundle of `name` (built on first use)."""
    from django_graphql_auto.schema.registry import get_schema as _get_schema

    return _get_schema(name)


def rebuild_schema(name: str | None = None) -> None:
    """Build one schema (or all) again now, without a restart."""
    from django_graphql_auto.schema.registry import rebuild_schema as _rebuild_schema

    _rebuild_schema(name)


__all__ = ["__version__", "get_schema", "graphql_field", "graphql_mutation", "rebuild_schema"]
