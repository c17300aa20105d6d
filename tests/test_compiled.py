"""The compiled execution path answers exactly like graphql-core's general executor."""

from __future__ import annotations

import orjson
import pytest
from django.test import override_settings

from django_graphql_auto.execution import compiled, engine
from tests import factories as f

pytestmark = pytest.mark.django_db

CORPUS = [
    ("{ posts { id title } }", None),
    (
        """{ posts(limit: 5, order_by: [{views: DESC}]) {
             id title status views rating score price published_at uuid reading_time metadata
             cover is_featured created_at
             author { id name email }
             category { name parent { name } }
             tags(order_by: [{name: ASC}]) { name }
             comments_count
             approved: comments_count(filters: {is_approved: {exact: true}})
             comments(limit: 2) { author_name post { title } }
           } }""",
        None,
    ),
    ("{ __typename a: posts(limit: 1) { __typename id } b: posts(offset: 1) { title } }", None),
    (
        "query($id: ID!) { post(id: $id) { title author { posts(limit: 2) { title } } } }",
        {"id": "1"},
    ),
    ('{ post(id: "999999") { title } }', None),
    ('{ post(id: "not-a-number") { title } }', None),
    (
        """query($skip: Boolean!) { posts { id title @skip(if: $skip) ...F } }
           fragment F on Post { views author { ...A } }
           fragment A on Author { name }""",
        {"skip": True},
    ),
    (
        """{ post_pages(page: 2, page_size: 3) {
             __typename items { id } again: items { title }
             page_info { __typename total_count page page_size total_pages has_next_page
                         has_previous_page } } }""",
        None,
    ),
    ("{ posts(limit: 0) { id } tags { name } }", None),
    ("{ tags { name } posts(limit: 1000) { id } }", None),
    (
        "{ doctors { first_name specialty clinic { name } patients(limit: 2) { blood_type } } }",
        None,
    ),
    (
        "{ appointments(limit: 3) { priority status fee duration "
        "prescriptions { drug { name } } } }",
        None,
    ),
    ('{ posts(filters: {title: {icontains: "post"}, comments: {isnull: false}}) { id } }', None),
    ("{ published_posts { title } people { first_name } }", None),
    # flat selections (read as values_list rows): enums, decimals, nullable to-one chains
    (
        "{ posts { id status price rating published_at metadata uuid reading_time "
        "category { name parent { slug } } author { name birth_date } } }",
        None,
    ),
    ("{ patients { blood_type first_name full_name } }", None),
    ("{ post_pages(page: 1, page_size: 4) { items { id title comments_count } } }", None),
]

# Reverse-FK lists under a flat selection: read as values_list rows grouped by parent
# (`Planner.list_values`), with the window, filters, ordering, counts and aliases of the list.
LISTS = [
    """{ authors { name posts(limit: 2, offset: 1, order_by: [{views: DESC}],
                            filters: {status: {exact: DRAFT}}) {
         id title views comments_count
         approved: comments_count(filters: {is_approved: {exact: true}})
         category { name parent { name } }
       } } }""",
    """{ authors(order_by: [{name: DESC}]) { a: posts(limit: 1) { title }
         b: posts(limit: 3, order_by: [{views: ASC}]) { id comments_count } } }""",
    """{ author_pages(page: 1, page_size: 3) {
         items { name posts(limit: 2) { title comments_count } } page_info { total_count } } }""",
    "{ posts { id comments(order_by: [{author_name: DESC}]) { author_name is_approved } } }",
    "{ categories { name posts(limit: 1) { title } } }",
    # many-to-many, both sides: the parent key comes from the join table
    "{ posts { id title tags(order_by: [{name: DESC}]) { name } } }",
    "{ posts(limit: 4) { a: tags(limit: 1, offset: 1) { id name } b: tags { name } } }",
    """{ tags(order_by: [{name: ASC}]) { name
         posts(limit: 2, order_by: [{views: DESC}], filters: {views: {gte: 1}}) { id views } } }""",
    "{ post_pages(page: 1, page_size: 3) { items { title tags { name } } } }",
    # lists under lists: one statement per list and level, rows written bottom-up
    """{ authors(limit: 5) { name posts(limit: 2, order_by: [{views: DESC}]) { title
         comments(limit: 1, order_by: [{author_name: ASC}]) { author_name }
         tags(limit: 3) { name posts(limit: 1) { id tags(limit: 3) { name } } } } } }""",
    """{ tags(limit: 5) { name posts(limit: 10, order_by: [{views: ASC}]) { views
         comments(limit: 5) { id is_approved } } } }""",
    # counts inside a many-to-many list: a post kept by one tag's window and not another's
    """{ tags(order_by: [{name: ASC}]) { name posts(limit: 1, order_by: [{views: DESC}]) {
         id comments_count approved: comments_count(filters: {is_approved: {exact: true}}) } } }""",
    """{ authors(limit: 4) { posts(limit: 2, offset: 1) { comments_count
         comments(limit: 2, filters: {is_approved: {exact: true}}) { id post { title } } } } }""",
]


