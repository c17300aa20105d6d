"""Bulk mutations: a bounded number of SQL statements, all or nothing, capped in size.

`bulk_create_*`, `bulk_update_*` and `bulk_delete_*` validate every item like a single write and
report errors as `"<index>.<field>"`; one bad item writes nothing at all. Flat inputs take the
ORM's bulk paths, so the statement count does not grow with the number of items (beyond the
batches a backend's parameter limit forces on Django's own `bulk_create`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import pytest
from blog.models import Author, Comment, Post, Tag
from clinic.models import Drug, Prescription
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from django_graphql_auto.mutations.events import ChangeEvent, changes_committed
from django_graphql_auto.schema.registry import get_schema
from tests import factories

pytestmark = pytest.mark.django_db

RESULT = "ok errors objects { id } field_errors { field messages code }"
EXAMPLE_MODELS = {"blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]}}
BIG_BATCHES = override_settings(
    GRAPHQL_AUTO_MODELS={
        "blog.Post": {**EXAMPLE_MODELS["blog.Post"], "BULK_MAX_ITEMS": 1000},
        "blog.Tag": {"BULK_MAX_ITEMS": 1000},
    }
)


def row_counts() -> dict[str, int]:
    """Rows in every table of the example apps, through tables included."""
    counts = {}
    for app in ("blog", "clinic"):
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            if not model._meta.proxy:
                counts[model._meta.label] = model._base_manager.count()
    return counts


def bulk(graphql, mutation: str, argument: str, list_type: str, value: Any, selection=RESULT):
    result = graphql(
        f"mutation($v: {list_type}) {{ {mutation}({argument}: $v) {{ {selection} }} }}",
        {"v": value},
    )
    return result


def bulk_create(graphql, model: str, items: list[dict], selection: str = RESULT):
    result = bulk(
        graphql,
        f"bulk_create_{model.lower()}",
        "inputs",
        f"[Create{model}Input!]!",
        items,
        selection,
    )
    return result.ok()[f"bulk_create_{model.lower()}"]


def bulk_update(graphql, model: str, items: list[dict], selection: str = RESULT):
    result = bulk(
        graphql,
        f"bulk_update_{model.lower()}",
        "inputs",
        f"[BulkUpdate{model}Input!]!",
        items,
        selection,
    )
    return result.ok()[f"bulk_update_{model.lower()}"]


def bulk_delete(graphql, model: str, ids: list, selection: str = RESULT):
    result = bulk(graphql, f"bulk_delete_{model.lower()}", "ids", "[ID!]!", ids, selection)
    return result.ok()[f"bulk_delete_{model.lower()}"]


def errors_of(data: dict) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in data["field_errors"]]


def refused(data: dict, *expected: tuple[str, str]) -> None:
    assert data["ok"] is False, data
    assert data["objects"] is None
    assert errors_of(data) == list(expected)


# --- statement counts -------------------------------------------------------------------------

INSERT = re.compile(r'^INSERT INTO "?(\w+)"?', re.IGNORECASE)


def _statements(queries) -> tuple[Counter, int]:
    """INSERT statements per table, and every other statement."""
    inserts: Counter = Counter()
    others = 0
    for query in queries:
        match = INSERT.match(query["sql"])
        if match:
            inserts[match.group(1)] += 1
        else:
            others += 1
    return inserts, others


def _insert_batches(model, rows: int) -> int:
    """How many INSERTs Django's `bulk_create` needs for `rows` rows on this backend."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    batch = max(connection.ops.bulk_batch_size(fields, [None] * rows), 1)
    return math.ceil(rows / batch)


@BIG_BATCHES
@pytest.mark.parametrize("model", ["Tag", "Post"])
def test_bulk_create_statement_count_does_not_grow_with_items(graphql, model):
    author = factories.author()
    tags = [factories.tag() for _ in range(3)]

    def items(n: int) -> list[dict]:
        if model == "Tag":
            return [{"name": f"bulk-{n}-{i}"} for i in range(n)]
        return [
            {
                "title": f"P{i}",
                "slug": f"p{i}",
                "body": "B",
                "author": str(author.pk),
                "tags": [str(t.pk) for t in tags],
                "status": "PUBLISHED",
            }
            for i in range(n)
        ]

    counts = {}
    for n in (10, 1000):
        with CaptureQueriesContext(connection) as queries:
            data = bulk_create(graphql, model, items(n), "ok objects { id }")
        assert data["ok"] is True
        assert len(data["objects"]) == n
        counts[n] = _statements(queries.captured_queries)

    (inserts_10, others_10), (inserts_1000, others_1000) = counts[10], counts[1000]
    assert others_1000 == others_10  # reads, checks, savepoints: per batch, not per item
    assert others_10 <= 12
    target = Tag if model == "Tag" else Post
    table = target._meta.db_table
    assert inserts_10[table] == 1
    assert inserts_1000[table] <= _insert_batches(target, 1000)
    if model == "Post":
        through = Post.tags.through
        assert inserts_1000[through._meta.db_table] <= _insert_batches(through, 3000)
        assert through.objects.count() == 3 * 1010
    assert target.objects.filter(pk__in=[o["id"] for o in data["objects"]]).count() == 1000


