"""Helpers shared by the authentication tests (JWT, MFA, CSRF, registration)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt as pyjwt
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from django_graphql_auto.schema.registry import get_schema
from django_graphql_auto.security import jwt
from django_graphql_auto.security.jwt import JWTSettings

PASSWORD = "correct-horse-battery-42"
UNAUTHENTICATED = "UNAUTHENTICATED"

LOGIN = """
mutation($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    ok access_token refresh_token token_type expires_in refresh_expires_in
    mfa_required mfa_setup_required mfa_ticket errors user { username }
  }
}
"""
REFRESH = """
mutation($token: String) {
  refresh_token(token: $token) { ok access_token refresh_token expires_in user { username } }
}
"""
LOGOUT = """
mutation($token: String, $everywhere: Boolean) {
  logout(refresh_token: $token, everywhere: $everywhere) { ok errors }
}
"""
ME = "{ me { id username email first_name last_name is_staff roles permissions mfa_enabled } }"


@pytest.fixture(autouse=False)
def auth_environment(settings):
    """Fast password hashing, and a clean cache (login-failure counters live there)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


def make_user(username: str = "alice", **extra: Any) -> User:
    return User.objects.create_user(username, f"{username}@example.com", PASSWORD, **extra)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def login(graphql, username: str = "alice", password: str = PASSWORD) -> dict[str, Any]:
    result = graphql(LOGIN, {"username": username, "password": password})
    return result.ok()["login"]


def jwt_settings(schema: str = "default") -> JWTSettings:
    return JWTSettings.from_config(get_schema(schema).config)


def claims_of(token: str) -> dict[str, Any]:
    return pyjwt.decode(token, options={"verify_signature": False})


def forge(token: str, schema: str = "default", **changes: Any) -> str:
    """The same token re-signed with the server's key after ``changes`` to its claims."""
    claims = {**claims_of(token), **changes}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, jwt_settings(schema))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A JWT built by hand (PyJWT refuses to make the malicious ones): HS256 over ``key``, or
    no signature at all when ``key`` is None."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if key is None:
        return signing_input + "."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def codes(result) -> list[str]:
    return result.codes
