"""The security audit log (SPEC §6, §9): one function, :func:`security_event`, for every event.

Events go to the ``django_graphql_auto.security`` logger (the rate limiter logs its refusals
there too), each with a readable message and the same structured fields in ``extra``, so a JSON
formatter (:class:`django_graphql_auto.observability.logging.JSONFormatter`) writes them as
keys:

``event``
    What happened: ``permission_denied``, ``field_denied``, ``query_rejected``,
    ``authentication_failed``, ``csrf_failed``, ``input_sanitized``, ``statement_timeout``.
``user``, ``user_id``
    ``"alice"`` and the primary key as a string, or ``"anonymous"`` and None.
``operation``
    The GraphQL operation name (None for an anonymous operation).
``client_ip``
    The client's address, found as the rate limiter finds it (``TRUSTED_PROXIES``).
``reason``
    Why, in words.
``request_id``
    The request's id (see :mod:`django_graphql_auto.observability.logging`).

plus the event's own details (``model``, ``field``, ``permission``, ``codes``, ...).

Levels: refusals (denials, rejected documents, failed authentication, timeouts) are
``WARNING``; a sanitized input whose value changed is ``INFO`` and one left unchanged
``DEBUG``, so a production logger at ``WARNING`` keeps the refusals only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLError

from django_graphql_auto.execution import errors
from django_graphql_auto.observability.logging import current_request_id

__all__ = [
    "FIELDS",
    "denied",
    "field_denied",
    "operation",
    "query_rejected",
    "security_event",
    "security_log",
]

security_log = logging.getLogger("django_graphql_auto.security")

#: The keys every event puts in the log record's ``extra``.
FIELDS = ("event", "user", "user_id", "operation", "client_ip", "reason", "request_id")

#: Attributes a LogRecord has of its own: a detail with such a name is renamed ``detail_<name>``
#: (``logging`` refuses to overwrite them).
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}

_UNSET: Any = object()

#: The name of the GraphQL operation being executed (set by the engine around execution).
_operation: ContextVar[str | None] = ContextVar("django_graphql_auto_operation", default=None)


@contextmanager
def operation(name: str | None) -> Iterator[None]:
    """Events logged inside the block name operation ``name`` unless they say otherwise."""
    token = _operation.set(name)
    try:
        yield
    finally:
        _operation.reset(token)


def _unwrap(source: Any) -> tuple[Any, Any]:
    """(HTTP request, schema config or None) from a request or a RequestContext."""
    bundle = getattr(source, "bundle", None)
    if bundle is not None and hasattr(source, "policy"):  # a RequestContext
        return source.request, bundle.config
    return source, None


def _trusted_proxies(request: Any, config: Any) -> tuple[str, ...]:
    if config is None:
        from django_graphql_auto.security import ratelimit

        try:
            config = ratelimit._config(ratelimit._schema_of(request, None))
        except Exception:  # no such schema (a request outside the endpoint): no proxies
            return ()
    return tuple(config["TRUSTED_PROXIES"])


def _user(request: Any) -> tuple[str, str | None]:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.get_username(), str(user.pk)
    return "anonymous", None


def _request_id(request: Any) -> str | None:
    value = getattr(request, "request_id", None) or current_request_id()
    return str(value)[:200] if value else None


def security_event(
    kind: str,
    request: Any,
    reason: str,
    *,
    level: int = logging.WARNING,
    operation: str | None = _UNSET,
    config: Any = None,
    **details: Any,
) -> None:
    """Log one security event on ``django_graphql_auto.security``.

    ``request`` is the Django request (or the engine's RequestContext, or None outside a
    request); ``operation`` defaults to the operation being executed; ``config`` (a schema
    config) says which proxies to trust when finding the client IP, else the request's schema
    does. ``details`` become extra fields of the record.
    """
    if not security_log.isEnabledFor(level):
        return
    request, ctx_config = _unwrap(request)
    from django_graphql_auto.security.ratelimit import client_ip

    username, user_id = _user(request)
    ip = None
    if request is not None:
        ip = client_ip(request, _trusted_proxies(request, config or ctx_config))
    name = _operation.get() if operation is _UNSET else operation
    extra: dict[str, Any] = {
        "event": kind,
        "user": username,
        "user_id": user_id,
        "operation": name[:200] if name else name,  # a made-up operationName may be long
        "client_ip": ip,
        "reason": reason,
        "request_id": _request_id(request),
    }
    for key, value in details.items():
        extra[f"detail_{key}" if key in _RESERVED or key in extra else key] = value
    shown = "".join(f", {key}={value!r}" for key, value in details.items())
    security_log.log(
        level,
        "Security event %s: %s (user %s, IP %s, operation %s%s)",
        kind,
        _one_line(reason),
        username if user_id is None else f"{username} (id {user_id})",
        ip or "unknown",
        _operation_shown(name),
        shown,
        extra=extra,
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


def _one_line(text: str) -> str:
    """Escape what would end or forge a line of a plain-text log (a newline in a value the
    client chose); the JSON formatter escapes it by itself."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def _operation_shown(name: str | None) -> str:
    """A GraphQL name as it is; anything else (an `operationName` the request made up, on a
    path that refused the document before matching it to an operation) quoted and cut short."""
    if not name:
        return "-"
    if _NAME.fullmatch(name):
        return name
    return _one_line(repr(name[:100]))


