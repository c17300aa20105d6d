"""Malformed input against every kind of mutation: refused cleanly, never a 500, never a write.

One matrix crosses the mutation kinds (create, update, delete, bulk create/update/delete, and a
connect inside a nested input) with the ways an input can be wrong: wrong types (as a literal and
as a variable), unknown ids, malformed ids, ids of rows the caller cannot see, strings over
`max_length`, a NUL byte, and both `x` and `nested_x`. Every cell must answer either
`ok: false` with field errors (at the dotted path named in the table) or a GraphQL error with a
code, and leave every table exactly as it was (contents, not only counts).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from blog.models import Post, Tag
from django.apps import apps
from django.test.utils import override_settings

from django_graphql_auto.schema.registry import get_schema
from django_graphql_auto.security.policy import Policy
from tests import factories

pytestmark = pytest.mark.django_db

SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}
VALIDATION = "GRAPHQL_VALIDATION_FAILED"
BAD_INPUT = "BAD_USER_INPUT"
UNKNOWN = "987654"


class HideDraftPostsAndInternalTags(Policy):
    """Draft posts and tags named "internal..." do not exist for the caller."""

    def filter_rows(self, ctx, model, queryset):
        if model is Post:
            return queryset.exclude(status=Post.Status.DRAFT)
        if model is Tag:
            return queryset.exclude(name__startswith="internal")
        return queryset


hidden_rows = override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": SCHEMAS,
        "POLICY": "tests.test_mutations_malformed.HideDraftPostsAndInternalTags",
    }
)


@dataclass
class World:
    published: str
    draft: str
    author: str
    tag: str
    internal_tag: str
    category: str


@pytest.fixture
def world() -> World:
    tag = factories.tag(name="visible")
    internal = factories.tag(name="internal-only")
    published = factories.post(status=Post.Status.PUBLISHED, title="Published", tags=[tag])
    draft = factories.post(status=Post.Status.DRAFT, title="Draft")
    factories.comment(post=published)
    factories.comment(post=draft)
    factories.prescription()
    return World(
        published=str(published.pk),
        draft=str(draft.pk),
        author=str(published.author_id),
        tag=str(tag.pk),
        internal_tag=str(internal.pk),
        category=str(factories.category().pk),
    )


def database() -> dict[str, list[dict]]:
    """The full contents of every table of the example apps: any write shows up here."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for app in ("blog", "clinic")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
        if not model._meta.proxy
    }


# --- the mutation kinds -------------------------------------------------------------------------

KINDS = {
    "create": "create_comment",
    "update": "update_post",
    "delete": "delete_post",
    "bulk_create": "bulk_create_comment",
    "bulk_update": "bulk_update_post",
    "bulk_delete": "bulk_delete_post",
    "nested_connect": "create_author",
}


def comment(w: World, **fields: Any) -> dict[str, Any]:
    return {"author_name": "Reader", "body": "Hello", "post": w.published, **fields}


def author_with_post(w: World, **post_fields: Any) -> dict[str, Any]:
    post = {"title": "T", "slug": "t", "body": "B", "tags": [w.tag], **post_fields}
    return {"name": "New", "email": "new@example.com", "nested_posts": [post]}


def post_update(w: World, **fields: Any) -> dict[str, Any]:
    return {"id": w.published, "title": "Changed", **fields}


NEW_AUTHOR = {"name": "N", "email": "n@example.com"}
NEW_POST = {"title": "N", "slug": "n", "body": "B", "nested_author": NEW_AUTHOR}
NEW_CATEGORY = {"name": "N", "slug": "n"}
LONG = "x" * 201  # over every max_length involved (100 for names, 200 for titles)
NUL = "a\x00b"

Build = Callable[[World], dict[str, Any]]

