"""`@graphql_field` properties: exposed read-only, loaded with the row, no extra query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import print_schema

from django_graphql_auto.execution import engine
from django_graphql_auto.schema.registry import get_schema
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_computed_field_is_in_the_schema_of_the_model_and_its_children():
    sdl = print_schema(get_schema().schema)
    assert sdl.count("full_name: String!") == 3  # Person, Patient, Doctor
    assert "word_count" not in sdl


def test_declared_columns_are_loaded_with_the_row(graphql):
    for i in range(5):
        f.patient(first_name=f"Ada{i}", last_name="Lovelace")
    with CaptureQueriesContext(connection) as queries:
        data = graphql("{ patients { full_name } }").ok()
    assert [p["full_name"] for p in data["patients"]] == [f"Ada{i} Lovelace" for i in range(5)]
    assert len(queries) == 1
    assert '"last_name"' in queries[0]["sql"] and '"phone"' not in queries[0]["sql"]


def test_nested_computed_field_and_both_execution_paths(monkeypatch):
    appointment = f.appointment(
        doctor=f.doctor(first_name="Gregory", last_name="House"),
        patient=f.patient(first_name="Ada", last_name="King"),
    )
    query = "{ appointments { patient { full_name } doctor { full_name clinic { name } } } }"
    with CaptureQueriesContext(connection) as queries:
        fast = engine.process("default", query)
    assert len(queries) == 1
    monkeypatch.setattr(engine, "execute_compiled", lambda *a: None)
    general = engine.process("default", query)
    assert fast.payload == general.payload
    assert fast.payload["data"]["appointments"] == [
        {
            "patient": {"full_name": "Ada King"},
            "doctor": {
                "full_name": "Gregory House",
                "clinic": {"name": appointment.doctor.clinic.name},
            },
        }
    ]


def test_computed_field_can_be_excluded(settings):
    settings.GRAPHQL_AUTO_MODELS = {
        "blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]},
        "clinic.Patient": {"EXCLUDE_FIELDS": ["full_name"]},
    }
    patient = get_schema().schema.type_map["Patient"]
    assert "full_name" not in patient.fields
