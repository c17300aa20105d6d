"""The GraphQL-over-HTTP endpoint (https://graphql.github.io/graphql-over-http/draft/).

This module only speaks HTTP: it turns a Django request into ``(query, variables, operationName)``,
hands it to :func:`django_graphql_auto.execution.engine.process`, and maps the outcome to a status
code and a media type. It never touches graphql-core itself.

Choices worth knowing (the graphql-http ``serverAudits`` check all of them):

* Response media type: ``application/graphql-response+json`` whenever the client names it (and
  prefers it at least as much as ``application/json``); ``application/json`` when the client asks
  only for that, sends ``*/*``/``application/*`` or no ``Accept`` at all, as the draft requires for
  legacy clients during its "watershed" period. Nothing acceptable → 406.
* Under ``application/graphql-response+json`` a request that was not executed (parse, validation,
  operation-selection or variable-coercion failure) is a 400; under ``application/json`` it is a
  200 with ``errors``. Executed requests are always 200, even with field errors.
* A request that is not a well-formed GraphQL-over-HTTP request at all (bad JSON, ``query`` not a
  string, ``variables`` not an object, wrong ``Content-Type``, body too large) gets a 4xx whatever
  the media type, with a GraphQL-shaped body whose error code is ``BAD_USER_INPUT`` (SPEC §6
  lists the codes a client may meet; the HTTP status tells these refusals apart).
* GET runs queries only: a mutation over GET is a 405 with ``Allow: POST``.
* Authentication (:mod:`django_graphql_auto.security.authentication`) runs first: an invalid
  ``Authorization: Bearer`` token is a 401 with ``WWW-Authenticate`` and code
  ``UNAUTHENTICATED``; a POST authenticated by cookie (or, in ``JWT_COOKIE`` mode, any POST that
  is not JSON) without a valid CSRF token is a 403 with code ``FORBIDDEN``. Neither is executed.
* An unexpected exception is a 500 with a generic ``INTERNAL_SERVER_ERROR``; the traceback goes to
  the log (and Django's ``got_request_exception`` signal), never to the client unless ``DEBUG``.
* With ``ENABLE_RATE_LIMITING`` every request is charged to its budget once (see
  :mod:`django_graphql_auto.security.ratelimit`); a refusal, or any ``RATE_LIMITED`` error a
  resolver raised (a locked-out login), is a 429 with ``Retry-After`` in seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from django_graphql_auto.execution import engine
from django_graphql_auto.execution.errors import BAD_USER_INPUT, FORBIDDEN, RATE_LIMITED
from django_graphql_auto.observability.logging import bound_request_id, request_id_for
from django_graphql_auto.schema.scalars import json_problem
from django_graphql_auto.security.audit import security_event
from django_graphql_auto.security.authentication import (
    AuthenticationRejected,
    apply_cookies,
    authenticate_request,
)
from django_graphql_auto.security.ratelimit import operation_meter
from django_graphql_auto.transport.graphiql import (
    graphiql_enabled,
    graphiql_page,
    transport_settings,
)
from django_graphql_auto.transport.multipart import (
    MULTIPART,
    PARSE_ERRORS,
    MultipartError,
    operations_from_multipart,
    parse_refusal,
)

logger = logging.getLogger("django_graphql_auto.transport")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

_ALLOWED_METHODS = ("GET", "POST")
_QUERY_ONLY = frozenset({"query"})
_QUERY_AND_MUTATION = frozenset({"query", "mutation"})


class RequestRejected(Exception):
    """The HTTP request itself is unacceptable; carries the status and a client-safe message."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        code: str = BAD_USER_INPUT,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.code = code


@dataclass(frozen=True)
class GraphQLParams:
    """The four request parameters of the GraphQL-over-HTTP draft, already type-checked."""

    query: str | None  # None only for a persisted query sent by hash
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


# --- content negotiation ---------------------------------------------------------------------


def _parse_accept(header: str) -> list[tuple[str, float]]:
    """``Accept`` as ``(media range, q)`` pairs; malformed q-values count as 0 (not acceptable)."""
    ranges = []
    for item in header.split(","):
        media_range, *params = item.split(";")
        media_range = media_range.strip().lower()
        if not media_range:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        ranges.append((media_range, quality))
    return ranges