# (kind, malformation) -> (variables of the mutation, expected field error path or None for a
# request refused with a GraphQL error)
CASES: dict[tuple[str, str], tuple[Build, str | None]] = {
    # create_comment(input)
    ("create", "wrong_type"): (lambda w: {"input": comment(w, rating="five")}, None),
    ("create", "unknown_id"): (lambda w: {"input": comment(w, post=UNKNOWN)}, "post"),
    ("create", "malformed_id"): (lambda w: {"input": comment(w, post="abc")}, "post"),
    ("create", "invisible_id"): (lambda w: {"input": comment(w, post=w.draft)}, "post"),
    ("create", "too_long"): (lambda w: {"input": comment(w, author_name=LONG)}, "author_name"),
    ("create", "null_byte"): (lambda w: {"input": comment(w, body=NUL)}, None),
    ("create", "both"): (lambda w: {"input": comment(w, nested_post=NEW_POST)}, "post"),
    # update_post(id, input)
    ("update", "wrong_type"): (
        lambda w: {"id": w.published, "input": {"views": "many"}},
        None,
    ),
    ("update", "unknown_id"): (lambda w: {"id": UNKNOWN, "input": {"title": "X"}}, "id"),
    ("update", "malformed_id"): (lambda w: {"id": "abc", "input": {"title": "X"}}, "id"),
    ("update", "invisible_id"): (lambda w: {"id": w.draft, "input": {"title": "X"}}, "id"),
    ("update", "unknown_related_id"): (
        lambda w: {"id": w.published, "input": {"title": "X", "author": UNKNOWN}},
        "author",
    ),
    ("update", "invisible_related_id"): (
        lambda w: {"id": w.published, "input": {"title": "X", "add_tags": [w.internal_tag]}},
        "add_tags",
    ),
    ("update", "too_long"): (lambda w: {"id": w.published, "input": {"title": LONG}}, "title"),
    ("update", "null_byte"): (lambda w: {"id": w.published, "input": {"title": NUL}}, None),
    ("update", "null_byte_in_json"): (
        lambda w: {"id": w.published, "input": {"metadata": {"deep": [NUL]}}},
        None,
    ),
    ("update", "both"): (
        lambda w: {"id": w.published, "input": {"author": w.author, "nested_author": NEW_AUTHOR}},
        "author",
    ),
    # delete_post(id)
    ("delete", "wrong_type"): (lambda w: {"id": {"pk": w.published}}, None),
    ("delete", "unknown_id"): (lambda w: {"id": UNKNOWN}, "id"),
    ("delete", "malformed_id"): (lambda w: {"id": "abc"}, "id"),
    ("delete", "invisible_id"): (lambda w: {"id": w.draft}, "id"),
    ("delete", "null_byte"): (lambda w: {"id": w.published + "\x00"}, None),
    # bulk_create_comment(inputs): the second item is the bad one
    ("bulk_create", "wrong_type"): (
        lambda w: {"inputs": [comment(w), comment(w, is_approved="yes")]},
        None,
    ),
    ("bulk_create", "unknown_id"): (
        lambda w: {"inputs": [comment(w), comment(w, post=UNKNOWN)]},
        "1.post",
    ),
    ("bulk_create", "malformed_id"): (
        lambda w: {"inputs": [comment(w), comment(w, post="abc")]},
        "1.post",
    ),
    ("bulk_create", "invisible_id"): (
        lambda w: {"inputs": [comment(w), comment(w, post=w.draft)]},
        "1.post",
    ),
    ("bulk_create", "too_long"): (
        lambda w: {"inputs": [comment(w), comment(w, author_name=LONG)]},
        "1.author_name",
    ),
    ("bulk_create", "null_byte"): (
        lambda w: {"inputs": [comment(w), comment(w, author_name=NUL)]},
        None,
    ),
    ("bulk_create", "both"): (
        lambda w: {"inputs": [comment(w), comment(w, nested_post=NEW_POST)]},
        "1.post",
    ),
    # bulk_update_post(inputs)
    ("bulk_update", "wrong_type"): (
        lambda w: {"inputs": [post_update(w), {"id": w.published, "rating": "high"}]},
        None,
    ),
    ("bulk_update", "unknown_id"): (
        lambda w: {"inputs": [post_update(w), {"id": UNKNOWN, "title": "X"}]},
        "1.id",
    ),
    ("bulk_update", "malformed_id"): (
        lambda w: {"inputs": [post_update(w), {"id": "abc", "title": "X"}]},
        "1.id",
    ),
    ("bulk_update", "invisible_id"): (
        lambda w: {"inputs": [post_update(w), {"id": w.draft, "title": "X"}]},
        "1.id",
    ),
    ("bulk_update", "unknown_related_id"): (
        lambda w: {"inputs": [post_update(w, category=UNKNOWN)]},
        "0.category",
    ),
    ("bulk_update", "invisible_related_id"): (
        lambda w: {"inputs": [post_update(w, tags=[w.tag, w.internal_tag])]},
        "0.tags",
    ),
    ("bulk_update", "too_long"): (
        lambda w: {"inputs": [post_update(w, slug=LONG)]},
        "0.slug",
    ),
    ("bulk_update", "null_byte"): (
        lambda w: {"inputs": [post_update(w, body=NUL)]},
        None,
    ),
    ("bulk_update", "both"): (
        lambda w: {"inputs": [post_update(w, category=w.category, nested_category=NEW_CATEGORY)]},
        "0.category",
    ),
    # bulk_delete_post(ids)
    ("bulk_delete", "wrong_type"): (lambda w: {"ids": [w.published, [1]]}, None),
    ("bulk_delete", "unknown_id"): (lambda w: {"ids": [w.published, UNKNOWN]}, "ids"),
    ("bulk_delete", "malformed_id"): (lambda w: {"ids": [w.published, "abc"]}, "ids"),
    ("bulk_delete", "invisible_id"): (lambda w: {"ids": [w.published, w.draft]}, "ids"),
    ("bulk_delete", "null_byte"): (lambda w: {"ids": [w.published, NUL]}, None),
    # create_author(input: {nested_posts: [{... connects ...}]})
    ("nested_connect", "wrong_type"): (
        lambda w: {"input": author_with_post(w, views=-1.5)},
        None,
    ),
    ("nested_connect", "unknown_id"): (
        lambda w: {"input": author_with_post(w, tags=[w.tag, UNKNOWN])},
        "nested_posts.0.tags",
    ),
    ("nested_connect", "malformed_id"): (
        lambda w: {"input": author_with_post(w, category="abc")},
        "nested_posts.0.category",
    ),
    ("nested_connect", "invisible_id"): (
        lambda w: {"input": author_with_post(w, tags=[w.internal_tag])},
        "nested_posts.0.tags",
    ),
    ("nested_connect", "too_long"): (
        lambda w: {"input": author_with_post(w, title=LONG)},
        "nested_posts.0.title",
    ),
    ("nested_connect", "null_byte"): (
        lambda w: {"input": author_with_post(w, slug=NUL)},
        None,
    ),
    ("nested_connect", "both"): (
        lambda w: {"input": author_with_post(w, category=w.category, nested_category=NEW_CATEGORY)},
        "nested_posts.0.category",
    ),
}