@BIG_BATCHES
def test_bulk_update_statement_count_does_not_grow_with_items(graphql):
    counts = {}
    for n in (10, 1000):
        tags = Tag.objects.bulk_create([Tag(name=f"u{n}-{i}") for i in range(n)])
        items = [{"id": str(t.pk), "name": f"renamed-{n}-{i}"} for i, t in enumerate(tags)]
        with CaptureQueriesContext(connection) as queries:
            assert bulk_update(graphql, "Tag", items, "ok")["ok"] is True
        counts[n] = [q["sql"] for q in queries.captured_queries]
        assert Tag.objects.filter(name__startswith=f"renamed-{n}-").count() == n
    updates = {n: [s for s in sql if s.startswith("UPDATE")] for n, sql in counts.items()}
    others = {n: len(sql) - len(updates[n]) for n, sql in counts.items()}
    assert others[1000] == others[10]
    assert len(updates[10]) == 1
    assert len(updates[1000]) <= 10  # Django batches by the backend's parameter limit


def test_bulk_create_reads_back_in_input_order(graphql):
    data = bulk_create(
        graphql, "Tag", [{"name": "c"}, {"name": "a"}, {"name": "b"}], "ok objects { id name }"
    )
    assert [o["name"] for o in data["objects"]] == ["c", "a", "b"]
    assert [int(o["id"]) for o in data["objects"]] == list(
        Tag.objects.filter(name__in="abc").order_by("pk").values_list("pk", flat=True)
    )


def test_bulk_create_with_nested_inputs_falls_back_to_row_writes(graphql):
    data = bulk_create(
        graphql,
        "Post",
        [
            {
                "title": "A",
                "slug": "a",
                "body": "B",
                "nested_author": {"name": "N", "email": "n@x.io"},
            },
            {
                "title": "B",
                "slug": "b",
                "body": "B",
                "author": str(factories.author(name="Known").pk),
                "nested_comments": [{"author_name": "R", "body": "C"}],
            },
        ],
        "ok objects { title author { name } comments { author_name } }",
    )
    assert data == {
        "ok": True,
        "objects": [
            {"title": "A", "author": {"name": "N"}, "comments": []},
            {"title": "B", "author": {"name": "Known"}, "comments": [{"author_name": "R"}]},
        ],
    }


# --- all or nothing ---------------------------------------------------------------------------


def _post(**fields) -> dict:
    return {"title": "T", "slug": "t", "body": "B", **fields}


CREATE_FAILURES = [
    pytest.param(
        "Tag",
        lambda ctx: [{"name": "a"}, {"name": "b"}, {"name": "a"}],
        [("2.name", "unique")],
        id="duplicate-in-batch",
    ),
    pytest.param(
        "Tag",
        lambda ctx: [{"name": "new"}, {"name": ctx["tag"].name}],
        [("1.name", "unique")],
        id="duplicate-of-existing",
    ),
    pytest.param(
        "Tag",
        lambda ctx: [{"name": "fine"}, {"name": "x" * 51}],
        [("1.name", "max_length")],
        id="too-long",
    ),
    pytest.param(
        "Post",
        lambda ctx: [_post(author=ctx["author"]), _post(author="424242")],
        [("1.author", "invalid")],
        id="unknown-fk",
    ),
    pytest.param(
        "Post",
        lambda ctx: [_post(author=ctx["author"], tags=[ctx["tag_id"], "424242"])],
        [("0.tags", "invalid")],
        id="unknown-m2m-id",
    ),
    pytest.param(
        "Post",
        lambda ctx: [_post(author=ctx["author"]), _post()],
        [("1.author", "required")],
        id="missing-fk",
    ),
    pytest.param(
        "Post",
        lambda ctx: [_post(author=ctx["author"], uuid=ctx["uuid"])],
        [("0.uuid", "unique")],
        id="unique-uuid",
    ),
    pytest.param(
        "Post",
        lambda ctx: [
            _post(author=ctx["author"]),
            _post(nested_author={"name": "N", "email": "not-an-email"}),
        ],
        [("1.nested_author.email", "invalid")],
        id="nested-invalid",
    ),
    pytest.param(
        "Drug",
        lambda ctx: [
            {"name": "D1", "code": "d1", "unit_price": "1.00"},
            {"name": "D2", "code": "not a slug", "unit_price": "123456789.00"},
        ],
        [("1.code", "invalid"), ("1.unit_price", "max_digits")],
        id="several-errors-of-one-item",
    ),
]


