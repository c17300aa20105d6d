"""A JSON log formatter (standard library only) for structured logs (SPEC §9).

One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the
record's ``request_id`` when it has one, every field passed in ``extra`` (the security events of
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
from typing import Any

__all__ = ["JSONFormatter"]

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
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            request = getattr(record, "request", None)  # django.request's records carry it
            request_id = getattr(request, "request_id", None) or getattr(request, "META", {}).get(
                "HTTP_X_REQUEST_ID"
            )
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
