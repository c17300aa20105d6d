"""Shared fixtures: a GraphQL client over real HTTP (Django's test client) and small data sets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from django_graphql_auto.schema.registry import clear_schemas
from tests.graphql_http import post_graphql


@dataclass
class Result:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]

    def ok(self) -> Any:
        """The data, after asserting there were no errors."""
        assert not self.errors, self.errors
        return self.data


@pytest.fixture(autouse=True)
def _fresh_schemas():
    """Every test starts from schemas built for its own settings."""
    clear_schemas()
    yield
    clear_schemas()


@pytest.fixture(autouse=True)
def _fresh_local_caches():
    """Rate-limit buckets and login counters live in the cache: no test inherits another's.

    Only in-process (local-memory) caches are cleared; a shared Redis is never flushed.
    """
    from django.conf import settings
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    for alias in settings.CACHES:
        if isinstance(caches[alias], LocMemCache):
            caches[alias].clear()
    yield


@pytest.fixture
def graphql(client):
    """POST a document to the endpoint as JSON and return the decoded response."""

    def run(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        path: str = "/graphql/",
        operation_name: str | None = None,
        **headers: Any,
    ) -> Result:
        response = post_graphql(
            client, query, variables, operation_name=operation_name, path=path, **headers
        )
        return Result(response.status_code, json.loads(response.content))

    return run