@pytest.mark.parametrize(("model", "build", "expected"), CREATE_FAILURES)
def test_bulk_create_is_all_or_nothing(graphql, model, build, expected):
    post = factories.post(tags=[factories.tag()])
    ctx = {
        "tag": post.tags.get(),
        "tag_id": str(post.tags.get().pk),
        "author": str(post.author_id),
        "uuid": str(post.uuid),
    }
    before = row_counts()
    data = bulk_create(graphql, model, build(ctx))
    refused(data, *expected)
    assert row_counts() == before


def test_bulk_create_over_the_cap_is_refused(graphql):
    items = [{"name": f"t{i}"} for i in range(501)]
    result = bulk(graphql, "bulk_create_tag", "inputs", "[CreateTagInput!]!", items)
    assert result.status != 500
    assert result.codes == ["BAD_USER_INPUT"]
    assert "500" in result.errors[0]["message"]
    assert result.errors[0]["extensions"]["argument"] == "inputs"
    assert Tag.objects.count() == 0
    # exactly at the cap is fine
    assert bulk_create(graphql, "Tag", items[:500], "ok")["ok"] is True
    assert Tag.objects.count() == 500


@override_settings(GRAPHQL_AUTO_MODELS={**EXAMPLE_MODELS, "blog.Tag": {"BULK_MAX_ITEMS": 3}})
@pytest.mark.parametrize("operation", ["create", "update", "delete"])
def test_bulk_cap_applies_to_every_bulk_operation(graphql, operation):
    tags = [factories.tag() for _ in range(4)]
    before = sorted(Tag.objects.values_list("pk", "name"))
    if operation == "create":
        result = bulk(
            graphql,
            "bulk_create_tag",
            "inputs",
            "[CreateTagInput!]!",
            [{"name": f"n{i}"} for i in range(4)],
        )
    elif operation == "update":
        items = [{"id": str(t.pk), "name": f"n{t.pk}"} for t in tags]
        result = bulk(graphql, "bulk_update_tag", "inputs", "[BulkUpdateTagInput!]!", items)
    else:
        result = bulk(graphql, "bulk_delete_tag", "ids", "[ID!]!", [str(t.pk) for t in tags])
    assert result.codes == ["BAD_USER_INPUT"]
    assert "at most 3" in result.errors[0]["message"]
    assert sorted(Tag.objects.values_list("pk", "name")) == before


# --- bulk update --------------------------------------------------------------------------------


def test_bulk_update_changes_only_given_fields_of_each_item(graphql):
    c1, c2 = factories.category(), factories.category()
    t1, t2 = factories.tag(), factories.tag()
    p1 = factories.post(title="One", views=1, category=c1, tags=[t1])
    p2 = factories.post(title="Two", views=2, category=c1, tags=[t1])
    data = bulk_update(
        graphql,
        "Post",
        [
            {"id": str(p2.pk), "views": 20, "category": None},
            {"id": str(p1.pk), "title": "Uno", "category": str(c2.pk), "tags": [str(t2.pk)]},
        ],
        "ok objects { id title views category { id } tags { id } }",
    )
    assert data == {
        "ok": True,
        "objects": [
            {
                "id": str(p2.pk),
                "title": "Two",
                "views": 20,
                "category": None,
                "tags": [{"id": str(t1.pk)}],
            },
            {
                "id": str(p1.pk),
                "title": "Uno",
                "views": 1,
                "category": {"id": str(c2.pk)},
                "tags": [{"id": str(t2.pk)}],
            },
        ],
    }
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert (p1.title, p1.views, p1.category_id) == ("Uno", 1, c2.pk)
    assert (p2.title, p2.views, p2.category_id) == ("Two", 20, None)
    assert list(p1.tags.all()) == [t2] and list(p2.tags.all()) == [t1]


