"""A JSON log formatter (standard library only) for structured logs (SPEC §9), and the request
id every line of a GraphQL request carries.

The endpoint gives each request an id (:func:`request_id_for`: the ``X-Request-ID`` header when
a proxy or the client sent a well-formed one, else a new one), returns it in the
``X-Request-ID`` response header, and binds it (:func:`bound_request_id`) while the request is
served, so that any record logged meanwhile, by this package or by your code, can carry it:
the JSON formatter adds it by itself, and :class:`RequestIdFilter` sets ``record.request_id`` for
a plain-text format (``"%(request_id)s %(levelname)s %(message)s"``).

One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the
``request_id`` when there is one, every field passed in ``extra`` (the security events of
:mod:`django_graphql_auto.security.audit` put ``event``, ``user``, ``user_id``, ``operation``,
``client_ip``, ``reason`` and their details there), and ``exception`` with the traceback::

    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "django_graphql_auto.observability.logging.JSONFormatter"}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "django_graphql_auto.security": {"handlers": ["json"], "level": "INFO"},
        },
    }
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["JSONFormatter", "RequestIdFilter", "bound_request_id", "current_request_id"]

_request_id: ContextVar[str | None] = ContextVar("gqa_request_id", default=None)
#: What a request id from a header may look like: a proxy's or a client's token, not free text
#: that could carry a line break or an escape into a log.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}")


def request_id_for(request: Any) -> str:
    """The id of this request: one a middleware already set (``request.request_id``), the
    ``X-Request-ID`` header when it is well-formed, else a new random one."""
    given = getattr(request, "request_id", None) or request.META.get("HTTP_X_REQUEST_ID")
    if isinstance(given, str) and _WELL_FORMED.fullmatch(given):
        return given
    return uuid.uuid4().hex


@contextmanager
def bound_request_id(request_id: str) -> Iterator[None]:
    """Every record logged in this block (this thread or task) carries ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Sets ``record.request_id`` (None outside a request) for plain-text formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


#: What every LogRecord carries: not repeated as extra fields.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def _plain(value: Any) -> Any:
    """A JSON-ready value: containers kept, anything else as its string."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


class JSONFormatter(logging.Formatter):
    """Formats a record as one line of JSON (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id is None:
            request = getattr(record, "request", None)  # django.request's records carry it
            request_id = getattr(request, "request_id", None)
        if request_id is not None:
            entry["request_id"] = str(request_id)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = _plain(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
