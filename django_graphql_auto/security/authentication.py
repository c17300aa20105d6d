"""Who is calling: the HTTP side of authentication, run by the view before the engine.

Order of the checks for one request:

1. ``Authorization: Bearer <access token>``: the token must be valid (signature, ``type``,
   ``exp``/``nbf``/``iat``, issuer, audience, family not revoked, password unchanged), or the
   request is refused with **401**, ``WWW-Authenticate: Bearer error="invalid_token"`` (RFC 6750)
   and a GraphQL-shaped body whose error code is ``UNAUTHENTICATED``. Nothing is executed: a
   client that presents a credential must learn that it is bad (and refresh), not silently be
   served as anonymous. A Bearer request needs no CSRF token (browsers never add that header on
   their own), even if it also carries cookies.
2. Otherwise a POST that carries a cookie that can authenticate (Django's session cookie, or the
   token cookies in ``JWT_COOKIE`` mode) must pass Django's CSRF check, or it is refused with
   **403** and code ``FORBIDDEN``. In ``JWT_COOKIE`` mode so must every POST that is not JSON,
   cookies or not (login CSRF, see :func:`needs_csrf_check`).
3. ``JWT_COOKIE`` mode: a valid access-token cookie authenticates the request. An invalid or
   expired one is ignored (the request is anonymous), so that the client can still call
   ``refresh_token``, which reads the refresh-token cookie.
4. Otherwise ``request.user`` is what Django's ``AuthenticationMiddleware`` found (session).

Resolvers that set or clear the token cookies queue the change on the request
(:func:`queue_cookies`); the view applies it to the response (:func:`apply_cookies`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from django_graphql_auto.execution.errors import FORBIDDEN, UNAUTHENTICATED
from django_graphql_auto.security import tokens
from django_graphql_auto.security.jwt import InvalidToken

ACCESS_COOKIE = "graphql_access_token"
REFRESH_COOKIE = "graphql_refresh_token"

#: How the request was authenticated: "bearer", "cookie" (JWT cookie), or absent.
AUTH_METHOD_ATTR = "graphql_auth_method"
#: The token family of a token-authenticated request (logout without a refresh token ends it).
FAMILY_ATTR = "graphql_token_family"
_COOKIES_ATTR = "_graphql_auth_cookies"


class AuthenticationRejected(Exception):
    """The request must be refused before execution; the view turns it into a response."""

    def __init__(
        self, status: int, message: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header, "" for an empty one, else None."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()


def _jwt_cookie_mode(config: Any) -> bool:
    return bool(config["JWT_COOKIE"])


def carries_auth_cookie(request: HttpRequest, config: Any = None) -> bool:
    """True when the request holds a cookie that could authenticate it."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return True
    return config is not None and (
        _jwt_cookie_mode(config)
        and (ACCESS_COOKIE in request.COOKIES or REFRESH_COOKIE in request.COOKIES)
    )


def needs_csrf_check(request: HttpRequest, config: Any) -> bool:
    """True for a POST (without a Bearer token) that must pass Django's CSRF check.

    A POST that carries an authenticating cookie could come from a cross-site page acting as
    the user. In ``JWT_COOKIE`` mode a POST without cookies can do harm too: its response sets
    token cookies, so a cross-site form running ``login`` as the attacker would sign the
    victim's browser in to the attacker's account (login CSRF). Only JSON needs a CORS
    preflight across sites; a form can send any other body (multipart/form-data,
    urlencoded, text/plain), so in cookie mode every such POST needs the token. Without
    cookie mode no response sets a cookie that signs the browser in (``login`` creates no
    Django session), so cookie-less clients keep uploading without a token.
    """
    if request.method != "POST":
        return False
    if carries_auth_cookie(request, config):
        return True
    return (
        config["ENABLE_AUTHENTICATION"]
        and _jwt_cookie_mode(config)
        and request.content_type != "application/json"
    )


