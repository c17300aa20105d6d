"""The GraphQL multipart request specification (file uploads).

A multipart POST carries `operations` (the usual JSON parameters, with `null` where files go),
`map` (which file part goes to which `variables.` path) and the file parts. Django parses the
parts; this module puts each `UploadedFile` at its paths. Batched operations are not supported.

Browsers can send multipart forms across sites without a preflight, so a cookie-authenticated
multipart request must pass Django's CSRF check (token-authenticated clients send no cookie), and
in ``JWT_COOKIE`` mode so must every multipart request, cookies or not: its response may set the
token cookies (login CSRF). The view applies both rules before the body is read
(:func:`django_graphql_auto.security.authentication.needs_csrf_check`).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.datastructures import MultiValueDict

from django_graphql_auto.security.authentication import auth_method

MULTIPART = "multipart/form-data"


class MultipartError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


#: What Django raises while it parses a request it refuses (its handler would answer 400 or 413;
#: our view catches every exception, so they are mapped here rather than becoming 500s).
PARSE_ERRORS = (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    MultiPartParserError,
    BadRequest,
)


def parse_refusal(error: Exception) -> MultipartError:
    """The client error for one of PARSE_ERRORS (a form body, or a GET's query string)."""
    if isinstance(error, RequestDataTooBig):
        return MultipartError(
            413, "A form field exceeds Django's DATA_UPLOAD_MAX_MEMORY_SIZE; send files as files."
        )
    if isinstance(error, TooManyFieldsSent):
        return MultipartError(
            400, "The request has more parameters than Django's DATA_UPLOAD_MAX_NUMBER_FIELDS."
        )
    if isinstance(error, TooManyFilesSent):
        return MultipartError(
            400, "The request has more files than Django's DATA_UPLOAD_MAX_NUMBER_FILES."
        )
    return MultipartError(400, f"The request body cannot be parsed: {error}")


def form_parts(request: HttpRequest) -> tuple[QueryDict, MultiValueDict]:
    """``request.POST`` and ``request.FILES``, which Django parses on first access.

    Django refuses a body it cannot or will not parse (no boundary, more parts than
    DATA_UPLOAD_MAX_NUMBER_FIELDS or DATA_UPLOAD_MAX_NUMBER_FILES, a field larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE) with exceptions of its own: they are the client's 4xx.
    """
    try:
        return request.POST, request.FILES
    except PARSE_ERRORS as error:
        raise parse_refusal(error) from None


def _json(raw: str | None, name: str) -> Any:
    if raw is None:
        raise MultipartError(400, f"The multipart request has no '{name}' part.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise MultipartError(400, f"The '{name}' part is not valid JSON.") from None


def _place(operations: dict[str, Any], path: str, upload: Any) -> None:
    keys = path.split(".")
    if len(keys) < 2 or keys[0] != "variables":
        raise MultipartError(400, f"Map path '{path}' must point into variables.")
    target: Any = operations
    for key in keys[:-1]:
        target = _step(target, key, path)
    last = keys[-1]
    if isinstance(target, list):
        index = _index(last, target, path)
        target[index] = upload
    elif isinstance(target, dict):
        target[last] = upload
    else:
        raise MultipartError(400, f"Map path '{path}' does not exist in operations.")


def _index(key: str, items: list, path: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        raise MultipartError(400, f"Map path '{path}' does not exist in operations.")
    return int(key)


def _step(target: Any, key: str, path: str) -> Any:
    if isinstance(target, list):
        return target[_index(key, target, path)]
    if isinstance(target, dict) and isinstance(target.get(key), dict | list):
        return target[key]
    if isinstance(target, dict) and key in target and target[key] is None:
        target[key] = {}
        return target[key]
    raise MultipartError(400, f"Map path '{path}' does not exist in operations.")


def _csrf_refusal(request: HttpRequest) -> str | None:
    # The view already ran the check (security.authentication) before reading the body; this
    # stays for callers that parse multipart requests themselves. Bearer requests need none.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or auth_method(request) == "bearer":
        return None
    check = CsrfViewMiddleware(lambda _request: None)
    response = check.process_view(request, None, (), {})
    return None if response is None else "CSRF verification failed for a multipart request."


def operations_from_multipart(
    request: HttpRequest, max_bytes: int, max_fields_bytes: int | None = None
) -> dict[str, Any]:
    """The decoded `operations` object with every mapped file in place.

    `max_bytes` bounds the whole request (`UPLOAD_MAX_REQUEST_BYTES`); `max_fields_bytes` its
    parts other than files (`MAX_REQUEST_BYTES`, as for a JSON body), or any client could send
    its document as multipart to escape the JSON body's limit."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise MultipartError(400, "Invalid Content-Length header.") from None
    if declared > max_bytes:
        raise MultipartError(413, f"The multipart request exceeds {max_bytes} bytes.")
    fields, files = form_parts(request)  # first: the CSRF check reads the body as well
    if max_fields_bytes is not None:
        size = sum(len(value.encode()) for _, values in fields.lists() for value in values)
        if size > max_fields_bytes:
            raise MultipartError(
                413, f"The request's parts other than files exceed {max_fields_bytes} bytes."
            )
    refusal = _csrf_refusal(request)
    if refusal:
        raise MultipartError(403, refusal)
    operations = _json(fields.get("operations"), "operations")
    if not isinstance(operations, dict):
        raise MultipartError(400, "Batched operations are not supported; send one object.")
    mapping = _json(fields.get("map"), "map")
    if not isinstance(mapping, dict):
        raise MultipartError(400, "The 'map' part must be a JSON object.")
    for key, paths in mapping.items():
        upload = files.get(key)
        if upload is None:
            raise MultipartError(400, f"The map names file part '{key}', which was not sent.")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise MultipartError(400, f"The map entry '{key}' must be a list of paths.")
        for path in paths:
            _place(operations, path, upload)
    return operations
