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