# Literal documents: wrong types fail validation; a NUL escape in a literal is refused too.
LITERALS: dict[tuple[str, str], str] = {
    ("create", "wrong_type_literal"): (
        'mutation { create_comment(input: {author_name: 5, body: "b", post: "1"}) { ok } }'
    ),
    ("update", "wrong_type_literal"): (
        'mutation { update_post(id: "1", input: {views: "many"}) { ok } }'
    ),
    ("delete", "wrong_type_literal"): "mutation { delete_post(id: 1.5) { ok } }",
    ("bulk_create", "wrong_type_literal"): (
        'mutation { bulk_create_comment(inputs: [{author_name: "a", body: true}]) { ok } }'
    ),
    ("bulk_update", "wrong_type_literal"): (
        'mutation { bulk_update_post(inputs: [{title: "no id"}]) { ok } }'
    ),
    ("bulk_delete", "wrong_type_literal"): "mutation { bulk_delete_post(ids: [{}]) { ok } }",
    ("nested_connect", "wrong_type_literal"): (
        'mutation { create_author(input: {name: "a", email: "a@example.com", '
        'nested_posts: [{title: "t", slug: "s", body: "b", tags: [{}]}]}) { ok } }'
    ),
    ("create", "null_byte_literal"): (
        'mutation { create_comment(input: {author_name: "a\\u0000", body: "b", post: "{P}"}) '
        "{ ok } }"
    ),
    ("update", "null_byte_literal"): (
        'mutation { update_post(id: "{P}", input: {title: "\\u0000"}) { ok } }'
    ),
    ("delete", "null_byte_literal"): 'mutation { delete_post(id: "{P}\\u0000") { ok } }',
    ("bulk_create", "null_byte_literal"): (
        'mutation { bulk_create_comment(inputs: [{author_name: "a", body: "\\u0000", '
        'post: "{P}"}]) { ok } }'
    ),
    ("bulk_update", "null_byte_literal"): (
        'mutation { bulk_update_post(inputs: [{id: "{P}", body: "x\\u0000"}]) { ok } }'
    ),
    ("bulk_delete", "null_byte_literal"): (
        'mutation { bulk_delete_post(ids: ["{P}", "\\u0000"]) { ok } }'
    ),
    ("nested_connect", "null_byte_literal"): (
        'mutation { create_author(input: {name: "a", email: "a@example.com", '
        'nested_posts: [{title: "\\u0000", slug: "s", body: "b"}]}) { ok } }'
    ),
}

