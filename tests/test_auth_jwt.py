"""JWT lifecycle over real HTTP (SPEC §6, issue 6): login, Bearer authentication, rotation with
reuse detection, logout, password change; every malformed, expired, misdirected or revoked token
is refused with code UNAUTHENTICATED, and the valid paths are accepted."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.test import override_settings

from django_graphql_auto.models import RefreshToken
from django_graphql_auto.schema.registry import get_schema
from django_graphql_auto.security import jwt
from django_graphql_auto.security.jwt import JWTSettings, signing_key
from tests.auth_support import (
    LOGIN,
    LOGOUT,
    ME,
    PASSWORD,
    REFRESH,
    UNAUTHENTICATED,
    auth_environment,  # noqa: F401 (fixture)
    bearer,
    claims_of,
    forge,
    jwt_settings,
    login,
    make_user,
    raw_token,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("auth_environment")]


@pytest.fixture
def alice():
    return make_user("alice", first_name="Alice", last_name="Liddell")


def me(graphql, token):
    return graphql(ME, **bearer(token))


def assert_refused(result, status=401):
    """A request refused before execution: the status, no data, code UNAUTHENTICATED."""
    assert result.status == status, result.body
    assert result.codes == [UNAUTHENTICATED], result.body
    assert "data" not in result.body


def assert_unauthenticated(result, field):
    assert result.status == 200, result.body
    assert result.codes == [UNAUTHENTICATED], result.body
    assert result.data is None or result.data.get(field) is None


# --- valid paths ------------------------------------------------------------------------------


def test_login_returns_a_token_pair(graphql, alice):
    tokens = login(graphql)
    assert tokens["ok"] is True
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 300
    assert tokens["refresh_expires_in"] == 7 * 24 * 3600
    assert tokens["mfa_required"] is False and tokens["mfa_ticket"] is None
    assert tokens["user"] == {"username": "alice"}
    access, refresh = claims_of(tokens["access_token"]), claims_of(tokens["refresh_token"])
    assert access["type"] == "access" and refresh["type"] == "refresh"
    assert access["sub"] == str(alice.pk)
    assert access["exp"] - access["iat"] == 300
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert access["fam"] == refresh["fam"]
    alice.refresh_from_db()
    assert alice.last_login is not None  # user_logged_in was sent


def test_bearer_token_authenticates_me(graphql, alice):
    group = Group.objects.create(name="editors")
    alice.groups.add(group)
    alice.user_permissions.add(Permission.objects.get(codename="view_post"))
    tokens = login(graphql)
    assert me(graphql, tokens["access_token"]).ok()["me"] == {
        "id": str(alice.pk),
        "username": "alice",
        "email": "alice@example.com",
        "first_name": "Alice",
        "last_name": "Liddell",
        "is_staff": False,
        "roles": ["editors"],
        "permissions": ["blog.view_post"],
        "mfa_enabled": False,
    }


def test_me_is_null_when_anonymous(graphql):
    assert graphql(ME).ok() == {"me": None}


def test_bearer_user_gets_model_permissions(graphql, alice):
    """The token user is the user the permission policy sees (auth.User is exposed on admin)."""
    path = "/admin-graphql/"
    anonymous = graphql("{ users { username } }", path=path)
    assert anonymous.codes == ["FORBIDDEN"]
    alice.user_permissions.add(Permission.objects.get(codename="view_user"))
    tokens = login(graphql)
    result = graphql("{ users { username } }", path=path, **bearer(tokens["access_token"]))
    assert result.ok() == {"users": [{"username": "alice"}]}


def test_refresh_rotates_the_pair(graphql, alice):
    first = login(graphql)
    second = graphql(REFRESH, {"token": first["refresh_token"]}).ok()["refresh_token"]
    assert second["ok"] is True
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"] == {"username": "alice"}
    assert claims_of(second["refresh_token"])["fam"] == claims_of(first["refresh_token"])["fam"]
    assert me(graphql, second["access_token"]).ok()["me"]["username"] == "alice"
    # The first access token stays valid until it expires (its family is alive).
    assert me(graphql, first["access_token"]).ok()["me"]["username"] == "alice"
    third = graphql(REFRESH, {"token": second["refresh_token"]}).ok()["refresh_token"]
    assert me(graphql, third["access_token"]).ok()["me"]["username"] == "alice"


def test_refresh_tokens_are_stored_hashed(graphql, alice):
    tokens = login(graphql)
    row = RefreshToken.objects.get()
    assert row.token_hash == hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    stored = json.dumps(list(RefreshToken.objects.values()), default=str)
    assert tokens["refresh_token"] not in stored
    assert tokens["refresh_token"].split(".")[2] not in stored
    assert row.user == alice and row.spent_at is None and row.revoked_at is None


def test_signing_key_is_derived_not_secret_key(graphql, alice):
    key = signing_key(jwt_settings())
    assert key != settings.SECRET_KEY and settings.SECRET_KEY not in key
    # A token signed with SECRET_KEY itself is refused.
    claims = claims_of(login(graphql)["access_token"])
    forged = raw_token({"alg": "HS256", "typ": "JWT"}, claims, settings.SECRET_KEY.encode())
    assert_refused(me(graphql, forged))


def test_jwt_secret_setting_signs_tokens(graphql, alice):
    secret = "s" * 40
    with override_settings(DJANGO_GRAPHQL_AUTO={"JWT_SECRET": secret, **_schemas()}):
        tokens = login(graphql)
        import jwt as pyjwt

        claims = pyjwt.decode(
            tokens["access_token"],
            secret,
            algorithms=["HS256"],
            audience="django-graphql-auto",
        )
        assert claims["sub"] == str(alice.pk)
        assert me(graphql, tokens["access_token"]).ok()["me"]["username"] == "alice"


def _schemas():
    return {"SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}}}


# --- refused access tokens --------------------------------------------------------------------


def test_wrong_password_is_unauthenticated(graphql, alice):
    result = graphql(LOGIN, {"username": "alice", "password": "nope"})
    assert_unauthenticated(result, "login")
    result = graphql(LOGIN, {"username": "nobody", "password": PASSWORD})
    assert_unauthenticated(result, "login")
    assert result.errors[0]["message"] == "Invalid username or password."


@pytest.mark.parametrize(
    "backend",
    [
        "django.contrib.auth.backends.ModelBackend",
        "django.contrib.auth.backends.AllowAllUsersModelBackend",
    ],
)
def test_inactive_user_cannot_log_in(graphql, alice, backend):
    """Also with a backend that returns inactive users: the same answer as a wrong password,
    and nothing recorded as a sign-in."""
    alice.is_active = False
    alice.save()
    with override_settings(AUTHENTICATION_BACKENDS=[backend]):
        result = graphql(LOGIN, {"username": "alice", "password": PASSWORD})
    assert_unauthenticated(result, "login")
    assert result.errors[0]["message"] == "Invalid username or password."
    alice.refresh_from_db()
    assert alice.last_login is None


def now() -> int:
    return int(time.time())


REFUSED_ACCESS = {
    "expired": lambda t: forge(t, exp=now() - 10, iat=now() - 400, nbf=now() - 400),
    "not yet valid": lambda t: forge(t, nbf=now() + 600, iat=now()),
    "issued in the future": lambda t: forge(t, iat=now() + 600, nbf=now() + 600),
    "wrong signature": lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),
    "other key": lambda t: raw_token({"alg": "HS256", "typ": "JWT"}, claims_of(t), b"k" * 64),
    "alg none": lambda t: raw_token({"alg": "none", "typ": "JWT"}, claims_of(t), None),
    "alg None header, empty sig": lambda t: raw_token({"alg": "None"}, claims_of(t), None),
    "wrong audience": lambda t: forge(t, aud="another-api"),
    "wrong issuer": lambda t: forge(t, iss="https://evil.example"),
    "wrong type (refresh)": lambda t: forge(t, type="refresh"),
    "wrong type (mfa ticket)": lambda t: forge(t, type="mfa"),
    "no type": lambda t: forge(t, type=None),
    "no exp": lambda t: forge(t, exp=None),
    "unknown user": lambda t: forge(t, sub="999999"),
    "not a user id": lambda t: forge(t, sub="abc"),
    "unknown family": lambda t: forge(t, fam="00000000-0000-0000-0000-000000000000"),
    "other password": lambda t: forge(t, pwd="0" * 22),
    "garbage": lambda t: "not-a-jwt",
    "empty": lambda t: "",
}


@pytest.mark.parametrize("make", REFUSED_ACCESS.values(), ids=REFUSED_ACCESS)
def test_bad_access_tokens_are_refused(graphql, alice, make):
    token = login(graphql)["access_token"]
    result = me(graphql, make(token))
    assert_refused(result)


def test_refusal_is_401_with_www_authenticate(client, alice, graphql):
    token = login(graphql)["access_token"]
    response = client.post(
        "/graphql/",
        data=json.dumps({"query": "{ me { id } }"}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        **bearer(forge(token, exp=now() - 5)),
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    body = response.json()
    assert body == {
        "errors": [{"message": "The token has expired.", "extensions": {"code": UNAUTHENTICATED}}]
    }


def test_refresh_token_is_not_an_access_token(graphql, alice):
    tokens = login(graphql)
    assert_refused(me(graphql, tokens["refresh_token"]))


def test_access_token_is_not_a_refresh_token(graphql, alice):
    tokens = login(graphql)
    assert_unauthenticated(graphql(REFRESH, {"token": tokens["access_token"]}), "refresh_token")


def test_bearer_token_on_a_mutation_is_checked_too(graphql, alice):
    tokens = login(graphql)
    result = graphql(LOGOUT, {}, **bearer(forge(tokens["access_token"], aud="x")))
    assert_refused(result)


def test_inactive_user_token_is_refused(graphql, alice):
    tokens = login(graphql)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert_refused(me(graphql, tokens["access_token"]))
    assert_unauthenticated(graphql(REFRESH, {"token": tokens["refresh_token"]}), "refresh_token")


# --- refused refresh tokens -------------------------------------------------------------------


REFUSED_REFRESH = {
    "expired": lambda t: forge(t, exp=now() - 10, iat=now() - 400, nbf=now() - 400),
    "not yet valid": lambda t: forge(t, nbf=now() + 600),
    "wrong signature": lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),
    "alg none": lambda t: raw_token({"alg": "none", "typ": "JWT"}, claims_of(t), None),
    "wrong audience": lambda t: forge(t, aud="another-api"),
    "wrong type": lambda t: forge(t, type="access"),
    # Re-signed claims are a different token text: its hash is not stored.
    "unknown to the server": lambda t: forge(t, jti="another"),
}


@pytest.mark.parametrize("make", REFUSED_REFRESH.values(), ids=REFUSED_REFRESH)
def test_bad_refresh_tokens_are_refused(graphql, alice, make):
    token = login(graphql)["refresh_token"]
    assert_unauthenticated(graphql(REFRESH, {"token": make(token)}), "refresh_token")
    # The genuine token still works: a forgery does not revoke anything.
    assert graphql(REFRESH, {"token": token}).ok()["refresh_token"]["ok"] is True


def test_expired_refresh_row_is_refused(graphql, alice):
    token = login(graphql)["refresh_token"]
    RefreshToken.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert_unauthenticated(graphql(REFRESH, {"token": token}), "refresh_token")


def test_missing_refresh_token_is_unauthenticated(graphql, alice):
    assert_unauthenticated(graphql(REFRESH, {}), "refresh_token")


def test_reused_refresh_token_revokes_the_family(graphql, alice):
    first = login(graphql)
    other_login = login(graphql)  # another device: another family
    second = graphql(REFRESH, {"token": first["refresh_token"]}).ok()["refresh_token"]
    # The spent token is presented again (a thief, or a replay): refused ...
    reuse = graphql(REFRESH, {"token": first["refresh_token"]})
    assert_unauthenticated(reuse, "refresh_token")
    assert "already used" in reuse.errors[0]["message"]
    # ... and every token of that login is now dead, the legitimate latest one included.
    assert_unauthenticated(graphql(REFRESH, {"token": second["refresh_token"]}), "refresh_token")
    assert_refused(me(graphql, second["access_token"]))
    assert_refused(me(graphql, first["access_token"]))
    family = claims_of(first["refresh_token"])["fam"]
    assert not RefreshToken.objects.filter(family=family, revoked_at__isnull=True).exists()
    # The other device's login is untouched.
    assert me(graphql, other_login["access_token"]).ok()["me"]["username"] == "alice"
    assert graphql(REFRESH, {"token": other_login["refresh_token"]}).ok()


def test_refresh_is_refused_while_the_role_requires_mfa(graphql, alice):
    """MFA_REQUIRED_ROLES was checked by login only: a refresh token obtained before the user
    joined such a role rotated forever, each new token with a full lifetime, MFA never asked."""
    tokens = login(graphql)
    alice.groups.add(Group.objects.create(name="operators"))
    with override_settings(DJANGO_GRAPHQL_AUTO={"MFA_REQUIRED_ROLES": ["operators"]}):
        refused = graphql(REFRESH, {"token": tokens["refresh_token"]})
        assert_unauthenticated(refused, "refresh_token")
        assert refused.errors[0]["message"] == (
            "Your role requires multi-factor authentication: set it up to sign in."
        )
        # That login is over, its access token included; signing in again asks for MFA setup.
        assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
        assert_refused(me(graphql, tokens["access_token"]))
        assert login(graphql)["mfa_setup_required"] is True


def test_logout_revokes_the_login(graphql, alice):
    tokens = login(graphql)
    result = graphql(LOGOUT, {"token": tokens["refresh_token"]})
    assert result.ok() == {"logout": {"ok": True, "errors": []}}
    assert_unauthenticated(graphql(REFRESH, {"token": tokens["refresh_token"]}), "refresh_token")
    assert_refused(me(graphql, tokens["access_token"]))
    # Logging out twice is fine.
    assert graphql(LOGOUT, {"token": tokens["refresh_token"]}).ok()["logout"]["ok"] is True


def test_logout_with_only_the_access_token(graphql, alice):
    tokens = login(graphql)
    assert graphql(LOGOUT, {}, **bearer(tokens["access_token"])).ok()["logout"]["ok"] is True
    assert_refused(me(graphql, tokens["access_token"]))
    assert_unauthenticated(graphql(REFRESH, {"token": tokens["refresh_token"]}), "refresh_token")


def test_logout_everywhere(graphql, alice):
    one, two = login(graphql), login(graphql)
    result = graphql(LOGOUT, {"everywhere": True}, **bearer(one["access_token"]))
    assert result.ok()["logout"]["ok"] is True
    for tokens in (one, two):
        assert_refused(me(graphql, tokens["access_token"]))
        assert_unauthenticated(
            graphql(REFRESH, {"token": tokens["refresh_token"]}), "refresh_token"
        )
    assert_unauthenticated(graphql(LOGOUT, {"everywhere": True}), "logout")


def test_logout_with_a_forged_token_is_unauthenticated(graphql, alice):
    tokens = login(graphql)
    result = graphql(LOGOUT, {"token": forge(tokens["refresh_token"], aud="x")})
    assert_unauthenticated(result, "logout")


# --- password change --------------------------------------------------------------------------


def test_password_change_ends_every_token(graphql, alice):
    tokens = login(graphql)
    alice.set_password("another-long-password-7")
    alice.save()
    assert_refused(me(graphql, tokens["access_token"]))
    assert_unauthenticated(graphql(REFRESH, {"token": tokens["refresh_token"]}), "refresh_token")
    # The refusal also marked the stored tokens revoked.
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    # Logging in with the new password works.
    assert login(graphql, password="another-long-password-7")["ok"] is True


def test_password_change_by_queryset_update_ends_tokens(graphql, alice):
    tokens = login(graphql)
    other = make_user("other")
    User.objects.filter(pk=alice.pk).update(password=other.password)
    assert_refused(me(graphql, tokens["access_token"]))


CHANGE = """
mutation($old: String!, $new: String!) {
  change_password(old_password: $old, new_password: $new) {
    ok errors field_errors { field code } login { access_token refresh_token }
  }
}
"""


def test_change_password_mutation(graphql, alice):
    tokens = login(graphql)
    other_device = login(graphql)
    auth = bearer(tokens["access_token"])
    wrong = graphql(CHANGE, {"old": "wrong", "new": "another-long-password-7"}, **auth).ok()
    assert wrong["change_password"]["ok"] is False
    assert wrong["change_password"]["field_errors"] == [
        {"field": "old_password", "code": "invalid"}
    ]
    weak = graphql(CHANGE, {"old": PASSWORD, "new": "123"}, **auth).ok()["change_password"]
    assert weak["ok"] is False
    assert {e["field"] for e in weak["field_errors"]} == {"new_password"}
    assert "password_too_short" in {e["code"] for e in weak["field_errors"]}
    done = graphql(CHANGE, {"old": PASSWORD, "new": "another-long-password-7"}, **auth).ok()
    changed = done["change_password"]
    assert changed["ok"] is True
    # Every old token ends, the caller gets a new pair.
    for old in (tokens, other_device):
        assert_refused(me(graphql, old["access_token"]))
        assert_unauthenticated(graphql(REFRESH, {"token": old["refresh_token"]}), "refresh_token")
    assert me(graphql, changed["login"]["access_token"]).ok()["me"]["username"] == "alice"
    assert graphql(REFRESH, {"token": changed["login"]["refresh_token"]}).ok()


def test_change_password_needs_a_user(graphql):
    result = graphql(CHANGE, {"old": "a", "new": "b"})
    assert_unauthenticated(result, "change_password")


# --- asymmetric keys --------------------------------------------------------------------------


def _write_keys(tmp_path, private_key):
    private = tmp_path / "private.pem"
    public = tmp_path / "public.pem"
    private.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture
def rsa_keys(tmp_path):
    return _write_keys(tmp_path, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _asymmetric(algorithm, private, public):
    return override_settings(
        DJANGO_GRAPHQL_AUTO={
            "JWT_ALGORITHM": algorithm,
            "JWT_PRIVATE_KEY_FILE": private,
            "JWT_PUBLIC_KEY_FILE": str(public),
            **_schemas(),
        }
    )


def test_rs256_tokens(graphql, alice, rsa_keys):
    private, public = rsa_keys
    with _asymmetric("RS256", private, public):
        tokens = login(graphql)
        assert pyjwt_header(tokens["access_token"])["alg"] == "RS256"
        assert me(graphql, tokens["access_token"]).ok()["me"]["username"] == "alice"
        assert graphql(REFRESH, {"token": tokens["refresh_token"]}).ok()


def test_hs_rs_confusion_is_refused(graphql, alice, rsa_keys):
    """The classic attack: an HS256 token "signed" with the RSA public key as HMAC secret."""
    private, public = rsa_keys
    with _asymmetric("RS256", private, public):
        tokens = login(graphql)
        claims = claims_of(tokens["access_token"])
        confused = raw_token({"alg": "HS256", "typ": "JWT"}, claims, public.read_bytes())
        assert_refused(me(graphql, confused))
        refresh_claims = claims_of(tokens["refresh_token"])
        confused_refresh = raw_token({"alg": "HS256"}, refresh_claims, public.read_bytes())
        assert_unauthenticated(graphql(REFRESH, {"token": confused_refresh}), "refresh_token")
        none = raw_token({"alg": "none"}, claims, None)
        assert_refused(me(graphql, none))
    # And an HS256 server does not take RS256 tokens.
    assert_refused(me(graphql, tokens["access_token"]))


def test_es256_tokens(graphql, alice, tmp_path):
    private, public = _write_keys(tmp_path, ec.generate_private_key(ec.SECP256R1()))
    with _asymmetric("ES256", private, public):
        tokens = login(graphql)
        assert pyjwt_header(tokens["access_token"])["alg"] == "ES256"
        assert me(graphql, tokens["access_token"]).ok()["me"]["username"] == "alice"


def test_key_that_does_not_match_the_algorithm_is_a_configuration_error(tmp_path, alice):
    from django.core.exceptions import ImproperlyConfigured

    private, public = _write_keys(tmp_path, ec.generate_private_key(ec.SECP256R1()))
    settings_ = JWTSettings("RS256", None, str(private), str(public), "i", "a", 0)
    with pytest.raises(ImproperlyConfigured, match="RS256"):
        jwt.signing_key(settings_)


def pyjwt_header(token):
    import jwt as pyjwt

    return pyjwt.get_unverified_header(token)


# --- settings ---------------------------------------------------------------------------------


def test_lifetimes_follow_settings(graphql, alice):
    config = {
        "JWT_ACCESS_TOKEN_LIFETIME": 60,
        "JWT_REFRESH_TOKEN_LIFETIME": 3600,
        **_schemas(),
    }
    with override_settings(DJANGO_GRAPHQL_AUTO=config):
        tokens = login(graphql)
    assert tokens["expires_in"] == 60 and tokens["refresh_expires_in"] == 3600
    access = claims_of(tokens["access_token"])
    assert access["exp"] - access["iat"] == 60


def test_audience_isolates_schemas(graphql, alice):
    schemas = {"admin": {"APPS": ["blog", "clinic", "auth"], "JWT_AUDIENCE": "admin-api"}}
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": schemas}):
        tokens = login(graphql)
        assert_refused(graphql(ME, path="/admin-graphql/", **bearer(tokens["access_token"])))
        admin_tokens = graphql(
            LOGIN, {"username": "alice", "password": PASSWORD}, path="/admin-graphql/"
        ).ok()
        access = admin_tokens["login"]["access_token"]
        assert graphql(ME, path="/admin-graphql/", **bearer(access)).ok()["me"]
        assert_refused(me(graphql, access))


def test_authentication_off_removes_the_fields(graphql, alice):
    with override_settings(DJANGO_GRAPHQL_AUTO={"ENABLE_AUTHENTICATION": False, **_schemas()}):
        schema = get_schema().schema
        assert "me" not in schema.query_type.fields
        assert "login" not in schema.mutation_type.fields
        # A Bearer header is not looked at.
        result = graphql("{ __typename }", **bearer("whatever"))
        assert result.ok() == {"__typename": "Query"}


def test_clear_expired_tokens_command(graphql, alice):
    from io import StringIO

    from django.core.management import call_command

    live = login(graphql)
    login(graphql)
    RefreshToken.objects.exclude(
        token_hash=hashlib.sha256(live["refresh_token"].encode()).hexdigest()
    ).update(expires_at="2000-01-01T00:00:00Z")
    out = StringIO()
    call_command("clear_expired_tokens", stdout=out)
    assert "Deleted 1 expired refresh token(s)." in out.getvalue()
    assert RefreshToken.objects.count() == 1
    assert graphql(REFRESH, {"token": live["refresh_token"]}).ok()


def test_system_check_reports_unloadable_keys(tmp_path):
    from django_graphql_auto.checks import check_authentication

    assert check_authentication() == []
    missing = {
        "JWT_ALGORITHM": "RS256",
        "JWT_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem"),
        **_schemas(),
    }
    with override_settings(DJANGO_GRAPHQL_AUTO=missing):
        messages = check_authentication()
    assert {m.id for m in messages} == {"django_graphql_auto.E201"}
    assert "missing.pem" in messages[0].msg
    with override_settings(DJANGO_GRAPHQL_AUTO={"JWT_COOKIE": True, **_schemas()}):
        assert {m.id for m in check_authentication()} == {"django_graphql_auto.W201"}


def test_camel_case_names(graphql, alice):
    camel_login = (
        f'mutation {{ login(username: "alice", password: "{PASSWORD}") '
        "{ ok accessToken refreshToken expiresIn mfaRequired mfaTicket } }"
    )
    with override_settings(DJANGO_GRAPHQL_AUTO={"NAME_CASE": "camel", **_schemas()}):
        result = graphql(camel_login).ok()["login"]
        assert result["ok"] is True and result["expiresIn"] == 300
        refreshed = graphql(
            "mutation($t: String) { refreshToken(token: $t) { ok refreshToken } }",
            {"t": result["refreshToken"]},
        ).ok()["refreshToken"]
        me = graphql(
            "{ me { firstName lastName isStaff mfaEnabled } }", **bearer(result["accessToken"])
        ).ok()["me"]
        assert me == {
            "firstName": "Alice",
            "lastName": "Liddell",
            "isStaff": False,
            "mfaEnabled": False,
        }
        out = graphql(
            "mutation($t: String) { logout(refreshToken: $t) { ok } }",
            {"t": refreshed["refreshToken"]},
        ).ok()
        assert out == {"logout": {"ok": True}}
        assert graphql("{ me { id } }", **bearer(result["accessToken"])).status == 401
        access = graphql(camel_login).ok()["login"]["accessToken"]
        changed = graphql(
            'mutation { changePassword(oldPassword: "wrong", newPassword: "y") '
            "{ ok fieldErrors { field code } } }",
            **bearer(access),
        ).ok()["changePassword"]
        assert changed == {
            "ok": False,
            "fieldErrors": [{"field": "oldPassword", "code": "invalid"}],
        }