def _match(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """``(q, specificity)`` of the most specific range covering ``media_type`` (RFC 9110 §12.5.1).

    Specificity: 2 exact, 1 ``type/*``, 0 ``*/*``, -1 no match.
    """
    main_type = media_type.split("/", 1)[0]
    best = (0.0, -1)
    for media_range, quality in ranges:
        if media_range == media_type:
            specificity = 2
        elif media_range == f"{main_type}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def negotiate_media_type(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None when we can produce nothing.

    Wildcards and a missing header mean the legacy ``application/json`` (the draft's rule for
    clients that predate the new type); a client that names ``application/graphql-response+json``
    gets it unless it ranks ``application/json`` strictly higher.
    """
    if not accept or not accept.strip():
        return APPLICATION_JSON
    ranges = _parse_accept(accept)
    new_q, new_specificity = _match(GRAPHQL_RESPONSE_JSON, ranges)
    old_q, _ = _match(APPLICATION_JSON, ranges)
    new_named = new_specificity == 2 and new_q > 0
    if new_named and new_q >= old_q:
        return GRAPHQL_RESPONSE_JSON
    if old_q > 0:
        return APPLICATION_JSON
    if new_q > 0:
        return GRAPHQL_RESPONSE_JSON
    return None


def accepts_html(accept: str | None) -> bool:
    """A browser navigation (``text/html`` acceptable) rather than an API client."""
    return any(
        media_range == "text/html" and quality > 0
        for media_range, quality in _parse_accept(accept or "")
    )


# --- reading the request ---------------------------------------------------------------------


def _optional_object(value: Any, name: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise RequestRejected(400, f"The '{name}' parameter must be a JSON object or null.")


def _params_from_mapping(data: dict[str, Any]) -> GraphQLParams:
    """Type-check the decoded parameters, the same way for GET and POST."""
    query = data.get("query")
    extensions = _optional_object(data.get("extensions"), "extensions")
    # A persisted query (APQ) may come as its hash alone; the engine resolves the text.
    if query is None and not (extensions and "persistedQuery" in extensions):
        raise RequestRejected(400, "The 'query' parameter is required.")
    if query is not None and not isinstance(query, str):
        raise RequestRejected(400, "The 'query' parameter must be a string.")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestRejected(400, "The 'operationName' parameter must be a string or null.")
    return GraphQLParams(
        query=query,
        variables=_optional_object(data.get("variables"), "variables"),
        operation_name=operation_name or None,
        extensions=extensions,
    )


def _decode_json(raw: bytes | str, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestRejected(400, f"The {what} is not valid JSON.") from None


def _params_from_get(request: HttpRequest, max_bytes: int) -> GraphQLParams:
    """GET: parameters in the query string, ``variables``/``extensions`` JSON-encoded."""
    if len(request.META.get("QUERY_STRING", "")) > max_bytes:
        raise RequestRejected(414, f"The query string exceeds {max_bytes} bytes.")
    data: dict[str, Any] = {
        "query": request.GET.get("query"),
        "operationName": request.GET.get("operationName"),
    }
    for name in ("variables", "extensions"):
        raw = request.GET.get(name)
        data[name] = _decode_json(raw, f"'{name}' parameter") if raw else None
    return _params_from_mapping(data)


def _read_body(request: HttpRequest, max_bytes: int) -> bytes:
    """The raw body, refusing oversized ones before reading them when the length is declared."""
    too_large = RequestRejected(413, f"The request body exceeds {max_bytes} bytes.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise RequestRejected(400, "Invalid Content-Length header.") from None
    if declared > max_bytes:
        raise too_large
    try:
        body = request.body
    except RequestDataTooBig:  # Django's own DATA_UPLOAD_MAX_MEMORY_SIZE is lower than ours
        raise too_large from None
    if len(body) > max_bytes:
        raise too_large
    return body


def _params_from_post(request: HttpRequest, config: Any) -> GraphQLParams:
    """POST: a UTF-8 JSON object body, or a multipart request carrying files."""
    if request.content_type == MULTIPART:
        try:
            data = operations_from_multipart(
                request, config["UPLOAD_MAX_REQUEST_BYTES"], config["MAX_REQUEST_BYTES"]
            )
        except MultipartError as error:
            raise RequestRejected(error.status, error.message) from None
        return _params_from_mapping(data)
    if request.content_type != APPLICATION_JSON:
        raise RequestRejected(
            415,
            "Unsupported Content-Type: send 'application/json' (or multipart/form-data).",
            {"Accept-Post": f"{APPLICATION_JSON}, {MULTIPART}"},
        )
    max_bytes = config["MAX_REQUEST_BYTES"]
    charset = request.content_params.get("charset", "utf-8").strip().lower()
    if charset not in {"utf-8", "utf8"}:
        raise RequestRejected(415, "Unsupported charset: the body must be UTF-8.")
    body = _read_body(request, max_bytes)
    if not body.strip():
        raise RequestRejected(400, "The request body is empty.")
    data = _decode_json(body, "request body")
    if not isinstance(data, dict):
        raise RequestRejected(400, "The request body must be a JSON object.")
    return _params_from_mapping(data)


# --- responses -------------------------------------------------------------------------------


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


#: The most lists and objects orjson writes nested in one another.
_ORJSON_MAX_DEPTH = 254


def _writable(data: Any) -> tuple[Any, list[tuple[list[str | int], str]]]:
    """A copy of `data` in which every value orjson cannot write is null, with where and why.

    Walked with a stack (the values may nest deeply); `data` sits two levels down the payload.
    """
    problems: list[tuple[list[str | int], str]] = []
    holder = [data]
    stack: list[tuple[Any, Any, list[str | int], int]] = [(holder, 0, [], 2)]
    while stack:
        parent, key, path, depth = stack.pop()
        value = parent[key]
        if isinstance(value, dict | list):
            if depth > _ORJSON_MAX_DEPTH:
                problem = f"it nests deeper than {_ORJSON_MAX_DEPTH} levels"
            elif isinstance(value, dict) and not all(isinstance(k, str) for k in value):
                problem = "an object key is not a string"
            else:
                copy = dict(value) if isinstance(value, dict) else list(value)
                parent[key] = copy
                keys = list(copy) if isinstance(copy, dict) else range(len(copy))
                stack.extend((copy, k, [*path, k], depth + 1) for k in keys)
                continue
        else:
            problem = json_problem(value)
        if problem is not None:
            parent[key] = None
            problems.append((path, problem))
    return holder[0], problems


def _encode(payload: dict[str, Any]) -> bytes:
    """orjson's bytes for `payload`; a value it cannot write becomes null, with an error.

    Scalars refuse such values themselves, but a stored value can reach a response unchecked
    (the compiled read path writes JSON columns as stored), and a write that committed must
    not be answered with a 500 because one value of its payload could not be written.
    """
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:
        if payload.get("data") is None:
            raise
    data, problems = _writable(payload["data"])
    errors = [
        {
            "message": f"The value could not be written as JSON: {problem}.",
            "path": path,
            "extensions": {"code": INTERNAL_SERVER_ERROR},
        }
        for path, problem in problems
    ]
    return orjson.dumps({**payload, "errors": [*payload.get("errors", ()), *errors], "data": data})


def json_response(
    payload: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> HttpResponse:
    """Encode with orjson; the body is always UTF-8, which the charset parameter states."""
    response = HttpResponse(
        _encode(payload), status=status, content_type=f"{media_type}; charset=utf-8"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _status_for(kind: str, media_type: str) -> int:
    """HTTP status of an engine outcome under the negotiated media type."""
    if kind == "ok":
        return 200
    if kind == "operation_not_allowed":
        return 405
    if kind == "rate_limited":
        return 429
    # Parse, validation and request errors: nothing was executed.
    return 400 if media_type == GRAPHQL_RESPONSE_JSON else 200


def _retry_after(payload: dict[str, Any]) -> int | None:
    """The longest ``retryAfter`` of the payload's ``RATE_LIMITED`` errors, or None."""
    waits = [
        error.get("extensions", {}).get("retryAfter")
        for error in payload.get("errors") or ()
        if error.get("extensions", {}).get("code") == RATE_LIMITED
    ]
    waits = [wait for wait in waits if isinstance(wait, int)]
    return max(waits) if waits else None


def _outcome_response(outcome: engine.Outcome, media_type: str) -> HttpResponse:
    payload = outcome.payload
    if outcome.kind != "ok" and "data" in payload:
        # The draft: a request that was not executed has no "data" entry at all.
        payload = {key: value for key, value in payload.items() if key != "data"}
    headers = {"Allow": "POST"} if outcome.kind == "operation_not_allowed" else {}
    status = _status_for(outcome.kind, media_type)
    retry_after = _retry_after(payload)
    if retry_after is not None:
        # A refused request, or a resolver refusing on a limit (a locked-out login).
        status = 429
        headers["Retry-After"] = str(retry_after)
    return json_response(payload, status, media_type, headers)


def _shows_internal_errors(schema_name: str) -> bool:
    try:
        from django_graphql_auto.schema.registry import get_schema

        value = get_schema(schema_name).config["DEBUG_ERRORS"]
    except Exception:  # the schema itself failed to build: say nothing more than DEBUG would
        value = None
    return bool(settings.DEBUG) if value is None else bool(value)


def _internal_error_response(
    request: HttpRequest, exc: Exception, media_type: str, schema_name: str
) -> HttpResponse:
    """Log the traceback server-side; the client learns details only when the schema's
    ``DEBUG_ERRORS`` allows it (by default it follows ``DEBUG``), as for resolver errors."""
    logger.exception("Unhandled error while serving a GraphQL request")
    got_request_exception.send(sender=GraphQLView, request=request)
    show = _shows_internal_errors(schema_name)
    message = f"{type(exc).__name__}: {exc}" if show else "Internal server error."
    return json_response(_error_body(message, INTERNAL_SERVER_ERROR), 500, media_type)


# --- the view --------------------------------------------------------------------------------


# csrf_exempt: the middleware would demand a CSRF token from every POST, Bearer clients included.
# `authenticate_request` applies Django's CSRF check itself to the POSTs without a Bearer token
# that carry an authenticating cookie (session, or the token cookies in JWT_COOKIE mode) and, in
# JWT_COOKIE mode, to every POST that is not JSON (a cross-site form must not set token cookies);
# GraphiQL sends X-CSRFToken.
@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(View):
    """``path("graphql/", include("django_graphql_auto.urls"))``; the ``schema_name`` URL kwarg
    selects which registered schema this mount serves."""

    schema_name = "default"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Every log line of this request carries its id, and so does the response.
        request.request_id = request_id_for(request)
        with bound_request_id(request.request_id):
            response = self._dispatch(request, kwargs.get("schema_name") or self.schema_name)
        response["X-Request-ID"] = request.request_id
        return response

    def _dispatch(self, request: HttpRequest, schema_name: str) -> HttpResponse:
        media_type = APPLICATION_JSON
        try:
            if request.method not in _ALLOWED_METHODS:
                raise RequestRejected(
                    405, f"Method {request.method} is not allowed.", {"Allow": "GET, POST"}
                )
            if self._wants_graphiql(request, schema_name):
                response = graphiql_page(request, schema_name)
            else:
                negotiated = negotiate_media_type(request.headers.get("Accept"))
                if negotiated is None:
                    raise RequestRejected(
                        406,
                        f"Acceptable response types: {GRAPHQL_RESPONSE_JSON}, {APPLICATION_JSON}.",
                    )
                media_type = negotiated
                response = self._execute(request, schema_name, media_type)
        except RequestRejected as rejected:
            response = json_response(
                _error_body(rejected.message, rejected.code),
                rejected.status,
                media_type,
                rejected.headers,
            )
        except PARSE_ERRORS as error:
            # Django refused the query string (too many parameters) or a form body that the
            # CSRF check read before the multipart code could (see multipart.form_parts).
            refusal = parse_refusal(error)
            response = json_response(
                _error_body(refusal.message, BAD_USER_INPUT), refusal.status, media_type
            )
        except Exception as exc:
            response = _internal_error_response(request, exc, media_type, schema_name)
        # The same URL answers with HTML or JSON, and JSON in two media types.
        patch_vary_headers(response, ["Accept"])
        return response

    @staticmethod
    def _wants_graphiql(request: HttpRequest, schema_name: str) -> bool:
        """A browser opening the endpoint: GET, HTML acceptable, no GraphQL query."""
        return (
            request.method == "GET"
            and "query" not in request.GET
            and accepts_html(request.headers.get("Accept"))
            and graphiql_enabled(schema_name)
        )

    @staticmethod
    def _execute(request: HttpRequest, schema_name: str, media_type: str) -> HttpResponse:
        config = transport_settings(schema_name)
        try:
            authenticate_request(request, config)
        except AuthenticationRejected as rejected:
            kind = "csrf_failed" if rejected.code == FORBIDDEN else "authentication_failed"
            security_event(kind, request, rejected.message, config=config, status=rejected.status)
            raise RequestRejected(
                rejected.status, rejected.message, rejected.headers, rejected.code
            ) from None
        if request.method == "GET":
            params = _params_from_get(request, config["MAX_REQUEST_BYTES"])
            allowed = _QUERY_ONLY
        else:
            params = _params_from_post(request, config)
            allowed = _QUERY_AND_MUTATION
        meter = operation_meter(request, schema_name)
        outcome = engine.process(
            schema_name,
            params.query,
            params.variables,
            params.operation_name,
            request=request,
            allowed_operations=allowed,
            before_execute=meter.before_execute if meter.enabled else None,
            extensions=params.extensions,
        )
        response = _outcome_response(meter.settle(outcome), media_type)
        apply_cookies(request, response)  # token cookies set or cleared by auth mutations
        return response
