"""Writes to models whose primary key is given by the client, and to columns with a database
default (`tests/oddities`, served at /oddities-graphql/).

- An update never changes a primary key: `save()` would insert a second row under the new key
  and leave the rows pointing at the old one behind. The key is an input of the create only.
- Two items of one bulk create that give the same key are `<index>.<key>` / `unique`, as one
  create that gives a taken key is.
- A field with a `db_default` is optional on create, and the database fills it in.
"""

from __future__ import annotations

import pytest
from graphql import print_schema

from django_graphql_auto.schema.registry import get_schema
from tests.test_apps import test_app

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = "ok errors field_errors { field messages code }"


@pytest.fixture
def oddities():
    with test_app("oddities") as path:
        yield path


def test_an_update_cannot_change_a_primary_key(graphql, oddities):
    from tests.oddities.models import Code, CodeBadge, CodeNote

    sdl = print_schema(get_schema("oddities").schema)
    create = sdl.split("input CreateCodeInput {", 1)[1].split("}", 1)[0]
    update = sdl.split("input UpdateCodeInput {", 1)[1].split("}", 1)[0]
    badge_update = sdl.split("input UpdateCodeBadgeInput {", 1)[1].split("}", 1)[0]
    assert "code: String!" in create
    assert "code:" not in update
    assert "code:" not in badge_update and "nested_code" not in badge_update

    old = Code.objects.create(code="old", label="Old")
    CodeNote.objects.create(owner=old, note="kept")
    CodeBadge.objects.create(code=old, label="gold")
    refused = graphql(
        'mutation { update_code(id: "old", input: {code: "new"}) { ok } }', path=oddities
    )
    assert refused.codes == ["GRAPHQL_VALIDATION_FAILED"]
    renamed = graphql(
        'mutation { update_code(id: "old", input: {label: "Renamed"}) '
        "{ ok object { id code label notes { note } } } }",
        path=oddities,
    ).ok()["update_code"]
    assert renamed == {
        "ok": True,
        "object": {"id": "old", "code": "old", "label": "Renamed", "notes": [{"note": "kept"}]},
    }
    assert list(Code.objects.values_list("code", flat=True)) == ["old"]
    assert list(CodeBadge.objects.values_list("code_id", "label")) == [("old", "gold")]


def test_two_bulk_items_giving_the_same_key_are_unique_errors(graphql, oddities):
    from tests.oddities.models import Code

    Code.objects.create(code="taken")
    result = graphql(
        "mutation { bulk_create_code(inputs: ["
        '{code: "a"}, {code: "dup"}, {code: "dup"}, {code: "taken"}'
        f"]) {{ {PAYLOAD} }} }}",
        path=oddities,
    ).ok()["bulk_create_code"]
    assert result["ok"] is False
    assert [(e["field"], e["code"]) for e in result["field_errors"]] == [
        ("2.code", "unique"),
        ("3.code", "unique"),
    ]
    assert result["field_errors"][0]["messages"] == ["Code with this Code already exists."]
    assert list(Code.objects.values_list("code", flat=True)) == ["taken"]
    single = graphql(
        f'mutation {{ create_code(input: {{code: "taken"}}) {{ {PAYLOAD} }} }}', path=oddities
    ).ok()["create_code"]
    assert single == {
        "ok": False,
        "errors": ["The input is not valid."],
        "field_errors": [
            {"field": "code", "messages": ["Code with this Code already exists."], "code": "unique"}
        ],
    }


def test_a_database_default_is_optional_on_create(graphql, oddities):
    from tests.oddities.models import Measure

    sdl = print_schema(get_schema("oddities").schema)
    create = sdl.split("input CreateMeasureInput {", 1)[1].split("}", 1)[0]
    assert "level: Int\n" in create  # optional: the database fills it in
    created = graphql(
        'mutation { create_measure(input: {name: "m"}) { ok object { name level } } }',
        path=oddities,
    ).ok()["create_measure"]
    assert created == {"ok": True, "object": {"name": "m", "level": 5}}
    bulk = graphql(
        'mutation { bulk_create_measure(inputs: [{name: "a"}, {name: "b", level: 7}]) '
        "{ ok objects { name level } } }",
        path=oddities,
    ).ok()["bulk_create_measure"]
    assert bulk == {"ok": True, "objects": [{"name": "a", "level": 5}, {"name": "b", "level": 7}]}
    assert sorted(Measure.objects.values_list("name", "level")) == [
        ("a", 5),
        ("b", 7),
        ("m", 5),
    ]