ALL_CASES = sorted([*CASES, *LITERALS])


def test_the_matrix_covers_every_kind_and_every_malformation():
    kinds = {kind for kind, _ in ALL_CASES}
    assert kinds == set(KINDS)
    for malformation in ("wrong_type", "unknown_id", "invisible_id", "malformed_id", "null_byte"):
        assert {k for k, m in CASES if m == malformation} == set(KINDS), malformation
    for malformation in ("wrong_type_literal", "null_byte_literal"):
        assert {k for k, m in LITERALS if m == malformation} == set(KINDS), malformation
    writes = set(KINDS) - {"delete", "bulk_delete"}  # deletes take no strings or relations
    for malformation in ("too_long", "both"):
        assert {k for k, m in CASES if m == malformation} == writes, malformation


def _document(field: str, variables: dict[str, Any]) -> str:
    args = get_schema().schema.mutation_type.fields[field].args
    signature = ", ".join(f"${name}: {args[name].type}" for name in variables)
    passed = ", ".join(f"{name}: ${name}" for name in variables)
    return (
        f"mutation({signature}) {{ {field}({passed}) "
        "{ ok errors field_errors { field messages code } } }"
    )


@hidden_rows
@pytest.mark.parametrize(("kind", "malformation"), ALL_CASES, ids=lambda v: v)
def test_malformed_input_is_refused_without_writing(graphql, world, kind, malformation):
    field = KINDS[kind]
    if (kind, malformation) in LITERALS:
        document, variables = LITERALS[kind, malformation].replace("{P}", world.published), None
        expected_path = None
    else:
        build, expected_path = CASES[kind, malformation]
        variables = build(world)
        document = _document(field, variables)
    before = database()

    result = graphql(document, variables)

    assert result.status != 500, result.body
    assert "INTERNAL_SERVER_ERROR" not in result.codes, result.body
    if expected_path is None:  # refused before anything ran
        assert result.status == 400, result.body
        expected_code = VALIDATION if malformation == "wrong_type_literal" else BAD_INPUT
        assert result.codes == [expected_code] * len(result.errors) and result.errors
        assert "data" not in result.body
    else:
        assert result.status == 200, result.body
        assert result.errors == []
        payload = result.data[field]
        assert payload["ok"] is False
        assert payload["errors"], payload
        fields = [e["field"] for e in payload["field_errors"]]
        assert fields and set(fields) == {expected_path}, payload
        assert all(e["code"] for e in payload["field_errors"])
        if "too_long" in malformation:
            assert [e["code"] for e in payload["field_errors"]] == ["max_length"]
    assert database() == before


@hidden_rows
def test_invisible_and_unknown_ids_get_the_same_answer(graphql, world):
    """A hidden row is reported exactly like one that does not exist: nothing leaks."""

    def answer(post_id: str) -> dict:
        result = graphql(
            _document("update_post", {"id": post_id, "input": {"title": "X"}}),
            {"id": post_id, "input": {"title": "X"}},
        )
        body = json.dumps(result.data).replace(post_id, "<id>")
        return json.loads(body)

    assert answer(world.draft) == answer(UNKNOWN)
    assert "Draft" not in json.dumps(answer(world.draft))


@hidden_rows
def test_a_valid_call_of_every_kind_succeeds(graphql, world):
    """The control row of the matrix: the same inputs without the defect are accepted."""
    valid = {
        "create": {"input": comment(world)},
        "update": {"id": world.published, "input": {"title": "Changed"}},
        "bulk_create": {"inputs": [comment(world), comment(world)]},
        "bulk_update": {"inputs": [post_update(world)]},
        "nested_connect": {"input": author_with_post(world, category=world.category)},
        "bulk_delete": {"ids": [world.published]},
    }
    for kind, variables in valid.items():
        result = graphql(_document(KINDS[kind], variables), variables)
        assert result.ok()[KINDS[kind]]["ok"] is True, (kind, result.body)
    assert not Post.objects.filter(pk=world.published).exists()
    # the draft exists but is out of reach, so it cannot be deleted
    result = graphql(_document("delete_post", {"id": world.draft}), {"id": world.draft})
    assert result.ok()["delete_post"]["ok"] is False
    assert Post.objects.filter(pk=world.draft).exists()