@pytest.fixture
def data():
    tags = [f.tag(name=n) for n in ("b", "a", "c")]
    category = f.category(parent=f.category())
    for i in range(6):
        post = f.post(views=i % 3, category=category if i % 2 else None, tags=tags[: i % 4])
        for j in range(i % 3):
            f.comment(post=post, is_approved=bool(j))
    f.post(status="published", title="Public")
    f.prescription()
    f.patient(blood_type="a_pos")


def _both(monkeypatch, query, variables):
    calls = []
    real = engine.execute_compiled

    def spy(*args):
        result = real(*args)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(engine, "execute_compiled", spy)
    fast = engine.process("default", query, variables)
    monkeypatch.setattr(engine, "execute_compiled", lambda *args: None)
    general = engine.process("default", query, variables)
    return fast, general, calls


@pytest.mark.parametrize(("query", "variables"), CORPUS)
def test_compiled_path_matches_the_general_executor(monkeypatch, data, query, variables):
    fast, general, calls = _both(monkeypatch, query, variables)
    assert calls == [True], "the compiled path should have answered this document"
    assert fast.kind == general.kind
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)


@override_settings(DJANGO_GRAPHQL_AUTO={"POLICY": "tests.policies.DenyComments"})
def test_errors_match_too(monkeypatch, data):
    query = "{ posts { title comments { body } } tags { name } }"
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True]
    assert fast.payload["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)


def test_other_operations_use_the_general_executor(monkeypatch, data):
    for query in ('mutation { delete_tag(id: "1") { ok } }', "{ __schema { queryType { name } } }"):
        _, _, calls = _both(monkeypatch, query, None)
        assert calls in ([False], [])


def test_an_unserializable_value_falls_back(monkeypatch, data):
    """A stored value outside the choices cannot be written by the compiled path."""
    from blog.models import Post

    Post.objects.filter(pk=Post.objects.first().pk).update(status="legacy")
    fast, general, calls = _both(monkeypatch, "{ posts { id status } }", None)
    assert calls == [False]
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    assert fast.payload["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


def test_writers_are_plain_functions():
    assert callable(compiled.object_writer)


def _lists_read(monkeypatch):
    from django_graphql_auto.execution.planner import Planner

    calls = []
    real = Planner.list_values

    def spy(self, plan, parents, columns):
        calls.append(len(parents))
        return real(self, plan, parents, columns)

    monkeypatch.setattr(Planner, "list_values", spy)
    return calls


@pytest.mark.parametrize("query", LISTS)
def test_lists_read_as_values_match_the_general_executor(monkeypatch, data, query):
    f.author()  # an author without posts: an empty list
    lists = _lists_read(monkeypatch)
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True] and lists, "the values path should have read the lists"
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    assert not fast.payload.get("errors")


@pytest.mark.parametrize("single", [False, True], ids=["windowed", "single row"])
def test_a_many_to_many_through_model_lists_a_row_once_per_link(monkeypatch, data, single):
    """Doctor.patients goes through Appointment: two appointments with one patient list that
    patient twice, as Django's prefetch does, on the values path too."""
    doctor, regular, other = f.doctor(), f.patient(first_name="Regular"), f.patient()
    for patient in (regular, other, regular):
        f.appointment(doctor=doctor, patient=patient)
    f.doctor()  # no patients: an empty list
    if single:
        query = "query($id: ID!) { doctor(id: $id) { patients { first_name } } }"
        variables = {"id": str(doctor.pk)}
    else:
        query, variables = "{ doctors { id patients(limit: 5) { first_name } } }", None
    lists = _lists_read(monkeypatch)
    fast, general, calls = _both(monkeypatch, query, variables)
    assert calls == [True] and lists, "the values path should have read the lists"
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    data = fast.payload["data"]
    shown = (
        data["doctor"] if single else next(d for d in data["doctors"] if d["id"] == str(doctor.pk))
    )
    names = [p["first_name"] for p in shown["patients"]]
    assert sorted(names) == sorted(["Regular", other.first_name, "Regular"])


def test_a_single_row_reads_lists_under_lists_as_values(monkeypatch, data):
    post = f.post(tags=[f.tag(name="x"), f.tag(name="y")])
    f.comment(post=post, author_name="Ann")
    query = """query($id: ID!) { author(id: $id) { name posts(limit: 2) { title
        comments(limit: 1) { author_name } tags(order_by: [{name: DESC}]) { name } } } }"""
    lists = _lists_read(monkeypatch)
    fast, general, calls = _both(monkeypatch, query, {"id": str(post.author_id)})
    assert calls == [True] and lists[0] == 1, "one parent: read without a window"
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    (shown,) = fast.payload["data"]["author"]["posts"]
    assert shown["comments"] == [{"author_name": "Ann"}]
    assert shown["tags"] == [{"name": "y"}, {"name": "x"}]


def test_lists_read_as_values_follow_meta_ordering(monkeypatch, data):
    """Without `order_by`, a list follows the model's Meta.ordering (names, resolved as Django's
    prefetch resolves them), in its window as in its rows."""
    from blog.models import Post

    from django_graphql_auto.introspection import inspect_model

    monkeypatch.setattr(Post._meta, "ordering", ["-views", "category", "title"])
    inspect_model.cache_clear()
    try:
        lists = _lists_read(monkeypatch)
        query = (
            "{ authors { name posts(limit: 2) { title views } } tags { posts(limit: 1) { id } } }"
        )
        fast, general, calls = _both(monkeypatch, query, None)
        assert calls == [True] and lists
        assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
        for author in fast.payload["data"]["authors"]:
            views = [p["views"] for p in author["posts"]]
            assert views == sorted(views, reverse=True)
    finally:
        monkeypatch.undo()
        inspect_model.cache_clear()


def test_a_single_row_reads_its_lists_without_a_window(monkeypatch, data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post = f.post(views=7)
    for approved in (True, False, True):
        f.comment(post=post, is_approved=approved)
    query = """query($id: ID!) { author(id: $id) { name
        posts(limit: 2, order_by: [{views: DESC}]) { title comments_count } } }"""
    variables = {"id": str(post.author_id)}
    lists = _lists_read(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        fast, general, calls = _both(monkeypatch, query, variables)
    assert calls == [True] and lists == [1]
    assert fast.payload["data"]["author"]["posts"] == [{"title": post.title, "comments_count": 3}]
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    assert "ROW_NUMBER" not in queries.captured_queries[1]["sql"].upper()


@override_settings(DJANGO_GRAPHQL_AUTO={"POLICY": "tests.policies.HideUnapprovedComments"})
def test_lists_read_as_values_keep_row_rules(monkeypatch, data):
    query = "{ posts { id comments_count comments { is_approved } } }"
    lists = _lists_read(monkeypatch)
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True] and lists
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    comments = [c for p in fast.payload["data"]["posts"] for c in p["comments"]]
    assert comments and all(c["is_approved"] for c in comments)


def test_a_list_selecting_its_parent_reads_each_column_once(monkeypatch):
    """`author { id }` under `authors { posts }` reads `author__pk`, which is the `author_id`
    the rows are grouped by: one column, which Django's window filter selects once. Asked for
    twice, every row came back one value short and was written with shifted values."""
    news = f.category(name="News")
    authors = [f.author() for _ in range(2)]
    titles = {
        a.pk: [f.post(author=a, category=news if i else None).title for i in range(3)]
        for a in authors
    }
    query = "{ authors { id posts(limit: 2) { title author { id } category { name } } } }"
    lists = _lists_read(monkeypatch)
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True] and lists == [2]
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    assert fast.payload == {
        "data": {
            "authors": [
                {
                    "id": str(a.pk),
                    "posts": [
                        {"title": titles[a.pk][0], "author": {"id": str(a.pk)}, "category": None},
                        {
                            "title": titles[a.pk][1],
                            "author": {"id": str(a.pk)},
                            "category": {"name": "News"},
                        },
                    ],
                }
                for a in authors
            ]
        }
    }


@pytest.mark.parametrize(
    "query",
    [
        "{ posts { id comments { post { created_at is_featured } } } }",
        "{ posts { id comments(limit: 1) { post { title } } } }",
        "{ categories { id children(limit: 5) { name parent { name } } } }",
    ],
)
def test_a_list_selecting_its_parent_is_written_by_the_compiled_path(monkeypatch, query):
    """The same column asked for twice also made rows one value short here: a scalar refused
    the shifted value (PostgreSQL: "DateTime cannot represent False") or the request fell back
    and ran its statements twice."""
    root = f.category(name="Root")
    for i in range(2):
        post = f.post(is_featured=bool(i), category=f.category(parent=root, name=f"C{i}"))
        f.comment(post=post)
    lists = _lists_read(monkeypatch)
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True] and lists and lists[0] > 1, "read for several parents"
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    assert not fast.payload.get("errors")
    if query.startswith("{ posts { id comments { post { created"):
        from blog.models import Post

        expected = [
            {
                "id": str(p.pk),
                "comments": [
                    {"post": {"created_at": p.created_at.isoformat(), "is_featured": p.is_featured}}
                ],
            }
            for p in Post.objects.order_by("pk")
        ]
        assert fast.payload["data"]["posts"] == expected


