"""The security log (SPEC §6 "Audit", §9): permission denials, rejected documents, failed
authentication and sanitized inputs are logged on `django_graphql_auto.security` with the user,
the operation name, the client IP and the reason, as readable text and as structured fields."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest
from django.test import Client
from django.test.utils import override_settings
from graphql import get_introspection_query

from django_graphql_auto.observability.logging import JSONFormatter, RequestIdFilter
from django_graphql_auto.security.audit import FIELDS, security_event
from tests import factories
from tests.auth_support import (
    LOGIN,
    auth_environment,  # noqa: F401 (fixture)
    make_user,
)
from tests.graphql_http import post_graphql

pytestmark = pytest.mark.django_db

SECURITY = "django_graphql_auto.security"
SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}


def policy(name: str) -> dict:
    return {"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": SCHEMAS, "POLICY": f"tests.policies.{name}"}}


@pytest.fixture
def events(caplog):
    """The security events logged during the test, at every level."""
    caplog.set_level(logging.DEBUG, logger=SECURITY)

    def collected(kind: str | None = None) -> list[logging.LogRecord]:
        return [
            r
            for r in caplog.records
            if r.name == SECURITY and (kind is None or getattr(r, "event", None) == kind)
        ]

    return collected


def deep(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"post {{ {inner} }}"
    return f"query TooDeep {{ comments {{ {inner} }} }}"


# --- permission denials -------------------------------------------------------------------------


@override_settings(**policy("DenyComments"))
def test_forbidden_read_is_logged_with_user_operation_ip_and_reason(graphql, events):
    result = graphql("query ReadComments { comments { id } }")
    assert result.codes == ["FORBIDDEN"]
    [record] = events()
    assert record.levelno == logging.WARNING
    assert record.event == "permission_denied"
    assert (record.model, record.permission) == ("blog.Comment", "view")
    assert record.user == "anonymous" and record.user_id is None
    assert record.operation == "ReadComments"
    assert record.client_ip == "127.0.0.1"
    assert record.reason == result.errors[0]["message"] == "You may not view Comment objects."
    message = record.getMessage()
    assert "permission_denied" in message and "ReadComments" in message and "127.0.0.1" in message


@override_settings(**policy("HideAuthorEmail"))
@pytest.mark.parametrize(
    ("document", "action"),
    [
        ("query Q { authors { name email } }", "read"),
        ('query Q { authors(filters: {email: {exact: "a@b.c"}}) { name } }', "filter on"),
        ("query Q { authors(order_by: [{email: ASC}]) { name } }", "order by"),
    ],
)
def test_forbidden_field_is_logged(graphql, events, document, action):
    factories.author()
    assert graphql(document).codes == ["FORBIDDEN"]
    [record] = events("field_denied")
    assert (record.model, record.field, record.action) == ("blog.Author", "email", action)
    assert record.operation == "Q"
    assert "email" in record.reason


@override_settings(**policy("DenyComments"))
def test_one_event_per_denial_and_request(graphql, events):
    result = graphql("{ a: comments { id } b: comments { id } }")
    assert result.codes == ["FORBIDDEN", "FORBIDDEN"]
    assert len(events("permission_denied")) == 1
    graphql("{ comments { id } }")
    assert len(events("permission_denied")) == 2  # the next request is another event


@override_settings(**policy("DenyComments"))
def test_the_user_is_named(client, events):
    alice = make_user("alice")
    client.force_login(alice)
    client.post(
        "/graphql/",
        {"query": "{ comments { id } }"},
        content_type="application/json",
    )
    [record] = events()
    assert (record.user, record.user_id) == ("alice", str(alice.pk))
    assert f"alice (id {alice.pk})" in record.getMessage()


@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": SCHEMAS,
        "POLICY": "tests.policies.DenyComments",
        "TRUSTED_PROXIES": ["10.0.0.0/8"],
    }
)
def test_client_ip_behind_a_trusted_proxy_and_request_id(graphql, events):
    graphql(
        "{ comments { id } }",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_REQUEST_ID="req-42",
    )
    [record] = events()
    assert record.client_ip == "203.0.113.9"
    assert record.request_id == "req-42"


@pytest.fixture
def json_lines():
    """The JSON lines written while the test runs, formatted as a handler formats them: when
    the record is emitted, inside the request."""
    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(JSONFormatter().format(record)))

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


def test_every_line_of_a_request_carries_its_id_and_the_response_returns_it(client, json_lines):
    """Not only the security events: Django's own lines carry the id too, and the client gets
    it back; an ill-formed id from the header is replaced by a new one."""
    with override_settings(DJANGO_GRAPHQL_AUTO={"POLICY": "tests.policies.DenyComments"}):
        given = post_graphql(client, "{ comments { id } }", HTTP_X_REQUEST_ID="req-42")
        made_up = post_graphql(client, "{ comments { id } }", HTTP_X_REQUEST_ID="bad id\nX")
    assert given["X-Request-ID"] == "req-42"
    generated = made_up["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    ids = {line.get("request_id") for line in json_lines if line["logger"].startswith("django")}
    assert {"req-42", generated} <= ids and "bad id\nX" not in ids
    record = logging.LogRecord("mine", logging.INFO, "", 0, "outside a request", (), None)
    RequestIdFilter().filter(record)
    assert record.request_id is None


def test_an_error_logged_while_resolving_carries_the_request_id(graphql, json_lines, monkeypatch):
    """The executor's own error line had no id (only security events had one)."""
    from blog.models import Post

    def explode(self, at=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(Post, "publish", explode)
    post = factories.post()
    result = graphql(
        f'mutation {{ post_publish(id: "{post.pk}") {{ ok }} }}', HTTP_X_REQUEST_ID="rid-7"
    )
    assert result.codes == ["INTERNAL_SERVER_ERROR"]
    [line] = [line for line in json_lines if line["logger"] == "django_graphql_auto"]
    assert line["request_id"] == "rid-7" and "boom" in line["exception"]


# --- rejected documents -------------------------------------------------------------------------


def test_rejected_deep_query_is_logged(graphql, events):
    result = graphql(deep(12))
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    [record] = events()
    assert record.event == "query_rejected"
    assert record.codes == ["QUERY_TOO_COMPLEX"] and record.limits == ["MAX_QUERY_DEPTH"]
    assert record.operation == "TooDeep"
    assert record.reason == result.errors[0]["message"]
    assert record.schema == "default"


def test_rejected_before_parsing_is_logged(graphql, events):
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "MAX_TOKENS": 10}):
        result = graphql("{ " + "a: __typename " * 20 + "}")
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    [record] = events("query_rejected")
    assert record.limits == ["MAX_TOKENS"]


