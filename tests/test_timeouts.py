"""The statement timeout around every operation (SPEC §6 "Limits", docs/security.md).

PostgreSQL: `SET LOCAL statement_timeout` in a transaction around the operation, restored when
the request was already in a transaction. SQLite: a progress handler interrupts a statement
past its deadline. Either way a cancelled statement is a `QUERY_TOO_COMPLEX` error and a security
event, never a hanging worker; on PostgreSQL a timed-out mutation saves nothing.

A slow statement cannot be written through the API (that is the point of the ORM), so the tests
slip one in with an execute wrapper: `pg_sleep` on PostgreSQL, a long recursive CTE on SQLite.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

import pytest
from blog.models import Tag
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext, override_settings

from django_graphql_auto.execution.timeouts import is_timeout, statement_timeout
from django_graphql_auto.schema.registry import get_schema
from tests import factories

SECURITY = "django_graphql_auto.security"
SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}
POSTGRES = connection.vendor == "postgresql"
SQLITE = connection.vendor == "sqlite"
only_postgres = pytest.mark.skipif(not POSTGRES, reason="PostgreSQL's statement_timeout")
only_sqlite = pytest.mark.skipif(not SQLITE, reason="SQLite's progress handler")


def busy(seconds: float) -> str:
    """A statement that keeps the database busy for about `seconds`."""
    if POSTGRES:
        return f"SELECT pg_sleep({seconds})"
    rows = int(seconds * 5_000_000)  # a recursive CTE: about 5 million rows a second
    return (
        f"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {rows}) "
        "SELECT count(*) FROM r"
    )


SLOW = busy(2)
TWO_TAGS = (
    'mutation { a: create_tag(input: {name: "a"}) { ok } b: create_tag(input: {name: "b"}) { ok } }'
)


def timeout(ms: int):
    return override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "STATEMENT_TIMEOUT_MS": ms})


@contextmanager
def slow_before(table: str, nth: int = 1):
    """Run SLOW just before the `nth` statement that mentions `table`."""
    seen = []

    def wrapper(execute, sql, params, many, context):
        if table in sql:
            seen.append(sql)
            if len(seen) == nth:
                execute(SLOW, None, False, context)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


@contextmanager
def observe_timeout(table: str):
    """Record the session's statement_timeout as seen by the statements on `table`."""
    seen = []

    def wrapper(execute, sql, params, many, context):
        if table in sql and "statement_timeout" not in sql:
            execute("SHOW statement_timeout", None, False, context)
            seen.append(context["cursor"].fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def show_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def connection_default() -> str:
    """statement_timeout as the connection is opened (the example sets 10 s on PostgreSQL)."""
    options = connection.settings_dict.get("OPTIONS", {}).get("options", "")
    return "10s" if "statement_timeout=10000" in options else "0"


# --- the context manager on its own -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_slow_statement_is_cancelled():
    started = time.monotonic()
    with (
        statement_timeout(get_schema(), milliseconds=50) as guard,
        pytest.raises(OperationalError) as cancelled,
        connection.cursor() as cursor,
    ):
        cursor.execute(SLOW)
    assert time.monotonic() - started < 0.9
    assert guard.timed_out
    assert is_timeout(cancelled.value)
    with connection.cursor() as cursor:  # the connection is usable again
        cursor.execute(busy(0))


@pytest.mark.django_db(transaction=True)
def test_zero_switches_it_off():
    with statement_timeout(get_schema(), milliseconds=0) as guard, connection.cursor() as cursor:
        cursor.execute(busy(0.1))
    assert not guard.timed_out


@pytest.mark.django_db(transaction=True)
def test_statements_outside_the_operation_are_not_limited():
    with statement_timeout(get_schema(), milliseconds=50):
        pass
    with connection.cursor() as cursor:
        cursor.execute(busy(0.2))


def test_an_operation_without_sql_never_connects(graphql):
    """No `django_db` mark: any database access would fail this test."""
    assert graphql("{ __typename }").ok() == {"__typename": "Query"}


# --- through the API ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_timed_out_query_is_query_too_complex_and_logged(graphql, caplog):
    factories.comment()
    with (
        timeout(100),
        slow_before("blog_comment"),
        caplog.at_level(logging.WARNING, logger=SECURITY),
    ):
        started = time.monotonic()
        result = graphql("query Slow { comments { id body } }")
        elapsed = time.monotonic() - started
    assert elapsed < 0.9
    assert result.status == 200
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    [error] = result.errors
    assert "statement timeout (100 ms)" in error["message"]
    assert error["extensions"]["limit"] == "STATEMENT_TIMEOUT_MS"
    # The compiled executor answers with no data at all; the general one per field.
    assert result.data in (None, {"comments": None})
    [event] = [r for r in caplog.records if getattr(r, "event", None) == "statement_timeout"]
    assert event.operation == "Slow" and event.timeout_ms == 100
    # The worker and its connection carry on.
    assert graphql("{ comments { id } }").ok()["comments"]


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_sqlite_mutation_keeps_the_fields_written_before(graphql):
    with timeout(100), slow_before('INSERT INTO "blog_tag"', nth=2):
        result = graphql(TWO_TAGS)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.data["a"] == {"ok": True}
    assert list(Tag.objects.values_list("name", flat=True)) == ["a"]


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_mutation_that_times_out_saves_nothing(graphql):
    with timeout(100), slow_before('INSERT INTO "blog_tag"', nth=2):
        result = graphql(TWO_TAGS)
    assert result.data is None
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert "Nothing was saved" in result.errors[0]["message"]
    assert Tag.objects.count() == 0
    assert show_timeout() == connection_default()  # SET LOCAL ended with the transaction


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_query_runs_in_a_transaction_with_the_timeout(graphql):
    factories.tag()
    with timeout(1234), observe_timeout("blog_tag") as seen:
        graphql("{ tags { id } }").ok()
    assert seen == ["1234ms"]
    assert show_timeout() == connection_default()
    assert connection.get_autocommit()


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_mutation_writes_under_the_timeout(graphql):
    with timeout(1234), observe_timeout("blog_tag") as seen:
        graphql('mutation { create_tag(input: {name: "t"}) { ok } }').ok()
    assert seen and set(seen) == {"1234ms"}
    assert Tag.objects.count() == 1


@only_postgres
@pytest.mark.django_db
def test_postgresql_inside_an_outer_transaction_restores_the_previous_value(graphql):
    """`ATOMIC_REQUESTS` or a test case: no savepoint, and the old value is back afterwards."""
    factories.tag()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 777")
    with timeout(1234), observe_timeout("blog_tag") as seen:
        graphql("{ tags { id } }").ok()
    assert seen == ["1234ms"]
    assert show_timeout() == "777ms"


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_zero_opens_no_transaction(graphql):
    factories.tag()
    with timeout(0), observe_timeout("blog_tag") as seen:
        graphql("{ tags { id } }").ok()
    assert seen == [connection_default()]  # the connection's own value, nothing set


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_connection_opened_with_the_timeout_adds_no_round_trips(graphql, monkeypatch):
    """With `-c statement_timeout=<the same value>` in OPTIONS nothing is set per request."""
    from django_graphql_auto.execution import timeouts

    factories.tag()
    monkeypatch.setattr(timeouts, "connection_timeout", lambda alias: 4321)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 4321")  # as the connection options would
    try:
        with timeout(4321), CaptureQueriesContext(connection) as queries:
            graphql("{ tags { id } }").ok()
        sql = [q["sql"] for q in queries.captured_queries]
        assert "BEGIN" not in sql and "COMMIT" not in sql and len(sql) == 1
        assert show_timeout() == "4321ms"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_heavy_query_over_generated_rows_is_cancelled(graphql):
    """No helper statement this time: a real nested query, a 1 ms limit, enough rows."""
    author = factories.author()
    posts = [factories.post(author=author) for _ in range(40)]
    with connection.cursor() as cursor:  # 40 x 2,000 comments, written by the database
        cursor.execute(
            "INSERT INTO blog_comment (post_id, author_name, body, is_approved, created_at) "
            "SELECT p.id, 'r', repeat('x', 200), true, now() "
            "FROM blog_post p, generate_series(1, 2000)"
        )
    document = """{ posts(limit: 100) { comments_count
        comments(limit: 100, filters: {body: {icontains: "y"}}) { id } } }"""
    with timeout(1):
        result = graphql(document)
    assert "QUERY_TOO_COMPLEX" in result.codes
    assert len(posts) == 40