def test_a_value_refused_in_a_list_of_lists_falls_back(monkeypatch):
    """Rows of a list holding lists are written while loading (inside `_load_root`); a scalar
    refusing a stored value there must make the request fall back, not fail the root field."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("only SQLite stores text in an integer column")
    post = f.post(title="Odd")
    f.comment(post=post)
    f.post(author=post.author, title="Fine", score=7)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE blog_post SET score = 'high' WHERE id = %s", [post.pk])
    f.post()  # a second author: the posts are read for several parents
    query = "{ authors { name posts(limit: 2) { title score comments { id } } } }"
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [False]
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    (error,) = fast.payload["errors"]
    assert error["message"] == "BigInt cannot represent 'high'."
    assert error["path"] == ["authors", 0, "posts", 0, "score"]


_INT_REFUSED = "Int cannot represent non 32-bit signed integer value: "
_FLOAT_REFUSED = "Float cannot represent non numeric value: "


@pytest.mark.parametrize(
    ("root", "column", "bound", "value", "message"),
    [
        ("posts", "views", 2**31 - 1, 2**31, _INT_REFUSED + "2147483648"),
        ("prescriptions", "refills", -(2**31), -(2**31) - 1, _INT_REFUSED + "-2147483649"),
        ("posts", "rating", 1.7976931348623157e308, float("inf"), _FLOAT_REFUSED + "inf"),
        ("posts", "rating", -1.7976931348623157e308, float("-inf"), _FLOAT_REFUSED + "-inf"),
        ("posts", "rating", 0.5, float("nan"), _FLOAT_REFUSED + "nan"),
    ],
)
def test_an_int_or_float_graphql_refuses_falls_back(
    monkeypatch, root, column, bound, value, message
):
    """Int and Float columns are written as stored on the values path, after the checks
    graphql-core makes: 32 bits for an Int, a finite number for a Float. A value at the bound
    is written; one beyond it makes the request fall back, for graphql-core's error."""
    from django.db import connection

    if connection.vendor != "sqlite" and isinstance(value, int):
        pytest.skip("PostgreSQL's integer column holds 32 bits")
    if connection.vendor == "sqlite" and value != value:
        pytest.skip("SQLite stores NaN as NULL")
    make = f.post if root == "posts" else f.prescription
    make(**{column: bound})
    query = f"{{ {root} {{ {column} }} }}"
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True]
    assert fast.payload == general.payload == {"data": {root: [{column: bound}]}}
    make(**{column: value})
    monkeypatch.undo()  # `_both` again, from the real compiled path
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [False]
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    assert [e["message"] for e in fast.payload["errors"]] == [message]