def test_a_made_up_operation_name_cannot_forge_a_log_line(graphql, events):
    """Refused before it is matched to an operation, the document's `operationName` is whatever
    the request said: in a plain-text log a newline in it started a forged line."""
    forged = "X)\nCRITICAL django_graphql_auto.security Security event admin_login_ok: forged"
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "MAX_TOKENS": 10}):
        result = graphql("{ " + "a: __typename " * 20 + "}", operation_name=forged * 50)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    [record] = events("query_rejected")
    line = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "\n" not in line and "\\nCRITICAL" in line
    assert record.operation == (forged * 50)[:200]
    # A name the document gave is shown as it is.
    with override_settings(**policy("DenyComments")):
        graphql(deep(12))
    assert "operation TooDeep," in events("query_rejected")[-1].getMessage()


def test_introspection_refused_in_production_is_logged(graphql, events):
    result = graphql(get_introspection_query())
    assert result.status == 400
    [record] = events("query_rejected")
    assert record.codes == ["INTROSPECTION_DISABLED"]
    assert "introspection" in record.reason


def test_allowlist_refusal_is_logged_but_a_typo_is_not(graphql, events, tmp_path):
    allowed = tmp_path / "allowed.json"
    allowed.write_text("{}")
    graphql("{ tagz { id } }")  # an honest mistake: not a security event
    assert events() == []
    settings = {"PERSISTED_QUERIES": "allowlist", "ALLOWED_QUERIES_FILE": str(allowed)}
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, **settings}):
        assert graphql("{ tags { id } }").codes == ["PERSISTED_QUERY_NOT_FOUND"]
    [record] = events()
    assert record.codes == ["PERSISTED_QUERY_NOT_FOUND"]


