"""Built schemas, one per schema name, built lazily and swapped atomically on rebuild.

Nothing is built at import time: the first request (or `get_schema()`) builds, and
`rebuild_schema()` replaces the bundle without a restart. Settings changes in tests and
migrations drop the cache so the next request sees the new models and rules.
"""

from __future__ import annotations

import threading

from django_graphql_auto.conf import load_schema_config, schema_names
from django_graphql_auto.schema.builder import SchemaBundle, build_schema

_bundles: dict[str, SchemaBundle] = {}
_lock = threading.Lock()


def get_schema(name: str = "default") -> SchemaBundle:
    bundle = _bundles.get(name)
    if bundle is None:
        with _lock:
            bundle = _bundles.get(name)
            if bundle is None:
                bundle = build_schema(load_schema_config(name))
                _bundles[name] = bundle
    return bundle


def rebuild_schema(name: str | None = None) -> None:
    """Build again now (one schema, or every configured one) and swap the new bundle in."""
    names = (name,) if name else schema_names()
    for schema_name in names:
        bundle = build_schema(load_schema_config(schema_name))
        with _lock:
            _bundles[schema_name] = bundle


def clear_schemas() -> None:
    """Forget every built schema; each is rebuilt on its next use."""
    with _lock:
        _bundles.clear()
