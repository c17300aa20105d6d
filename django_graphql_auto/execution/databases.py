"""Which databases a schema's operations touch."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, router


def databases_of(bundle: Any) -> list[str]:
    """The database aliases the schema's models read from and write to (by the routers)."""
    if not router.routers:
        return [DEFAULT_DB_ALIAS]
    found = set()
    for model in getattr(bundle, "models", {}):
        found.add(router.db_for_read(model) or DEFAULT_DB_ALIAS)
        found.add(router.db_for_write(model) or DEFAULT_DB_ALIAS)
    return sorted(found) or [DEFAULT_DB_ALIAS]
