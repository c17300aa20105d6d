"""Parsed and validated documents are cached per schema version, in a bounded LRU."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_graphql_auto.execution import engine
from django_graphql_auto.execution.documents import DocumentCache
from django_graphql_auto.schema.registry import get_schema, rebuild_schema

pytestmark = pytest.mark.django_db


def test_same_text_is_parsed_and_validated_once(monkeypatch):
    calls = {"parse": 0, "validate": 0}
    import django_graphql_auto.execution.documents as documents

    real_parse, real_validate = documents.parse, documents.validate

    def counting_parse(*args, **kwargs):
        calls["parse"] += 1
        return real_parse(*args, **kwargs)

    def counting_validate(*args, **kwargs):
        calls["validate"] += 1
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(documents, "parse", counting_parse)
    monkeypatch.setattr(documents, "validate", counting_validate)
    for _ in range(3):
        assert engine.process("default", "{ tags { name } }").kind == "ok"
    assert calls == {"parse": 1, "validate": 1}
    # A rebuilt schema is a new version with its own cache.
    rebuild_schema("default")
    assert engine.process("default", "{ tags { name } }").kind == "ok"
    assert calls == {"parse": 2, "validate": 2}


def test_invalid_documents_are_cached_too():
    first = engine.process("default", "{ tags { nope } }")
    second = engine.process("default", "{ tags { nope } }")
    assert first.kind == second.kind == "validation_error"
    assert first.payload == second.payload


def test_cache_is_bounded():
    cache = DocumentCache(get_schema().schema, size=2, introspection=False)
    for query in ("{ a: tags { id } }", "{ b: tags { id } }", "{ c: tags { id } }"):
        cache.validate(query, cache.parse(query))
    assert list(cache._entries) == ["{ b: tags { id } }", "{ c: tags { id } }"]


@override_settings(DJANGO_GRAPHQL_AUTO={"DOCUMENT_CACHE_SIZE": 0})
def test_size_zero_disables_the_cache():
    assert engine.process("default", "{ tags { id } }").kind == "ok"
    assert len(engine.documents(get_schema())._entries) == 0
