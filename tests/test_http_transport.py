"""The GraphQL-over-HTTP view: status codes, media types and error bodies.

Queries only use ``__typename`` and unknown fields, so they hold for any schema the example
project builds.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.test import Client
from django.test.utils import override_settings

from django_graphql_auto.execution import engine
from django_graphql_auto.transport.http import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    accepts_html,
    negotiate_media_type,
)

pytestmark = pytest.mark.django_db

URL = "/graphql/"
TYPENAME = "{ __typename }"
UNKNOWN_FIELD = "{ thisFieldDoesNotExist8f31403d }"
# The variable is used, so only its coercion can fail (graphql-http's audit leaves it unused).
COERCION_FAILURE = "query CoerceFailure($skip: Boolean!) { __typename @skip(if: $skip) }"


def post(
    client: Client,
    body: Any,
    *,
    accept: str | None = None,
    content_type: str = "application/json",
):
    """POST ``body`` (JSON-encoded unless already bytes/str) with the given headers."""
    data = body if isinstance(body, bytes | str) else orjson.dumps(body)
    headers = {"Accept": accept} if accept is not None else {}
    # CONTENT_TYPE explicitly: the test client drops the header when the body is empty.
    return client.post(
        URL, data=data, content_type=content_type, headers=headers, CONTENT_TYPE=content_type
    )


def get(client: Client, params: dict[str, str], *, accept: str | None = None):
    headers = {"Accept": accept} if accept is not None else {}
    return client.get(URL, params, headers=headers)


def body_of(response) -> dict[str, Any]:
    return orjson.loads(response.content)


def assert_error_codes(response, *expected: str) -> None:
    """Every error carries ``extensions.code``; the first one is the expected code."""
    errors = body_of(response)["errors"]
    assert errors
    assert all(isinstance(error["extensions"]["code"], str) for error in errors)
    if expected:
        assert errors[0]["extensions"]["code"] in expected


# --- success ---------------------------------------------------------------------------------


def test_post_json_query(client):
    response = post(client, {"query": TYPENAME})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert body_of(response) == {"data": {"__typename": "Query"}}


def test_post_with_new_media_type(client):
    response = post(client, {"query": TYPENAME}, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert body_of(response)["data"] == {"__typename": "Query"}


def test_post_utf8_charset_and_operation_name(client):
    response = post(
        client,
        {"query": "query A { __typename } query B { __typename }", "operationName": "B"},
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 200
    assert body_of(response)["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("parameter", ["variables", "operationName", "extensions"])
def test_null_optional_parameters_are_accepted(client, parameter):
    response = post(client, {"query": TYPENAME, parameter: None}, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 200
    assert "errors" not in body_of(response)


def test_extensions_object_is_accepted(client):
    response = post(client, {"query": TYPENAME, "extensions": {"some": "value"}})
    assert response.status_code == 200
    assert "errors" not in body_of(response)


def test_get_query(client):
    response = get(client, {"query": TYPENAME})
    assert response.status_code == 200
    assert body_of(response) == {"data": {"__typename": "Query"}}
    assert "Accept" in response["Vary"]


def test_get_with_json_variables(client):
    response = get(
        client,
        {"query": COERCION_FAILURE, "variables": '{"skip": false}'},
        accept=GRAPHQL_RESPONSE_JSON,
    )
    assert response.status_code == 200
    assert body_of(response)["data"] == {"__typename": "Query"}


# --- GET restrictions and methods ------------------------------------------------------------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_get_mutation_is_405_with_allow_post(client, accept):
    response = get(client, {"query": "mutation { __typename }"}, accept=accept)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "data" not in body_of(response)
    assert_error_codes(response)


def test_get_selecting_a_query_from_a_mixed_document_runs(client):
    document = "query Q { __typename } mutation M { __typename }"
    response = get(client, {"query": document, "operationName": "Q"})
    assert response.status_code == 200


def test_get_without_query_is_400(client):
    response = get(client, {}, accept=APPLICATION_JSON)
    assert response.status_code == 400
    assert_error_codes(response, "BAD_USER_INPUT")


def test_get_with_malformed_variables_is_400(client):
    response = get(client, {"query": TYPENAME, "variables": "{not json"})
    assert response.status_code == 400
    assert_error_codes(response, "BAD_USER_INPUT")


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_other_methods_are_405(client, method):
    response = getattr(client, method)(URL)
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert_error_codes(response, "BAD_USER_INPUT")


# --- GraphQL errors: 400 under the new media type, 200 under application/json ----------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": UNKNOWN_FIELD}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": COERCION_FAILURE, "variables": {"skip": None}}, "BAD_USER_INPUT"),
        ({"query": "query A { __typename }", "operationName": "Missing"}, None),
    ],
    ids=["parse", "validation", "coercion", "unknown-operation"],
)
@pytest.mark.parametrize(
    ("accept", "status"),
    [(GRAPHQL_RESPONSE_JSON, 400), (APPLICATION_JSON, 200), (None, 200)],
    ids=["graphql-response+json", "json", "no-accept"],
)
def test_request_errors(client, body, code, accept, status):
    response = post(client, body, accept=accept)
    assert response.status_code == status
    payload = body_of(response)
    assert "data" not in payload  # nothing was executed
    assert_error_codes(response, *([code] if code else []))


# --- content negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),
        ("", APPLICATION_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        (APPLICATION_JSON, APPLICATION_JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, {APPLICATION_JSON};q=0.9", GRAPHQL_RESPONSE_JSON),
        (f"{APPLICATION_JSON}, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{APPLICATION_JSON}, {GRAPHQL_RESPONSE_JSON};q=0.5", APPLICATION_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("application/json, multipart/mixed", APPLICATION_JSON),
        ("text/html,application/xhtml+xml,*/*;q=0.8", APPLICATION_JSON),
        ("text/html", None),
        ("application/xml, text/csv", None),
        ("application/json;q=0", None),
        ("*/*;q=0", None),
        ("application/json;q=abc", None),
    ],
)
def test_negotiate_media_type(accept, expected):
    assert negotiate_media_type(accept) == expected


def test_accepts_html():
    assert accepts_html("text/html,application/xhtml+xml,*/*;q=0.8")
    assert not accepts_html("*/*")
    assert not accepts_html("text/html;q=0")
    assert not accepts_html(None)


def test_unacceptable_accept_is_406(client):
    response = post(client, {"query": TYPENAME}, accept="text/csv")
    assert response.status_code == 406
    assert_error_codes(response, "BAD_USER_INPUT")


# --- malformed HTTP requests: 4xx whatever the media type ------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "application/graphql", ""],
)
def test_unsupported_content_type_is_415(client, content_type):
    response = post(client, {"query": TYPENAME}, content_type=content_type)
    assert response.status_code == 415
    assert_error_codes(response, "BAD_USER_INPUT")


def test_non_utf8_charset_is_415(client):
    response = post(client, {"query": TYPENAME}, content_type="application/json; charset=latin-1")
    assert response.status_code == 415


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_body_over_max_request_bytes_is_413(client, settings, accept):
    settings.DJANGO_GRAPHQL_AUTO = {**settings.DJANGO_GRAPHQL_AUTO, "MAX_REQUEST_BYTES": 64}
    small = post(client, {"query": TYPENAME}, accept=accept)
    assert small.status_code == 200
    large = post(client, {"query": "{ __typename " + " " * 100 + "}"}, accept=accept)
    assert large.status_code == 413
    assert_error_codes(large, "BAD_USER_INPUT")


def test_body_over_djangos_upload_limit_is_413(client):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=32):
        response = post(client, {"query": "{ __typename " + " " * 100 + "}"})
    assert response.status_code == 413


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
@pytest.mark.parametrize("raw", ['{ "not a JSON', b"\xff\xfe{}", "", "   ", "[1, 2]", '"text"'])
def test_malformed_body_is_400(client, raw, accept):
    response = post(client, raw, accept=accept)
    assert response.status_code == 400
    assert "data" not in body_of(response)
    assert_error_codes(response, "BAD_USER_INPUT")


@pytest.mark.parametrize(
    "body",
    [
        {"notquery": TYPENAME},
        {"query": None},
        *({"query": invalid} for invalid in ({"obj": "ect"}, 0, False, ["array"])),
        *({"query": TYPENAME, "operationName": bad} for bad in ({"a": 1}, 0, False, ["x"])),
        *({"query": TYPENAME, "variables": bad} for bad in ("string", 0, False, ["array"])),
        *({"query": TYPENAME, "extensions": bad} for bad in ("string", 0, False, ["array"])),
    ],
)
def test_invalid_parameters_are_400(client, body):
    for accept in (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON):
        response = post(client, body, accept=accept)
        assert response.status_code == 400, (body, accept)
        assert_error_codes(response, "BAD_USER_INPUT")


# --- unexpected failures ---------------------------------------------------------------------


def _explode(*args: Any, **kwargs: Any) -> engine.Outcome:
    raise RuntimeError("secret database password in this message")


@override_settings(DEBUG=False)
def test_internal_error_hides_details_when_debug_is_off(monkeypatch, caplog):
    client = Client(raise_request_exception=False)
    monkeypatch.setattr(engine, "process", _explode)
    response = post(client, {"query": TYPENAME}, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 500
    assert response["Content-Type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert b"secret" not in response.content
    assert b"RuntimeError" not in response.content
    assert_error_codes(response, "INTERNAL_SERVER_ERROR")
    # The traceback is in the server log instead.
    assert any(record.exc_info and "secret" in str(record.exc_info[1]) for record in caplog.records)


@override_settings(DEBUG=True)
def test_internal_error_message_shown_when_debug_is_on(monkeypatch):
    client = Client(raise_request_exception=False)
    monkeypatch.setattr(engine, "process", _explode)
    response = post(client, {"query": TYPENAME})
    assert response.status_code == 500
    assert b"RuntimeError: secret" in response.content
    assert_error_codes(response, "INTERNAL_SERVER_ERROR")


@pytest.mark.parametrize(
    ("debug", "debug_errors", "shown"), [(True, False, False), (False, True, True)]
)
def test_internal_error_details_follow_debug_errors(monkeypatch, debug, debug_errors, shown):
    """`DEBUG_ERRORS` decides for an error outside the resolvers as it does inside them (the
    transport followed `DEBUG` alone: DEBUG on with DEBUG_ERRORS off showed the message)."""
    client = Client(raise_request_exception=False)
    monkeypatch.setattr(engine, "process", _explode)
    with override_settings(DEBUG=debug, DJANGO_GRAPHQL_AUTO={"DEBUG_ERRORS": debug_errors}):
        response = post(client, {"query": TYPENAME})
    assert response.status_code == 500
    assert (b"RuntimeError: secret" in response.content) is shown
    assert_error_codes(response, "INTERNAL_SERVER_ERROR")


def test_get_runs_with_query_only_and_post_with_mutations(client, monkeypatch):
    """The view tells the engine which operation types the HTTP method allows."""
    seen: list[frozenset[str]] = []

    def record(*args: Any, allowed_operations: frozenset[str], **kwargs: Any) -> engine.Outcome:
        seen.append(allowed_operations)
        return engine.Outcome("ok", {"data": {"__typename": "Query"}})

    monkeypatch.setattr(engine, "process", record)
    get(client, {"query": TYPENAME})
    post(client, {"query": TYPENAME})
    assert seen == [frozenset({"query"}), frozenset({"query", "mutation"})]


def test_schema_name_kwarg_reaches_the_engine(client, monkeypatch):
    names: list[str] = []

    def record(schema_name: str, *args: Any, **kwargs: Any) -> engine.Outcome:
        names.append(schema_name)
        return engine.Outcome("ok", {"data": {"__typename": "Query"}})

    monkeypatch.setattr(engine, "process", record)
    client.post("/admin-graphql/", {"query": TYPENAME}, content_type="application/json")
    post(client, {"query": TYPENAME})
    assert names == ["admin", "default"]