def csrf_failure(request: HttpRequest) -> bool:
    """Run Django's CSRF check (token, Origin/Referer) as the middleware would; True if it fails.

    The view is ``csrf_exempt`` so that Bearer clients need no token: this applies the check
    to the requests that do need it.
    """
    check = CsrfViewMiddleware(lambda _request: None)
    if "CSRF_COOKIE" not in request.META:  # the middleware is not installed
        check.process_request(request)
    return check.process_view(request, None, (), {}) is not None


def _rejected(message: str) -> AuthenticationRejected:
    return AuthenticationRejected(
        401,
        message,
        UNAUTHENTICATED,
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def authenticate_request(request: HttpRequest, config: Any) -> None:
    """Apply the rules of the module docstring; sets ``request.user`` when a token
    authenticates. Raises :class:`AuthenticationRejected`."""
    token = bearer_token(request) if config["ENABLE_AUTHENTICATION"] else None
    if token is not None:
        if not token:
            raise _rejected("The Authorization header has no token.")
        try:
            user, family = tokens.authenticate_access(token, config)
        except InvalidToken as error:
            raise _rejected(str(error)) from None
        _authenticated(request, user, family, "bearer")
        return
    if needs_csrf_check(request, config) and csrf_failure(request):
        raise AuthenticationRejected(
            403,
            "CSRF verification failed: a request authenticated by cookie (or, in cookie mode, "
            "any request that is not JSON) must send Django's CSRF token (X-CSRFToken header), "
            "or authenticate with a Bearer token instead.",
            FORBIDDEN,
        )
    if config["ENABLE_AUTHENTICATION"] and _jwt_cookie_mode(config):
        cookie = request.COOKIES.get(ACCESS_COOKIE)
        if cookie:
            try:
                user, family = tokens.authenticate_access(cookie, config)
            except InvalidToken:
                return  # anonymous; refresh_token can still read the refresh cookie
            _authenticated(request, user, family, "cookie")


def _authenticated(request: HttpRequest, user: Any, family: Any, method: str) -> None:
    request.user = user
    setattr(request, AUTH_METHOD_ATTR, method)
    setattr(request, FAMILY_ATTR, family)


def auth_method(request: Any) -> str | None:
    """ "bearer" or "cookie" for a token-authenticated request, else None (session/anonymous)."""
    return getattr(request, AUTH_METHOD_ATTR, None)


# --- token cookies -----------------------------------------------------------------------------


@dataclass
class _CookieChanges:
    to_set: dict[str, tuple[str, int]] = field(default_factory=dict)
    to_delete: set[str] = field(default_factory=set)


def _changes(request: Any) -> _CookieChanges:
    changes = getattr(request, _COOKIES_ATTR, None)
    if changes is None:
        changes = _CookieChanges()
        setattr(request, _COOKIES_ATTR, changes)
    return changes


def queue_token_cookies(request: Any, pair: tokens.TokenPair) -> None:
    if request is None:
        return
    changes = _changes(request)
    changes.to_delete -= {ACCESS_COOKIE, REFRESH_COOKIE}
    changes.to_set[ACCESS_COOKIE] = (pair.access_token, pair.expires_in)
    changes.to_set[REFRESH_COOKIE] = (pair.refresh_token, pair.refresh_expires_in)


def queue_cookie_deletion(request: Any) -> None:
    if request is None:
        return
    changes = _changes(request)
    changes.to_set.clear()
    changes.to_delete |= {ACCESS_COOKIE, REFRESH_COOKIE}


def apply_cookies(request: HttpRequest, response: HttpResponse) -> None:
    """Write the queued token-cookie changes: HttpOnly, scoped to the endpoint's path, with
    Django's session-cookie ``Secure``, ``SameSite`` and ``Domain`` settings."""
    changes = getattr(request, _COOKIES_ATTR, None)
    if changes is None:
        return
    path = request.path
    for name in changes.to_delete:
        response.delete_cookie(
            name,
            path=path,
            domain=settings.SESSION_COOKIE_DOMAIN,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
    for name, (value, max_age) in changes.to_set.items():
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=path,
            domain=settings.SESSION_COOKIE_DOMAIN,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