def _tags(*names: str) -> list[Tag]:
    return [factories.tag(name=name) for name in names]


UPDATE_FAILURES = [
    pytest.param(
        lambda t: [{"id": t[0], "name": "ok"}, {"id": t[1], "name": "x" * 51}],
        [("1.name", "max_length")],
        id="too-long",
    ),
    pytest.param(
        lambda t: [{"id": t[0], "name": "ok"}, {"id": "424242", "name": "z"}],
        [("1.id", "invalid")],
        id="unknown-id",
    ),
    pytest.param(
        lambda t: [{"id": t[0], "name": "ok"}, {"id": "abc"}],
        [("1.id", "invalid")],
        id="malformed-id",
    ),
    pytest.param(
        lambda t: [{"id": t[0], "name": "p"}, {"id": t[0], "name": "q"}],
        [("1.id", "invalid")],
        id="same-id-twice",
    ),
    pytest.param(
        lambda t: [{"id": t[0], "name": "b"}], [("0.name", "unique")], id="clash-with-existing"
    ),
    pytest.param(
        lambda t: [{"id": t[0], "name": "n"}, {"id": t[1], "name": "n"}],
        [("1.name", "unique")],
        id="clash-in-batch",
    ),
    # the row holding the name is in the batch but keeps it: still a clash, not a 500
    pytest.param(
        lambda t: [{"id": t[0], "name": "b"}, {"id": t[1]}],
        [("0.name", "unique")],
        id="clash-with-unchanged-batch-row",
    ),
    # swapping unique values is refused: the database checks each row as it is written
    pytest.param(
        lambda t: [{"id": t[0], "name": "b"}, {"id": t[1], "name": "a"}],
        [("0.name", "unique"), ("1.name", "unique")],
        id="swap",
    ),
    pytest.param(lambda t: [{"id": t[0], "name": None}], [("0.name", "null")], id="null"),
]


@pytest.mark.parametrize(("build", "expected"), UPDATE_FAILURES)
def test_bulk_update_is_all_or_nothing(graphql, build, expected):
    tags = _tags("a", "b", "c")
    before = sorted(Tag.objects.values_list("pk", "name"))
    data = bulk_update(graphql, "Tag", build([str(t.pk) for t in tags]))
    refused(data, *expected)
    assert sorted(Tag.objects.values_list("pk", "name")) == before


def test_bulk_update_relations_are_all_or_nothing(graphql):
    p1, p2 = factories.post(title="One"), factories.post(title="Two")
    theirs = factories.comment()
    before = row_counts()
    data = bulk_update(
        graphql,
        "Post",
        [
            {"id": str(p1.pk), "title": "Changed", "category": str(factories.category().pk)},
            {"id": str(p2.pk), "category": "424242"},
        ],
    )
    refused(data, ("1.category", "invalid"))
    data = bulk_update(
        graphql,
        "Post",
        [
            {"id": str(p1.pk), "nested_comments": [{"author_name": "R", "body": "C"}]},
            {"id": str(p2.pk), "update_comments": [{"id": str(theirs.pk), "body": "hijack"}]},
        ],
    )
    refused(data, ("1.update_comments", "invalid"))
    after = row_counts()
    assert after.pop("blog.Category") == before.pop("blog.Category") + 1  # made by the test
    assert after == before
    assert sorted(Post.objects.filter(pk__in=[p1.pk, p2.pk]).values_list("title", flat=True)) == [
        "One",
        "Two",
    ]
    theirs.refresh_from_db()
    assert theirs.body != "hijack"


# --- bulk delete --------------------------------------------------------------------------------


def test_bulk_delete(graphql):
    tags = _tags("a", "b", "c")
    post = factories.post(tags=tags)
    data = bulk_delete(graphql, "Tag", [str(tags[2].pk), str(tags[0].pk)], "ok objects { id name }")
    assert data == {
        "ok": True,
        "objects": [{"id": str(tags[2].pk), "name": "c"}, {"id": str(tags[0].pk), "name": "a"}],
    }
    assert list(Tag.objects.values_list("name", flat=True)) == ["b"]
    assert list(post.tags.values_list("name", flat=True)) == ["b"]


