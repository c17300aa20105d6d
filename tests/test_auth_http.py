"""Sessions, CSRF and the HttpOnly cookie mode of the tokens, over real HTTP.

A POST authenticated by a cookie (Django's session, or the token cookies in JWT_COOKIE mode)
must pass Django's CSRF check, and so must every POST that is not JSON in JWT_COOKIE mode; a
Bearer-authenticated request needs no CSRF token."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.test import Client, override_settings

from django_graphql_auto.models import RefreshToken
from django_graphql_auto.security.authentication import ACCESS_COOKIE, REFRESH_COOKIE
from tests.auth_support import (
    LOGIN,
    LOGOUT,
    ME,
    PASSWORD,
    REFRESH,
    UNAUTHENTICATED,
    auth_environment,  # noqa: F401 (fixture)
    bearer,
    forge,
    login,
    make_user,
)
from tests.graphql_http import post_graphql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("auth_environment")]

CSRF_SECRET = "abcdefghijklmnopqrstuvwxyz012345"  # a valid 32-character CSRF secret


def post(client: Client, query: str, variables=None, **headers):
    response = post_graphql(client, query, variables, **headers)
    return response, json.loads(response.content)


@pytest.fixture
def alice():
    return make_user("alice")


@pytest.fixture
def browser(alice):
    """A browser with a Django session for alice, as after the admin login page."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def with_csrf(client: Client) -> dict[str, str]:
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return {"HTTP_X_CSRFTOKEN": CSRF_SECRET}


# --- sessions and CSRF ------------------------------------------------------------------------