@pytest.mark.parametrize(
    "query",
    [
        "{ ...F ...F } fragment F on Query { posts(limit: 0) { id } }",
        "{ ...F ... on Query { ...F } } fragment F on Query { posts(limit: 0) { id } }",
    ],
)
def test_a_fragment_spread_twice_is_gathered_once(monkeypatch, query):
    """graphql-core skips a fragment already spread anywhere in the same selection: its
    fields' nodes, hence an error's locations, are counted once."""
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True]
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    (error,) = fast.payload["errors"]
    assert error["locations"] == [{"line": 1, "column": query.index("posts(") + 1}]


def test_a_database_error_is_the_fields_error_and_runs_once(monkeypatch, data):
    """A statement that fails is reported on its root field, as the general executor reports
    it, and is not run a second time by a fallback (inside a transaction that second run only
    met "current transaction is aborted", which hid the real error)."""
    from django.db import DatabaseError, connection

    attempts = []

    def failing(execute, sql, params, many, context):
        if "blog_comment" in sql:
            attempts.append(sql)
            raise DatabaseError("value overflows numeric format")
        return execute(sql, params, many, context)

    query = "{ comments { id } tags(order_by: [{name: ASC}]) { name } }"
    with connection.execute_wrapper(failing):
        fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True]
    assert len(attempts) == 2  # once per path: the compiled one did not fall back
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    assert fast.payload["data"] == {"comments": None, "tags": [{"name": n} for n in "abc"]}
    [error] = fast.payload["errors"]
    assert error["path"] == ["comments"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "numeric" not in error["message"]  # internal messages stay inside
