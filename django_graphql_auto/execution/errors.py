"""Error codes (SPEC §6, §10) and the one place that turns exceptions into response errors."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from graphql import GraphQLError

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
BAD_USER_INPUT = "BAD_USER_INPUT"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
RATE_LIMITED = "RATE_LIMITED"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

logger = logging.getLogger("django_graphql_auto")


def client_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    """An error meant for the client; raise it from resolvers and planners."""
    return GraphQLError(message, extensions={"code": code, **extensions})


def bad_input(message: str, argument: str | None = None) -> GraphQLError:
    extra = {"argument": argument} if argument else {}
    return client_error(message, BAD_USER_INPUT, **extra)


def forbidden(message: str) -> GraphQLError:
    return client_error(message, FORBIDDEN)


def _code_for(original: BaseException | None) -> str | None:
    if original is None:
        return None
    if isinstance(original, PermissionDenied):
        return FORBIDDEN
    if isinstance(original, ObjectDoesNotExist):
        return NOT_FOUND
    if isinstance(original, ValidationError):
        return BAD_USER_INPUT
    return None


def format_error(error: GraphQLError, *, default_code: str, show_internal: bool) -> dict[str, Any]:
    """A response error that always has `extensions.code` and never leaks internals.

    Errors graphql-core raises itself (coercion, validation) have no original error and take the
    default code of the stage that produced them; an unexpected exception from our code is an
    INTERNAL_SERVER_ERROR whose message is hidden unless `show_internal`.
    """
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    extensions = dict(error.extensions or {})
    message = error.message
    if "code" not in extensions:
        mapped = _code_for(original)
        if mapped is not None:
            extensions["code"] = mapped
            if isinstance(original, ValidationError):
                message = "; ".join(original.messages)
        elif original is not None and not isinstance(original, GraphQLError):
            extensions["code"] = INTERNAL_SERVER_ERROR
            logger.error("Internal error while resolving %s", error.path, exc_info=original)
            if not show_internal:
                message = "Internal server error."
        else:
            extensions["code"] = default_code
    formatted: dict[str, Any] = {"message": message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path:
        formatted["path"] = list(error.path)
    formatted["extensions"] = extensions
    return formatted
