"""Registration: absent unless ENABLE_REGISTRATION; Django's password validators and the user
model's own validation come back as field errors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from tests.auth_support import (
    auth_environment,  # noqa: F401 (fixture)
    login,
    make_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("auth_environment")]

REGISTER = """
mutation($username: String!, $email: String!, $password: String!) {
  register(username: $username, email: $email, password: $password) {
    ok errors field_errors { field messages code } user { id username email }
  }
}
"""

ON = {"ENABLE_REGISTRATION": True, "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}}}


def register(graphql, username="bob", email="bob@example.com", password="a-long-passphrase-9"):
    return graphql(REGISTER, {"username": username, "email": email, "password": password})


def test_registration_is_off_by_default(graphql):
    result = register(graphql)
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert not User.objects.exists()


@override_settings(DJANGO_GRAPHQL_AUTO=ON)
def test_registration_creates_a_user_who_can_log_in(graphql):
    payload = register(graphql).ok()["register"]
    assert payload["ok"] is True and payload["field_errors"] == []
    assert payload["user"]["username"] == "bob" and payload["user"]["email"] == "bob@example.com"
    user = User.objects.get(username="bob")
    assert user.check_password("a-long-passphrase-9")
    assert user.password != "a-long-passphrase-9"
    assert not user.is_staff and not user.is_superuser
    assert login(graphql, "bob", "a-long-passphrase-9")["ok"] is True


def errors_by_field(payload):
    found: dict[str, set[str]] = {}
    for error in payload["field_errors"]:
        found.setdefault(error["field"], set()).add(error["code"])
    return found


@override_settings(DJANGO_GRAPHQL_AUTO=ON)
@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("short", {"password_too_short"}),
        ("password123", {"password_too_common"}),
        ("83920174658392", {"password_entirely_numeric"}),
        ("bob@example.com", {"password_too_similar"}),
    ],
)
def test_password_validators_apply(graphql, password, codes):
    payload = register(graphql, password=password).ok()["register"]
    assert payload["ok"] is False and payload["user"] is None
    assert codes <= errors_by_field(payload)["password"]
    assert set(errors_by_field(payload)) == {"password"}
    assert all(e["messages"] for e in payload["field_errors"])
    assert not User.objects.exists()


@override_settings(DJANGO_GRAPHQL_AUTO=ON)
def test_username_and_email_are_validated(graphql):
    make_user("taken")
    payload = register(graphql, username="taken", email="not-an-email").ok()["register"]
    assert payload["ok"] is False
    assert errors_by_field(payload) == {"username": {"unique"}, "email": {"invalid"}}
    payload = register(graphql, username="has space!").ok()["register"]
    assert errors_by_field(payload) == {"username": {"invalid"}}
    payload = register(graphql, username="x" * 151).ok()["register"]
    assert errors_by_field(payload) == {"username": {"max_length"}}
    assert User.objects.count() == 1
