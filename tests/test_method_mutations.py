"""Method mutations: only decorated methods, typed arguments and results, errors with codes."""

from __future__ import annotations

import datetime as dt

import pytest
from blog.models import Post, Tag
from clinic.models import Appointment
from graphql import print_schema

from django_graphql_auto.schema.registry import get_schema
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_only_decorated_methods_are_exposed():
    sdl = print_schema(get_schema().schema)
    assert "post_publish(id: ID!, at: DateTime): PostPublishPayload" in sdl
    assert "post_tag_with(id: ID!, names: [String!]!): PostTagWithPayload" in sdl
    # A default GraphQL can print becomes the argument's default: optional, never null.
    assert "appointment_reschedule(id: ID!, starts_at: DateTime!, minutes: Int! = 30)" in sdl
    assert "word_count" not in sdl  # a plain public method stays private
    assert "add_tag_names" not in sdl  # exposed under its decorator name only


def test_method_runs_and_returns_the_typed_result(graphql):
    post = f.post(status="draft")
    result = graphql(
        """mutation($id: ID!, $at: DateTime) {
             post_publish(id: $id, at: $at) {
               ok errors result { id status published_at author { name } }
             }
           }""",
        {"id": str(post.pk), "at": "2024-05-01T12:00:00Z"},
    ).ok()["post_publish"]
    assert result["ok"] is True and result["errors"] == []
    assert result["result"]["status"] == "PUBLISHED"
    assert result["result"]["published_at"] == "2024-05-01T12:00:00+00:00"
    post.refresh_from_db()
    assert post.status == "published"


def test_list_arguments_and_list_of_model_results(graphql):
    post = f.post()
    f.tag(name="existing")
    data = graphql(
        f'mutation {{ post_tag_with(id: "{post.pk}", names: ["existing", "fresh"]) '
        "{ ok result { name } } }"
    ).ok()["post_tag_with"]
    assert data["ok"] is True
    assert sorted(t["name"] for t in data["result"]) == ["existing", "fresh"]
    assert Tag.objects.count() == 2


def test_validation_error_becomes_field_errors(graphql):
    post = f.post(status="published")
    data = graphql(
        f'mutation {{ post_publish(id: "{post.pk}") '
        "{ ok result { id } field_errors { field code messages } } }"
    ).ok()["post_publish"]
    assert data["ok"] is False and data["result"] is None
    assert data["field_errors"] == [
        {"field": "status", "code": "invalid", "messages": ["The post is already published."]}
    ]


def test_scalar_result_and_default_argument(graphql):
    appointment = f.appointment()
    data = graphql(
        f'mutation {{ appointment_reschedule(id: "{appointment.pk}", '
        'starts_at: "2025-01-01T09:00:00+01:00") '
        "{ ok result } }"
    ).ok()["appointment_reschedule"]
    assert data == {"ok": True, "result": True}
    appointment.refresh_from_db()
    assert appointment.starts_at == dt.datetime(2025, 1, 1, 8, 0, tzinfo=dt.UTC)
    assert appointment.duration == dt.timedelta(minutes=30)


def test_unknown_id_is_not_ok(graphql):
    data = graphql('mutation { post_publish(id: "999999") { ok errors } }').ok()["post_publish"]
    assert data == {"ok": False, "errors": ["No Post with id 999999."]}


def test_method_needs_the_change_permission(graphql, settings):
    post = f.post(status="draft")
    settings.GRAPHQL_AUTO_APPS = {
        "blog": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.ReadOnly"]},
        "clinic": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]},
    }
    result = graphql(f'mutation {{ post_publish(id: "{post.pk}") {{ ok }} }}')
    assert result.codes == ["FORBIDDEN"]
    assert Post.objects.get(pk=post.pk).status == "draft"


def test_unexpected_exception_is_masked(graphql, monkeypatch):
    appointment = f.appointment()

    def explode(self, starts_at, minutes=30):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Appointment, "reschedule", explode)
    result = graphql(
        f'mutation {{ appointment_reschedule(id: "{appointment.pk}", '
        'starts_at: "2025-01-01T09:00:00Z") { ok } }'
    )
    assert result.codes == ["INTERNAL_SERVER_ERROR"]
    assert "secret" not in str(result.body)


def test_null_for_an_argument_with_a_default_is_refused_not_passed(graphql):
    appointment = f.appointment()
    result = graphql(
        f'mutation {{ appointment_reschedule(id: "{appointment.pk}", '
        'starts_at: "2025-01-01T09:00:00Z", minutes: null) { ok } }'
    )
    assert result.status == 400 and result.codes == ["GRAPHQL_VALIDATION_FAILED"]


def test_an_optional_argument_without_a_default_left_out_is_none(graphql, monkeypatch):
    """`note: str | None` with no default is an optional argument; left out, the method gets
    None (Python would otherwise call it without the argument: a TypeError, a 500)."""
    from django_graphql_auto.decorators import graphql_mutation
    from django_graphql_auto.introspection import inspect_model

    @graphql_mutation(name="rename")
    def rename(self, name: str, note: str | None) -> str:
        self.name = name if note is None else f"{name} ({note})"
        self.save()
        return self.name

    monkeypatch.setattr(Tag, "rename", rename, raising=False)
    inspect_model.cache_clear()
    try:
        tag = f.tag(name="old")
        assert "tag_rename(id: ID!, name: String!, note: String)" in print_schema(
            get_schema().schema
        )
        left_out = graphql(
            'mutation($id: ID!) { tag_rename(id: $id, name: "plain") { ok result } }',
            {"id": str(tag.pk)},
        ).ok()["tag_rename"]
        given = graphql(
            'mutation($id: ID!) { tag_rename(id: $id, name: "noted", note: "why") { ok result } }',
            {"id": str(tag.pk)},
        ).ok()["tag_rename"]
        assert left_out == {"ok": True, "result": "plain"}
        assert given == {"ok": True, "result": "noted (why)"}
        tag.refresh_from_db()
        assert tag.name == "noted (why)"
    finally:
        monkeypatch.undo()
        inspect_model.cache_clear()
