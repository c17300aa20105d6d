"""W101: a required field that no input can set removes the create mutation, with a warning."""

from __future__ import annotations

from django.core.checks import Warning as CheckWarning
from django.test import override_settings
from graphql import print_schema

from django_graphql_auto.checks import check_create_mutations
from django_graphql_auto.schema.registry import get_schema


def test_example_has_no_unsettable_required_fields():
    assert check_create_mutations() == []


@override_settings(
    GRAPHQL_AUTO_MODELS={
        "blog.Post": {"EXCLUDE_FIELDS": ["internal_notes", "body"]},
        "auth.Permission": {"ENABLE_MUTATIONS": False},
    },
)
def test_excluding_a_required_field_removes_create_and_warns():
    messages = check_create_mutations()
    post_messages = [m for m in messages if "'default'" in m.msg and "blog.Post " in m.msg]
    assert len(post_messages) == 1
    message = post_messages[0]
    assert isinstance(message, CheckWarning)
    assert message.id == "django_graphql_auto.W101"
    assert "create_post" in message.msg and "body" in message.msg
    sdl = print_schema(get_schema().schema)
    assert " create_post(" not in sdl
    assert " bulk_create_post(" not in sdl
    assert " update_post(" in sdl  # changing existing rows still works
