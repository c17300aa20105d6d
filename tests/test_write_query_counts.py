"""Writes checked by `IsOwnerOrAdmin` cost the same number of statements for 2 items as for 8.

The owner of a comment is `comment.post.author.user_id`: the object check walks two relations.
Writes load those relations with the rows they check (`BasePermission.object_relations`), so a
flat bulk write stays a handful of statements however many items it holds (docs/mutations.md),
and the check still refuses a row of another owner, with nothing written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from blog.models import Author, Comment, Post
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from django_graphql_auto.permissions import IsOwnerOrAdmin, ReadOnly
from tests import factories

pytestmark = pytest.mark.django_db

OWNER = "django_graphql_auto.permissions.IsOwnerOrAdmin"
OWNED = {
    "blog.Post": {"PERMISSION_CLASSES": [OWNER], "OWNER_FIELD": "author__user"},
    "blog.Comment": {"PERMISSION_CLASSES": [OWNER], "OWNER_FIELD": "post__author__user"},
}
#: Only comments are owned: the connected posts must still bring their authors along.
COMMENTS_OWNED = {"blog.Comment": OWNED["blog.Comment"]}
#: A statement that reads one author or one post by id: what a walk per row would cost.
ONE_BY_ID = re.compile(r'FROM "blog_(author|post)" WHERE "blog_\1"\."id" = ', re.IGNORECASE)


def _readable_settings() -> dict[str, Any]:
    """`IsOwnerOrAdmin | ReadOnly`: everybody reads every row, so a row of another owner is
    found and the object check is what refuses it."""
    return {
        label: {**config, "PERMISSION_CLASSES": [IsOwnerOrAdmin | ReadOnly]}
        for label, config in OWNED.items()
    }


@pytest.fixture
def owner(client) -> Author:
    """A logged-in, non-staff user and their author profile."""
    user = get_user_model().objects.create_user("owner", password="pw")
    client.force_login(user)
    return factories.author(user=user)


@pytest.fixture
def stranger() -> Author:
    user = get_user_model().objects.create_user("stranger", password="pw")
    return factories.author(user=user)


def _posts(author: Author, count: int) -> list[Post]:
    """`count` posts of `author`, one comment each."""
    posts = [factories.post(author=author) for _ in range(count)]
    for post in posts:
        factories.comment(post=post)
    return posts


def _comments(posts: list[Post]) -> list[Comment]:
    return list(Comment.objects.filter(post__in=posts).order_by("pk"))


# Each case: the mutation document and its variables for some posts of the caller, and a check
# of the database afterwards.
Case = Callable[[list[Post]], tuple[str, dict[str, Any], Callable[[], None]]]


def bulk_update_post(posts):
    items = [{"id": str(p.pk), "views": 1} for p in posts]

    def written():
        assert [p.views for p in Post.objects.filter(pk__in=[p.pk for p in posts])] == [1] * len(
            posts
        )

    document = "mutation($v: [BulkUpdatePostInput!]!) { bulk_update_post(inputs: $v) { ok } }"
    return document, {"v": items}, written


def bulk_update_comment(posts):
    comments = _comments(posts)
    items = [{"id": str(c.pk), "body": "edited"} for c in comments]

    def written():
        assert set(Comment.objects.filter(post__in=posts).values_list("body", flat=True)) == {
            "edited"
        }

    document = "mutation($v: [BulkUpdateCommentInput!]!) { bulk_update_comment(inputs: $v) { ok } }"
    return document, {"v": items}, written


def bulk_create_comment(posts):
    items = [{"post": str(p.pk), "author_name": "a", "body": "new"} for p in posts]

    def written():
        assert Comment.objects.filter(post__in=posts, body="new").count() == len(posts)

    document = "mutation($v: [CreateCommentInput!]!) { bulk_create_comment(inputs: $v) { ok } }"
    return document, {"v": items}, written


def bulk_delete_comment(posts):
    ids = [str(c.pk) for c in _comments(posts)]

    def written():
        assert not Comment.objects.filter(post__in=posts).exists()

    document = (
        "mutation($v: [ID!]!) { bulk_delete_comment(ids: $v) "
        "{ ok objects { id body post { title author { name } } } } }"
    )
    return document, {"v": ids}, written


def bulk_delete_post(posts):
    ids = [str(p.pk) for p in posts]

    def written():
        assert not Post.objects.filter(pk__in=ids).exists()

    document = (
        "mutation($v: [ID!]!) { bulk_delete_post(ids: $v) "
        "{ ok objects { id title author { name } comments { body } } } }"
    )
    return document, {"v": ids}, written


CASES = [bulk_update_post, bulk_update_comment, bulk_create_comment, bulk_delete_comment]
CASES += [bulk_delete_post]


def _statements(graphql, case: Case, posts: list[Post]) -> list[str]:
    document, variables, written = case(posts)
    with CaptureQueriesContext(connection) as captured:
        result = graphql(document, variables)
    (payload,) = result.ok().values()
    assert payload["ok"] is True, payload
    written()
    return [query["sql"] for query in captured.captured_queries]


@override_settings(GRAPHQL_AUTO_MODELS=OWNED)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_owner_checked_bulk_writes_cost_the_same_for_2_and_8_items(graphql, owner, case):
    few = _statements(graphql, case, _posts(owner, 2))
    many = _statements(graphql, case, _posts(owner, 8))
    assert len(few) == len(many), [sql for sql in many if ONE_BY_ID.search(sql)]


@override_settings(GRAPHQL_AUTO_MODELS=COMMENTS_OWNED)
def test_created_rows_reuse_the_connected_rows_and_their_owner(graphql, owner):
    """Post is not owned, so its own check walks nothing; the comments created still read
    `post.author.user_id` from the posts the write connected."""
    few = _statements(graphql, bulk_create_comment, _posts(owner, 2))
    many = _statements(graphql, bulk_create_comment, _posts(owner, 8))
    assert len(few) == len(many), [sql for sql in many if ONE_BY_ID.search(sql)]


@override_settings(GRAPHQL_AUTO_MODELS=OWNED)
def test_a_single_create_reads_no_row_by_id_for_the_check(graphql, owner):
    (post,) = _posts(owner, 1)
    document = "mutation($v: CreateCommentInput!) { create_comment(input: $v) { ok } }"
    variables = {"v": {"post": str(post.pk), "author_name": "a", "body": "single"}}
    with CaptureQueriesContext(connection) as captured:
        result = graphql(document, variables)
    assert result.ok()["create_comment"]["ok"] is True
    assert Comment.objects.filter(post=post, body="single").count() == 1
    assert not [q["sql"] for q in captured.captured_queries if ONE_BY_ID.search(q["sql"])]


# --- The check still decides ------------------------------------------------------------------


def _snapshot() -> tuple:
    return (
        sorted(Post.objects.values_list("pk", "views", "author_id")),
        sorted(Comment.objects.values_list("pk", "body", "post_id")),
    )


REFUSALS = {
    "bulk_update_post": lambda mine, theirs: (
        "mutation($v: [BulkUpdatePostInput!]!) { bulk_update_post(inputs: $v) { ok } }",
        [{"id": str(p.pk), "views": 5} for p in [*mine, *theirs]],
        "change Post",
    ),
    "bulk_update_comment": lambda mine, theirs: (
        "mutation($v: [BulkUpdateCommentInput!]!) { bulk_update_comment(inputs: $v) { ok } }",
        [{"id": str(c.pk), "body": "x"} for c in _comments([*mine, *theirs])],
        "change Comment",
    ),
    "bulk_update_comment_moved": lambda mine, theirs: (
        "mutation($v: [BulkUpdateCommentInput!]!) { bulk_update_comment(inputs: $v) { ok } }",
        [{"id": str(c.pk), "post": str(theirs[0].pk)} for c in _comments(mine)],
        "change Post",
    ),
    "bulk_create_comment": lambda mine, theirs: (
        "mutation($v: [CreateCommentInput!]!) { bulk_create_comment(inputs: $v) { ok } }",
        [{"post": str(p.pk), "author_name": "a", "body": "b"} for p in [*mine, *theirs]],
        "change Post",
    ),
    "bulk_delete_comment": lambda mine, theirs: (
        "mutation($v: [ID!]!) { bulk_delete_comment(ids: $v) { ok } }",
        [str(c.pk) for c in _comments([*mine, *theirs])],
        "delete Comment",
    ),
    "bulk_delete_post": lambda mine, theirs: (
        "mutation($v: [ID!]!) { bulk_delete_post(ids: $v) { ok } }",
        [str(p.pk) for p in [*mine, *theirs]],
        "delete Post",
    ),
    "create_comment": lambda mine, theirs: (
        "mutation($v: CreateCommentInput!) { create_comment(input: $v) { ok } }",
        {"post": str(theirs[0].pk), "author_name": "a", "body": "b"},
        "change Post",
    ),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_the_owner_check_refuses_a_row_of_another_owner(graphql, owner, stranger, name):
    with override_settings(GRAPHQL_AUTO_MODELS=_readable_settings()):
        mine, theirs = _posts(owner, 3), _posts(stranger, 1)
        before = _snapshot()
        document, variables, naming = REFUSALS[name](mine, theirs)
        result = graphql(document, {"v": variables})
        assert result.codes == ["FORBIDDEN"], result.body
        assert naming in result.errors[0]["message"]
        assert _snapshot() == before


@override_settings(GRAPHQL_AUTO_MODELS=OWNED)
def test_rows_of_another_owner_do_not_exist_for_the_caller(graphql, owner, stranger):
    mine, theirs = _posts(owner, 2), _posts(stranger, 1)
    before = _snapshot()
    items = [{"id": str(c.pk), "body": "x"} for c in _comments([*mine, *theirs])]
    result = graphql(
        "mutation($v: [BulkUpdateCommentInput!]!) { bulk_update_comment(inputs: $v) "
        "{ ok field_errors { field code } } }",
        {"v": items},
    )
    payload = result.ok()["bulk_update_comment"]
    assert payload == {"ok": False, "field_errors": [{"field": "2.id", "code": "invalid"}]}
    assert _snapshot() == before


@override_settings(GRAPHQL_AUTO_MODELS=OWNED)
@pytest.mark.parametrize("operation", ["update", "delete"])
def test_a_single_write_loads_the_owner_path_with_its_row(graphql, owner, operation):
    """The row of `update_comment` / `delete_comment` is read with its post and the post's
    author in one statement; the owner walk read them one by one, a statement per hop."""
    (post,) = _posts(owner, 1)
    (comment,) = _comments([post])
    arguments = f'id: "{comment.pk}"' + (', input: {body: "x"}' if operation == "update" else "")
    with CaptureQueriesContext(connection) as captured:
        result = graphql(f"mutation {{ {operation}_comment({arguments}) {{ ok }} }}")
    assert result.ok() == {f"{operation}_comment": {"ok": True}}
    stored = Comment.objects.filter(pk=comment.pk).values_list("body", flat=True)
    assert list(stored) == (["x"] if operation == "update" else [])
    assert not [q["sql"] for q in captured.captured_queries if ONE_BY_ID.search(q["sql"])]