# --- authentication -----------------------------------------------------------------------------


@pytest.mark.usefixtures("auth_environment")
def test_failed_login_is_logged(graphql, events):
    make_user("alice")
    result = graphql(LOGIN, {"username": "alice", "password": "wrong"})
    assert result.codes == ["UNAUTHENTICATED"]
    [record] = events("authentication_failed")
    assert record.username == "alice"
    assert record.field == "login"
    assert record.user == "anonymous"


def test_refused_bearer_token_is_logged(graphql, events):
    result = graphql("{ __typename }", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert result.status == 401
    [record] = events("authentication_failed")
    assert record.status == 401
    assert record.reason == result.errors[0]["message"]


def test_csrf_failure_is_logged(events):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user("alice"))
    response = browser.post(
        "/graphql/", {"query": "{ __typename }"}, content_type="application/json"
    )
    assert response.status_code == 403
    [record] = events("csrf_failed")
    assert record.status == 403 and record.user == "alice"  # the session says who, CSRF fails


# --- sanitized input ----------------------------------------------------------------------------


@override_settings(
    GRAPHQL_AUTO_MODELS={"blog.Comment": {"SANITIZE_FIELDS": ["body"]}},
)
def test_sanitized_input_is_logged(graphql, events):
    post = factories.post()
    result = graphql(
        "mutation AddComment($i: CreateCommentInput!) { create_comment(input: $i) { ok } }",
        {"i": {"post": str(post.pk), "author_name": "x", "body": "<script>x</script>hi"}},
    )
    assert result.ok()["create_comment"]["ok"]
    [record] = events("input_sanitized")
    assert record.levelno == logging.INFO
    assert (record.model, record.field, record.changed) == ("blog.Comment", "body", True)
    assert record.operation == "AddComment"


# --- the record itself --------------------------------------------------------------------------


def test_every_event_has_the_same_fields(rf, events):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    security_event("custom", request, "because", operation="Op", name="clash", extra_detail=1)
    [record] = events()
    for key in FIELDS:
        assert hasattr(record, key)
    assert record.detail_name == "clash"  # `name` belongs to the LogRecord: renamed
    assert record.extra_detail == 1
    assert record.client_ip == "192.0.2.1" and record.operation == "Op"


def test_no_work_when_the_logger_is_off(rf, caplog):
    caplog.set_level(logging.ERROR, logger=SECURITY)
    security_event("custom", rf.get("/"), "quiet")
    assert not [r for r in caplog.records if r.name == SECURITY]


def test_json_formatter_writes_the_fields(rf, events):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    request.request_id = "abc"  # as the endpoint sets it
    security_event("permission_denied", request, "no", operation=None, model="blog.Post")
    [record] = events()
    line = JSONFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "WARNING" and entry["logger"] == SECURITY
    assert entry["event"] == "permission_denied" and entry["reason"] == "no"
    assert entry["model"] == "blog.Post" and entry["client_ip"] == "192.0.2.1"
    assert entry["request_id"] == "abc" and entry["user"] == "anonymous"
    assert entry["time"].endswith("+00:00")


def test_json_formatter_handles_plain_records_and_exceptions():
    logger = logging.getLogger("tests.json")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logger.makeRecord(
            "tests.json", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info()
        )
    record.request_id = 7
    record.payload = {"a": {1, 2}, "b": object}
    entry = json.loads(JSONFormatter().format(record))
    assert entry["message"] == "failed x" and entry["request_id"] == "7"
    assert "ValueError: boom" in entry["exception"]
    assert entry["payload"]["a"] == [1, 2] and entry["payload"]["b"].startswith("<class")
