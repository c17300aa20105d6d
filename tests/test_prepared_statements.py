"""Query operations prepare their SELECTs on PostgreSQL (execution/prepared.py; PERFORMANCE.md).

What is prepared is read from the server itself (``pg_prepared_statements`` of the test's
connection), not from psycopg's bookkeeping.
"""

from __future__ import annotations

import orjson
import pytest
from blog.models import Tag
from django.db import ProgrammingError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from django_graphql_auto.execution import engine
from django_graphql_auto.execution.prepared import may_prepare, prepared_statements
from django_graphql_auto.schema.registry import get_schema
from tests import factories as f
from tests.test_compiled import CORPUS, LISTS
from tests.test_compiled import data as data  # the fixture

POSTGRES = connection.vendor == "postgresql"
only_postgres = pytest.mark.skipif(not POSTGRES, reason="prepared statements are PostgreSQL's")
pytestmark = pytest.mark.django_db

POST = "query($id: ID!) { post(id: $id) { title author { name } category { name } } }"
FILTERS = [
    (
        """query($after: DateTime, $price: Decimal, $text: String, $ids: [ID!]) {
             posts(filters: {published_at: {gte: $after}, price: {lte: $price},
                             title: {icontains: $text}, id: {in: $ids}},
                   order_by: [{views: DESC}, {id: ASC}]) { id title price published_at } }""",
        {"after": "2000-01-01T00:00:00Z", "price": "1000.50", "text": "o", "ids": ["1", "2", "3"]},
    ),
    (
        """{ posts(filters: {or: [{status: {exact: PUBLISHED}}, {category: {isnull: true}}],
                            tags: {name: {in: ["a", "b"]}}}) { id status } }""",
        None,
    ),
]