# --- the events the engine and the policy report ------------------------------------------------


def _label(model: Any) -> str:
    return model._meta.label


def denied(ctx: Any, model: Any, permission: str, reason: str, *, object_id: Any = None) -> None:
    """The caller may not ``permission`` (view/add/change/delete) objects of ``model`` (or the
    one row ``object_id``)."""
    if not _first_time(ctx, ("model", model, permission, object_id)):
        return
    details: dict[str, Any] = {"model": _label(model), "permission": permission}
    if object_id is not None:
        details["object_id"] = str(object_id)
    security_event("permission_denied", ctx, reason, **details)


def field_denied(ctx: Any, model: Any, field: str, action: str, reason: str) -> None:
    """The caller may not ``action`` (read, filter on, order by, count) ``field`` of ``model``."""
    if _first_time(ctx, ("field", model, field, action)):
        security_event("field_denied", ctx, reason, model=_label(model), field=field, action=action)


def _first_time(ctx: Any, key: tuple) -> bool:
    """One event per denial and request, however many times the planner meets it."""
    seen = getattr(ctx, "_audited", None)
    if seen is None:
        try:
            seen = ctx._audited = set()
        except AttributeError:  # a context that takes no attributes: log every time
            return True
    if key in seen:
        return False
    seen.add(key)
    return True


_INTROSPECTION_OFF = "introspection has been disabled"


def query_rejected(
    request: Any,
    bundle: Any,
    operation_name: str | None,
    refused: Iterable[GraphQLError],
) -> None:
    """Report a document refused before execution when the refusal is a protection at work:
    a query-analysis limit (``QUERY_TOO_COMPLEX``), introspection switched off, or a document
    outside the allow-list. Ordinary mistakes (a typo in a field name, an APQ cache miss) are
    not security events and are not logged."""
    reasons, codes, limits = [], [], []
    allowlist = bundle.config["PERSISTED_QUERIES"] == "allowlist"
    for error in refused:
        code = (error.extensions or {}).get("code")
        if code == errors.QUERY_TOO_COMPLEX:
            limit = (error.extensions or {}).get("limit")
            if limit:
                limits.append(limit)
        elif code == errors.PERSISTED_QUERY_NOT_FOUND and allowlist:
            pass
        elif _INTROSPECTION_OFF in error.message:
            code = "INTROSPECTION_DISABLED"
        else:
            continue
        reasons.append(error.message)
        codes.append(code)
    if reasons:
        security_event(
            "query_rejected",
            request,
            "; ".join(dict.fromkeys(reasons)),
            operation=operation_name,
            config=bundle.config,
            codes=sorted(set(codes)),
            limits=sorted(set(limits)),
            schema=bundle.name,
        )