def test_bulk_delete_with_an_unknown_id_deletes_nothing(graphql):
    tags = _tags("a", "b")
    data = bulk_delete(graphql, "Tag", [str(tags[0].pk), "424242"])
    refused(data, ("ids", "invalid"))
    assert "424242" in data["field_errors"][0]["messages"][0]
    assert Tag.objects.count() == 2


def test_bulk_delete_refused_by_protect_deletes_nothing(graphql):
    free = factories.drug()
    prescription = factories.prescription()
    before = row_counts()
    data = bulk_delete(graphql, "Drug", [str(free.pk), str(prescription.drug_id)])
    refused(data, ("ids", "protected"))
    assert "clinic.Prescription.drug" in data["field_errors"][0]["messages"][0]
    assert row_counts() == before
    assert Drug.objects.filter(pk=free.pk).exists()


def test_bulk_delete_cascades(graphql):
    authors = [factories.author(), factories.author()]
    for author in authors:
        factories.comment(post=factories.post(author=author))
    kept = factories.comment()
    data = bulk_delete(graphql, "Author", [str(a.pk) for a in authors], "ok")
    assert data == {"ok": True}
    assert list(Author.objects.all()) == [kept.post.author]
    assert list(Comment.objects.all()) == [kept]
    assert Prescription.objects.count() == 0


def test_bulk_delete_of_the_same_id_twice_deletes_it_once(
    graphql, committed, django_capture_on_commit_callbacks
):
    tag = factories.tag()
    with django_capture_on_commit_callbacks(execute=True):
        data = bulk_delete(graphql, "Tag", [str(tag.pk), str(tag.pk)], "ok objects { id }")
    assert data == {"ok": True, "objects": [{"id": str(tag.pk)}]}
    assert committed == [[ChangeEvent(Tag, tag.pk, "deleted", frozenset())]]


# --- change events --------------------------------------------------------------------------


@pytest.fixture
def committed():
    sent: list[list[ChangeEvent]] = []

    def receive(sender, events, **kwargs):
        sent.append(list(events))

    changes_committed.connect(receive)
    yield sent
    changes_committed.disconnect(receive)


def test_bulk_writes_send_one_batch_each(graphql, committed, django_capture_on_commit_callbacks):
    author = factories.author()
    tag = factories.tag()
    with django_capture_on_commit_callbacks(execute=True):
        data = bulk_create(
            graphql,
            "Post",
            [
                _post(author=str(author.pk), tags=[str(tag.pk)]),
                _post(author=str(author.pk), views=3),
            ],
            "ok objects { id }",
        )
    pks = [int(o["id"]) for o in data["objects"]]
    (events,) = committed
    assert [(e.model, e.pk, e.kind) for e in events] == [(Post, pk, "created") for pk in pks]
    assert events[0].fields == {"title", "slug", "body", "author", "tags"}
    assert events[1].fields == {"title", "slug", "body", "author", "views"}

    committed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bulk_update(
            graphql,
            "Post",
            [{"id": str(pks[1]), "views": 4}, {"id": str(pks[0]), "tags": []}],
            "ok",
        )
    assert committed == [
        [
            ChangeEvent(Post, pks[1], "updated", frozenset({"views"})),
            ChangeEvent(Post, pks[0], "updated", frozenset({"tags"})),
        ]
    ]

    committed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bulk_delete(graphql, "Post", [str(pk) for pk in pks], "ok")
    assert committed == [[ChangeEvent(Post, pk, "deleted", frozenset()) for pk in pks]]


def test_refused_bulk_writes_send_nothing(graphql, committed, django_capture_on_commit_callbacks):
    tag = factories.tag(name="taken")
    drug = factories.prescription().drug
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_create(graphql, "Tag", [{"name": "x"}, {"name": "taken"}])["ok"] is False
        assert bulk_update(graphql, "Tag", [{"id": str(tag.pk), "name": "y" * 51}])["ok"] is False
        assert bulk_delete(graphql, "Drug", [str(drug.pk)])["ok"] is False
    assert committed == []


# --- switches ---------------------------------------------------------------------------------


@override_settings(
    GRAPHQL_AUTO_MODELS={**EXAMPLE_MODELS, "blog.Tag": {"ENABLE_BULK_OPERATIONS": False}}
)
def test_bulk_operations_can_be_switched_off_per_model():
    fields = get_schema().schema.mutation_type.fields
    assert {"create_tag", "update_tag", "delete_tag"} <= set(fields)
    assert not {"bulk_create_tag", "bulk_update_tag", "bulk_delete_tag"} & set(fields)
    assert "bulk_create_post" in fields