def prepared_on_server() -> dict[str, int]:
    """Statement text -> times run, for what this connection prepared through the protocol."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE NOT from_sql"
        )
        return dict(cursor.fetchall())


def new_statements(before: dict[str, int]) -> dict[str, int]:
    return {s: n - before.get(s, 0) for s, n in prepared_on_server().items() if n != before.get(s)}


def settings(**config):
    return override_settings(DJANGO_GRAPHQL_AUTO=config)


@only_postgres
def test_a_query_prepares_its_selects_once_and_runs_them_again_with_new_values():
    """Fails if the statement were planned anew for each id (not prepared, or a text per id)."""
    posts = [f.post(title=f"Post {i}", category=f.category()) for i in range(7)]
    before = prepared_on_server()
    for post in posts:
        result = engine.process("default", POST, {"id": str(post.pk)})
        assert result.payload["data"]["post"]["title"] == post.title
        assert result.payload["data"]["post"]["author"]["name"] == post.author.name
    ran = new_statements(before)
    post_selects = {s: n for s, n in ran.items() if '"blog_post"' in s}
    # One statement (the post joined with its author and category), parameters bound as $1,
    # prepared on its second run and run prepared from then on.
    assert list(post_selects.values()) == [6], ran
    (text,) = post_selects
    assert "$1" in text


@only_postgres
@pytest.mark.parametrize(("query", "variables"), [*CORPUS, *((q, None) for q in LISTS), *FILTERS])
def test_answers_are_the_same_prepared_or_not(data, query, variables):
    with settings(PREPARED_STATEMENTS=False):
        before = prepared_on_server()
        with CaptureQueriesContext(connection) as queries:
            plain = engine.process("default", query, variables)
        assert new_statements(before) == {}
    selects = sum(q["sql"].startswith("SELECT") for q in queries.captured_queries)
    first = engine.process("default", query, variables)  # prepares what runs a second time
    before = prepared_on_server()
    again = engine.process("default", query, variables)
    assert sum(new_statements(before).values()) == selects  # each SELECT ran prepared
    for prepared in (first, again):
        assert prepared.kind == plain.kind
        assert orjson.dumps(prepared.payload) == orjson.dumps(plain.payload)


@only_postgres
def test_mutations_prepare_nothing():
    before = prepared_on_server()
    for name in ("fresh", "fresher", "freshest"):  # the same SELECTs (unique check) thrice
        result = engine.process(
            "default",
            "mutation($n: String!) { create_tag(input: {name: $n}) { ok object { name } } }",
            {"n": name},
        )
        assert result.payload["data"]["create_tag"]["object"] == {"name": name}
    assert new_statements(before) == {}


@only_postgres
@pytest.mark.parametrize(
    "refusal",
    ["DISABLE_SERVER_SIDE_CURSORS", "prepare_threshold", "PREPARED_STATEMENTS"],
)
def test_a_pooler_or_the_setting_turns_it_off(monkeypatch, refusal):
    post = f.post()
    if refusal == "DISABLE_SERVER_SIDE_CURSORS":  # Django's own setting for a transaction pooler
        monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    elif refusal == "prepare_threshold":  # psycopg's "never prepare", said explicitly
        options = {**connection.settings_dict.get("OPTIONS", {}), "prepare_threshold": None}
        monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    assert may_prepare("default") is (refusal == "PREPARED_STATEMENTS")
    before = prepared_on_server()
    with settings(PREPARED_STATEMENTS=refusal != "PREPARED_STATEMENTS"):
        for _ in range(3):  # a statement is prepared on its second run: run it more often
            result = engine.process("default", POST, {"id": str(post.pk)})
            assert result.payload["data"]["post"]["title"] == post.title
    assert new_statements(before) == {}


@only_postgres
def test_the_query_log_shows_the_values_and_the_connection_is_left_as_it_was():
    post = f.post(title="Logged")
    with CaptureQueriesContext(connection) as queries:
        result = engine.process("default", POST, {"id": str(post.pk)})
    assert result.payload["data"]["post"]["title"] == "Logged"
    (logged,) = [q["sql"] for q in queries.captured_queries]
    assert f'"blog_post"."id" = {post.pk}' in logged and "$1" not in logged
    assert "create_cursor" not in vars(connection)
    assert connection.connection.prepare_threshold is None  # as Django opened it
    with connection.cursor() as cursor:
        assert type(cursor.cursor).__name__ == "Cursor"  # Django's client-side binding cursor


@only_postgres
def test_a_statement_with_more_parameters_than_the_protocol_carries_is_bound_on_the_client():
    f.tag(name="kept")
    ids = [*range(-70_000, 0), Tag.objects.get().pk]
    with prepared_statements(get_schema("default"), "query"):
        assert list(Tag.objects.filter(pk__in=ids).values_list("name", flat=True)) == ["kept"]
        for _ in range(2):
            assert Tag.objects.filter(pk__in=ids[:10] + ids[-1:]).count() == 1


def test_nothing_is_prepared_off_postgresql():
    if POSTGRES:
        pytest.skip("the other databases' test")
    assert may_prepare("default") is False
    post = f.post(title="Here")
    with CaptureQueriesContext(connection):
        result = engine.process("default", POST, {"id": str(post.pk)})
    assert result.payload["data"]["post"]["title"] == "Here"
    assert "create_cursor" not in vars(connection)


def _migrate(cursor, forward: bool) -> None:
    """A migration of the kind a deployment runs while workers keep their connections: a
    selected column changes type (what a prepared statement returns changes)."""
    if forward:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        cursor.execute('ALTER TABLE "blog_post" ALTER COLUMN "title" TYPE text')
    else:
        cursor.execute('ALTER TABLE "blog_post" ALTER COLUMN "title" TYPE varchar(200)')


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_after_a_migration_a_stale_statement_is_prepared_afresh():
    """PostgreSQL refuses a prepared statement whose result type changed ("cached plan must not
    change result type"); outside a transaction the statement runs again, unprepared, and the
    connection's statements are prepared afresh from then on."""
    post = f.post(title="Before")
    for _ in range(2):
        engine.process("default", POST, {"id": str(post.pk)})
    try:
        with connection.cursor() as cursor:
            _migrate(cursor, forward=True)
        for _ in range(3):
            before = prepared_on_server()
            result = engine.process("default", POST, {"id": str(post.pk)})
            assert result.payload == {"data": {"post": result.payload["data"]["post"]}}
            assert result.payload["data"]["post"]["title"] == "Before"
        assert sum(new_statements(before).values()) == 1  # prepared again, on the third run
    finally:
        with connection.cursor() as cursor:
            _migrate(cursor, forward=False)


@only_postgres
def test_inside_a_transaction_a_stale_statement_fails_once():
    post = f.post(title="Before")
    for _ in range(2):
        engine.process("default", POST, {"id": str(post.pk)})
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        _migrate(cursor, forward=True)
    with transaction.atomic():
        result = engine.process("default", POST, {"id": str(post.pk)})
        assert result.payload["data"]["post"] is None
        assert [e["extensions"]["code"] for e in result.payload["errors"]] == [
            "INTERNAL_SERVER_ERROR"
        ]
        transaction.set_rollback(True)
    result = engine.process("default", POST, {"id": str(post.pk)})
    assert result.payload == {"data": {"post": result.payload["data"]["post"]}}
    assert result.payload["data"]["post"]["title"] == "Before"


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_a_select_postgresql_cannot_take_bound_on_the_server_runs_bound_on_the_client():
    """Your own SQL in a computed field runs inside the operation too. PostgreSQL cannot infer
    the type of a lone parameter (`$1 IS NULL`); the statement runs again bound on the client."""
    with prepared_statements(get_schema("default"), "query"), connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT %s IS NULL AS outside_a_transaction", [None])
            assert cursor.fetchone() == (True,)


@only_postgres
def test_inside_a_transaction_such_a_select_fails_once_then_runs_bound_on_the_client():
    sql = "SELECT %s IS NULL AS inside_a_transaction"
    with prepared_statements(get_schema("default"), "query"):
        with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [None])
        with connection.cursor() as cursor:
            for _ in range(3):
                cursor.execute(sql, [None])
                assert cursor.fetchone() == (True,)


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_statements_stay_prepared_on_a_connection_djangos_pool_lends_again():
    """Django's own pool (``OPTIONS["pool"]``, Django 5.1+) takes the connection back at the end
    of each request and lends it out again with its prepared statements (deployment.md: the
    pool needs nothing)."""
    pytest.importorskip("psycopg_pool")
    post = f.post(title="Pooled")
    saved = connection.settings_dict["OPTIONS"]
    connection.close()
    # One connection in the pool: every request gets the same server session back.
    connection.settings_dict["OPTIONS"] = {**saved, "pool": {"min_size": 1, "max_size": 1}}
    try:
        sessions, runs = set(), []
        for _ in range(4):
            result = engine.process("default", POST, {"id": str(post.pk)})
            assert result.payload["data"]["post"]["title"] == "Pooled"
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                sessions.add(cursor.fetchone()[0])
            runs.append(sum(n for s, n in prepared_on_server().items() if '"blog_post"' in s))
            assert connection.pool is not None
            connection.close()  # the end of a request: back to the pool
        assert len(sessions) == 1
        # Prepared on its second run, then run prepared by each later request.
        assert runs == [0, 1, 2, 3]
    finally:
        connection.close()
        connection.close_pool()
        connection.settings_dict["OPTIONS"] = saved