def test_session_authenticates_queries(browser):
    response = browser.get("/graphql/", {"query": ME}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["data"]["me"]["username"] == "alice"


def test_cookie_authenticated_post_without_csrf_token_is_refused(browser):
    response, body = post(browser, LOGOUT, {}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "CSRF" in body["errors"][0]["message"]
    assert "data" not in body
    # Nothing ran: the session is still signed in.
    response, body = post(browser, ME, **with_csrf(browser))
    assert body["data"]["me"]["username"] == "alice"


def test_cookie_authenticated_post_with_wrong_csrf_token_is_refused(browser):
    browser.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    response, _ = post(browser, ME, HTTP_X_CSRFTOKEN="z" * 32)
    assert response.status_code == 403


def test_cookie_authenticated_post_with_csrf_token_passes(browser):
    response, body = post(browser, ME, **with_csrf(browser))
    assert response.status_code == 200
    assert body["data"]["me"]["username"] == "alice"


def test_same_browser_with_bearer_token_needs_no_csrf(browser, graphql):
    tokens = login(graphql)
    response, body = post(browser, ME, **bearer(tokens["access_token"]))
    assert response.status_code == 200, body
    assert body["data"]["me"]["username"] == "alice"
    # A mutation too.
    response, body = post(browser, LOGOUT, {}, **bearer(tokens["access_token"]))
    assert response.status_code == 200 and body["data"]["logout"]["ok"] is True


def test_bearer_decides_even_with_a_session(browser, graphql):
    tokens = login(graphql)
    response, body = post(browser, ME, **bearer(forge(tokens["access_token"], aud="x")))
    assert response.status_code == 401
    assert body["errors"][0]["extensions"]["code"] == UNAUTHENTICATED


def test_api_client_without_cookies_needs_no_csrf(alice):
    api = Client(enforce_csrf_checks=True)
    response, body = post(api, LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    access = body["data"]["login"]["access_token"]
    _, body = post(api, ME, **bearer(access))
    assert body["data"]["me"]["username"] == "alice"


def test_logout_ends_the_session(browser):
    _, body = post(browser, LOGOUT, {}, **with_csrf(browser))
    assert body["data"]["logout"]["ok"] is True
    _, body = post(browser, ME, **with_csrf(browser))
    assert body["data"]["me"] is None


def test_get_never_runs_a_mutation(browser):
    response = browser.get(
        "/graphql/", {"query": "mutation { logout { ok } }"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 405


# --- cookie mode ------------------------------------------------------------------------------

COOKIE_MODE = {
    "JWT_COOKIE": True,
    "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
}


@pytest.fixture
def cookie_mode():
    with override_settings(DJANGO_GRAPHQL_AUTO=COOKIE_MODE):
        yield


@pytest.mark.usefixtures("cookie_mode")
def test_cookie_mode_login_sets_httponly_cookies(alice):
    spa = Client(enforce_csrf_checks=True)
    response, body = post(spa, LOGIN, {"username": "alice", "password": PASSWORD})
    data = body["data"]["login"]
    assert data["ok"] is True
    assert data["access_token"] is None and data["refresh_token"] is None  # not readable by JS
    assert data["expires_in"] == 300
    access, refresh = response.cookies[ACCESS_COOKIE], response.cookies[REFRESH_COOKIE]
    for cookie in (access, refresh):
        assert cookie["httponly"] is True
        assert cookie["path"] == "/graphql/"
        assert cookie["samesite"] == settings.SESSION_COOKIE_SAMESITE
    assert access["max-age"] == 300 and refresh["max-age"] == 7 * 24 * 3600
    assert settings.CSRF_COOKIE_NAME in response.cookies  # for the next POSTs


@pytest.mark.usefixtures("cookie_mode")
def test_cookie_mode_requests_need_csrf(alice):
    spa = Client(enforce_csrf_checks=True)
    response, _ = post(spa, LOGIN, {"username": "alice", "password": PASSWORD})
    token = response.cookies[settings.CSRF_COOKIE_NAME].value
    response, body = post(spa, ME)
    assert response.status_code == 403
    response, body = post(spa, ME, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert body["data"]["me"]["username"] == "alice"


@pytest.mark.usefixtures("cookie_mode")
def test_cookie_mode_refresh_and_logout(alice):
    spa = Client(enforce_csrf_checks=True)
    response, _ = post(spa, LOGIN, {"username": "alice", "password": PASSWORD})
    csrf = {"HTTP_X_CSRFTOKEN": response.cookies[settings.CSRF_COOKIE_NAME].value}
    first_refresh = spa.cookies[REFRESH_COOKIE].value
    response, body = post(spa, REFRESH, {}, **csrf)
    assert body["data"]["refresh_token"]["ok"] is True
    assert body["data"]["refresh_token"]["refresh_token"] is None
    assert spa.cookies[REFRESH_COOKIE].value != first_refresh
    response, body = post(spa, ME, **csrf)
    assert body["data"]["me"]["username"] == "alice"
    # The old refresh token replayed (say, stolen from a log): the whole login is revoked.
    thief = Client()
    response, body = post(thief, REFRESH, {"token": first_refresh})
    assert body["errors"][0]["extensions"]["code"] == UNAUTHENTICATED
    response, body = post(spa, ME, **csrf)
    assert body["data"]["me"] is None  # the cookie's access token is revoked: anonymous
    response, body = post(spa, REFRESH, {}, **csrf)
    assert body["errors"][0]["extensions"]["code"] == UNAUTHENTICATED
    # Logout clears the cookies.
    response, body = post(spa, LOGOUT, {}, **csrf)
    assert body["data"]["logout"]["ok"] is True
    assert response.cookies[ACCESS_COOKIE].value == ""
    assert response.cookies[REFRESH_COOKIE]["max-age"] == 0


@pytest.mark.usefixtures("cookie_mode")
def test_cookie_mode_expired_access_cookie_is_anonymous(alice, graphql):
    spa = Client(enforce_csrf_checks=True)
    response, _ = post(spa, LOGIN, {"username": "alice", "password": PASSWORD})
    csrf = {"HTTP_X_CSRFTOKEN": response.cookies[settings.CSRF_COOKIE_NAME].value}
    now = int(time.time())
    spa.cookies[ACCESS_COOKIE] = forge(
        spa.cookies[ACCESS_COOKIE].value, exp=now - 1, iat=now - 400, nbf=now - 400
    )
    response, body = post(spa, ME, **csrf)
    assert response.status_code == 200 and body["data"]["me"] is None
    # The refresh cookie still gets a new pair.
    response, body = post(spa, REFRESH, {}, **csrf)
    assert body["data"]["refresh_token"]["ok"] is True
    response, body = post(spa, ME, **csrf)
    assert body["data"]["me"]["username"] == "alice"


def multipart_login(client: Client, **headers):
    """``login`` sent the way a cross-site HTML form can send it: multipart, no preflight."""
    variables = {"username": "alice", "password": PASSWORD}
    operations = json.dumps({"query": LOGIN, "variables": variables})
    response = client.post(
        "/graphql/",
        {"operations": operations, "map": "{}"},
        HTTP_ACCEPT="application/graphql-response+json",
        **headers,
    )
    return response, json.loads(response.content)


@pytest.mark.usefixtures("cookie_mode")
def test_cookie_mode_form_login_needs_the_csrf_token(alice):
    """Login CSRF: a cross-site form POSTs `login` as the attacker with no cookie at all (with
    SameSite=Lax the victim's own are not even sent); the response set the attacker's token
    cookies in the victim's browser, whose later requests then ran as the attacker."""
    for headers in ({"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_ORIGIN": "null"}, {}):
        victim = Client(enforce_csrf_checks=True)
        response, body = multipart_login(victim, **headers)
        assert response.status_code == 403, headers
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "data" not in body
        # Nothing ran: no token cookie was set, no login was issued.
        assert ACCESS_COOKIE not in response.cookies and REFRESH_COOKIE not in response.cookies
        assert not RefreshToken.objects.exists()
    # The same-site page sends the token (as GraphiQL and the documented clients do): it signs
    # in with a multipart request too, and its cookies then authenticate it.
    spa = Client(enforce_csrf_checks=True)
    response, body = multipart_login(spa, HTTP_ORIGIN="http://testserver", **with_csrf(spa))
    assert response.status_code == 200, body
    assert body["data"]["login"]["ok"] is True
    assert response.cookies[ACCESS_COOKIE].value and response.cookies[REFRESH_COOKIE].value
    _, body = post(spa, ME, HTTP_X_CSRFTOKEN=spa.cookies[settings.CSRF_COOKIE_NAME].value)
    assert body["data"]["me"]["username"] == "alice"
