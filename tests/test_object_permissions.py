"""Object-level permissions on writes, with django-rules as the per-object backend (issue 5
point 2: "django-guardian and django-rules work unchanged").

The predicates below are plain django-rules permissions; the API asks
`user.has_perm("blog.change_post", post)` for every row a write touches: the row updated or
deleted, children updated or deleted through their parent, rows connected, added or removed
through a relation, every row of a bulk operation, and the row of a method mutation. A refusal
is FORBIDDEN and nothing is written. Holders of the model permission (Django's model backend)
pass for every row; superusers too.
"""

from __future__ import annotations

import pytest
import rules
from blog.models import Author, Comment, Post, Tag
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from tests import factories
from tests.authz import P, assert_forbidden, mutate, settings_with, user

pytestmark = pytest.mark.django_db


# --- The rules (registered once; active only where the backend is configured) ---------------


@rules.predicate
def is_post_author(user, post):
    """The post belongs to the user's author profile; reads only loaded columns."""
    if post is None:
        return False
    profile = getattr(user, "author_profile", None)
    return profile is not None and post.author_id == profile.pk


@rules.predicate
def is_own_author(user, author):
    return author is not None and author.user_id == user.pk


@rules.predicate
def is_public_tag(user, tag):
    return tag is not None and tag.name.startswith("public")


rules.set_perm("blog.change_post", is_post_author)
rules.set_perm("blog.delete_post", is_post_author)
rules.set_perm("blog.change_author", is_own_author)
rules.set_perm("blog.change_tag", is_public_tag)

BACKENDS = override_settings(
    AUTHENTICATION_BACKENDS=[
        "rules.permissions.ObjectPermissionBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
)
OBJECT = [P + "DjangoObjectPermissions"]
MODELS = {
    "blog.Post": {"PERMISSION_CLASSES": OBJECT},
    "blog.Author": {"PERMISSION_CLASSES": OBJECT},
    "blog.Tag": {"PERMISSION_CLASSES": OBJECT},
}


def _id(row) -> str:
    return str(row.pk)


@pytest.fixture
def world(db):
    """alice writes her posts (a1, a2), bob his (b1); a public and a private tag."""
    alice = user("alice", "blog.view_post", "blog.view_author", "blog.view_tag", "blog.add_post")
    bob = user("bob", "blog.view_post", "blog.view_author", "blog.view_tag")
    alice_author = factories.author(name="Alice", user=alice)
    bob_author = factories.author(name="Bob", user=bob)
    public, private = factories.tag(name="public-news"), factories.tag(name="private-notes")
    a1 = factories.post(title="A1", author=alice_author, tags=[private])
    a2 = factories.post(title="A2", author=alice_author)
    b1 = factories.post(title="B1", author=bob_author)
    factories.comment(post=a1, body="c-a1")
    return dict(
        alice=alice,
        bob=bob,
        alice_author=alice_author,
        bob_author=bob_author,
        public=public,
        private=private,
        a1=a1,
        a2=a2,
        b1=b1,
    )


@pytest.fixture
def as_alice(world, client):
    client.force_login(world["alice"])
    with BACKENDS, settings_with(models=MODELS):
        yield world


def post_titles() -> dict[int, str]:
    return dict(Post.objects.values_list("pk", "title"))


# --- Single writes --------------------------------------------------------------------------


def test_update_and_delete_follow_the_rule(graphql, as_alice):
    w = as_alice
    result = mutate(graphql, "update_post", id=_id(w["a1"]), input={"title": "A1 v2"})
    assert result.ok()["update_post"] == {"ok": True, "errors": []}
    before = post_titles()
    result = mutate(graphql, "update_post", id=_id(w["b1"]), input={"title": "stolen"})
    assert_forbidden(result, naming=f"You may not change Post {w['b1'].pk}")
    assert_forbidden(mutate(graphql, "delete_post", id=_id(w["b1"])), naming="delete Post")
    assert post_titles() == before
    assert mutate(graphql, "delete_post", id=_id(w["a2"])).ok()["delete_post"]["ok"] is True
    assert sorted(post_titles().values()) == ["A1 v2", "B1"]


def test_model_permission_holders_and_superusers_pass_for_every_row(graphql, client, world):
    with BACKENDS, settings_with(models=MODELS):
        client.force_login(user("editor", "blog.change_post"))
        result = mutate(graphql, "update_post", id=_id(world["b1"]), input={"title": "by editor"})
        assert result.ok()["update_post"]["ok"] is True
        client.force_login(user("root", is_superuser=True))
        result = mutate(graphql, "update_post", id=_id(world["a1"]), input={"title": "by root"})
        assert result.ok()["update_post"]["ok"] is True
    assert sorted(post_titles().values()) == ["A2", "by editor", "by root"]


def test_anonymous_callers_are_refused_before_any_row(graphql, world):
    with BACKENDS, settings_with(models=MODELS):
        result = mutate(graphql, "update_post", id=_id(world["a1"]), input={"title": "x"})
        assert_forbidden(result, naming="change Post objects")
    assert world["a1"].title == Post.objects.get(pk=world["a1"].pk).title


# --- Connecting, adding and removing related rows --------------------------------------------


def test_connecting_another_users_row_in_a_nested_write_is_refused(graphql, as_alice):
    """A seed hole: creating a post "by" bob's author profile."""
    w = as_alice
    new = {"title": "Forged", "slug": "forged", "body": "b"}
    result = mutate(graphql, "create_post", input={**new, "author": _id(w["bob_author"])})
    assert_forbidden(result, naming=f"You may not change Author {w['bob_author'].pk}")
    assert not Post.objects.filter(title="Forged").exists()
    # Moving her own post under bob's profile: the same check on the connected row.
    result = mutate(graphql, "update_post", id=_id(w["a1"]), input={"author": _id(w["bob_author"])})
    assert_forbidden(result, naming="change Author")
    assert Post.objects.get(pk=w["a1"].pk).author_id == w["alice_author"].pk
    # Her own profile is fine.
    result = mutate(graphql, "create_post", input={**new, "author": _id(w["alice_author"])})
    assert result.ok()["create_post"]["ok"] is True


def test_adding_setting_and_removing_tags_needs_change_on_each_tag(graphql, as_alice):
    w = as_alice
    a1, public, private = w["a1"], w["public"], w["private"]
    for input_value in (
        {"add_tags": [_id(public), _id(private)]},
        {"tags": [_id(private)]},
        {"remove_tags": [_id(private)]},
    ):
        result = mutate(graphql, "update_post", id=_id(a1), input=input_value)
        assert_forbidden(result, naming=f"change Tag {private.pk}")
        assert list(a1.tags.values_list("name", flat=True)) == ["private-notes"], input_value
    result = mutate(graphql, "update_post", id=_id(a1), input={"add_tags": [_id(public)]})
    assert result.ok()["update_post"]["ok"] is True
    assert sorted(a1.tags.values_list("name", flat=True)) == ["private-notes", "public-news"]


def test_nested_children_updates_and_deletes_are_checked_per_child(graphql, as_alice):
    w = as_alice
    # Bob's post is not a child of alice's author row anyway; through his own author row,
    # alice may not touch his children.
    result = mutate(
        graphql,
        "update_author",
        id=_id(w["bob_author"]),
        input={"update_posts": [{"id": _id(w["b1"]), "title": "x"}]},
    )
    assert_forbidden(result)
    # Through her own author row, her own children: allowed.
    result = mutate(
        graphql,
        "update_author",
        id=_id(w["alice_author"]),
        input={"update_posts": [{"id": _id(w["a1"]), "title": "A1 nested"}]},
    )
    assert result.ok()["update_author"]["ok"] is True
    result = mutate(
        graphql,
        "update_author",
        id=_id(w["alice_author"]),
        input={"delete_posts": [_id(w["a2"])]},
    )
    assert result.ok()["update_author"]["ok"] is True
    assert sorted(post_titles().values()) == ["A1 nested", "B1"]


@pytest.mark.parametrize("can_read_posts", [True, False])
def test_nested_child_rows_refused_by_the_rule(graphql, client, world, can_read_posts):
    """Bob's profile may be changed by an editor of authors, yet his posts stay his: the
    children are checked one by one with their own permission. An editor who may read posts
    is told FORBIDDEN; one who may not is told the post does not exist."""
    perms = ("blog.change_author", "blog.view_post") if can_read_posts else ("blog.change_author",)
    b1 = _id(world["b1"])
    with BACKENDS, settings_with(models=MODELS):
        client.force_login(user("author-editor", *perms))
        update = {"name": "Robert", "update_posts": [{"id": b1, "title": "x"}]}
        delete = {"delete_posts": [b1]}
        for operation, data in (("change", update), ("delete", delete)):
            result = mutate(
                graphql,
                "update_author",
                "ok field_errors { field messages }",
                id=_id(world["bob_author"]),
                input=data,
            )
            if can_read_posts:
                assert_forbidden(result, naming=f"{operation} Post {b1}")
            else:
                payload = result.ok()["update_author"]
                assert payload["ok"] is False
                assert [
                    f"No Post with id {b1}." in m
                    for e in payload["field_errors"]
                    for m in e["messages"]
                ] == [True]
    assert Author.objects.get(pk=world["bob_author"].pk).name == "Bob"
    assert Post.objects.get(pk=world["b1"].pk).title == "B1"


# --- Bulk operations -------------------------------------------------------------------------


def test_bulk_update_and_delete_refuse_the_whole_batch(graphql, as_alice):
    w = as_alice
    before = post_titles()
    items = [{"id": _id(w["a1"]), "title": "bulk a1"}, {"id": _id(w["b1"]), "title": "bulk b1"}]
    assert_forbidden(mutate(graphql, "bulk_update_post", inputs=items), naming="change Post")
    assert_forbidden(
        mutate(graphql, "bulk_delete_post", ids=[_id(w["a1"]), _id(w["b1"])]),
        naming="delete Post",
    )
    assert post_titles() == before
    mine = [{"id": _id(w["a1"]), "title": "bulk a1"}, {"id": _id(w["a2"]), "title": "bulk a2"}]
    result = mutate(graphql, "bulk_update_post", inputs=mine)
    assert result.ok()["bulk_update_post"]["ok"] is True
    result = mutate(graphql, "bulk_delete_post", ids=[_id(w["a1"]), _id(w["a2"])])
    assert result.ok()["bulk_delete_post"]["ok"] is True
    assert list(post_titles().values()) == ["B1"]


def test_bulk_connect_is_checked_on_each_connected_row(graphql, as_alice):
    w = as_alice
    items = [
        {"title": "n1", "slug": "n1", "body": "b", "author": _id(w["alice_author"])},
        {"title": "n2", "slug": "n2", "body": "b", "author": _id(w["bob_author"])},
    ]
    assert_forbidden(mutate(graphql, "bulk_create_post", inputs=items), naming="change Author")
    assert not Post.objects.filter(title__in=["n1", "n2"]).exists()


def test_bulk_object_checks_cost_no_query_per_row(graphql, as_alice):
    """The rows are loaded once; each object check reads them (and the rule reads columns)."""
    w = as_alice
    author = w["alice_author"]

    def statements(count: int) -> int:
        posts = [factories.post(author=author) for _ in range(count)]
        items = [{"id": _id(p), "title": f"t{p.pk}"} for p in posts]
        with CaptureQueriesContext(connection) as captured:
            result = mutate(graphql, "bulk_update_post", inputs=items)
        assert result.ok()["bulk_update_post"]["ok"] is True
        return len(captured)

    assert statements(2) == statements(8)


# --- Method mutations --------------------------------------------------------------------------


def test_method_mutation_checks_the_row(graphql, as_alice):
    w = as_alice
    result = mutate(graphql, "post_publish", "ok", id=_id(w["b1"]))
    assert_forbidden(result, naming=f"change Post {w['b1'].pk}")
    assert Post.objects.get(pk=w["b1"].pk).status == Post.Status.DRAFT
    assert mutate(graphql, "post_publish", "ok", id=_id(w["a1"])).ok() == {
        "post_publish": {"ok": True}
    }
    assert Post.objects.get(pk=w["a1"].pk).status == Post.Status.PUBLISHED


# --- Reads stay a queryset question ---------------------------------------------------------


def test_reads_need_the_model_view_permission(graphql, client, world):
    with BACKENDS, settings_with(models=MODELS):
        client.force_login(user("nobody"))
        assert_forbidden(graphql("{ posts { title } }"), leaked=("A1",))
        client.force_login(world["bob"])
        # Reading is not narrowed per row by DjangoObjectPermissions (rows are a filter).
        titles = [p["title"] for p in graphql("{ posts { title } }").ok()["posts"]]
        assert titles == ["A1", "A2", "B1"]
    assert Comment.objects.count() == 1 and Tag.objects.count() == 2


# --- A refusal does not reveal that an id exists ---------------------------------------------


def test_writers_without_view_cannot_tell_a_refused_id_from_a_missing_one(graphql, client, world):
    """carol may change her own posts (a per-object rule) but may not read posts at all: a post
    she may not change must look exactly like an id that does not exist, on every write path."""
    carol = user("carol", "blog.view_tag")
    carol_author = factories.author(name="Carol", user=carol)
    mine = factories.post(title="C1", author=carol_author)
    theirs, missing = world["b1"], max(Post.objects.values_list("pk", flat=True)) + 100
    with BACKENDS, settings_with(models=MODELS):
        client.force_login(carol)
        for pk in (theirs.pk, missing):
            result = mutate(graphql, "update_post", id=str(pk), input={"title": "x"}).ok()
            assert result["update_post"] == {"ok": False, "errors": [f"No Post with id {pk}."]}
            result = mutate(graphql, "delete_post", id=str(pk)).ok()
            assert result["delete_post"] == {"ok": False, "errors": [f"No Post with id {pk}."]}
            document = (
                "mutation($inputs: [BulkUpdatePostInput!]!) { bulk_update_post(inputs: $inputs)"
                " { ok field_errors { field messages } } }"
            )
            payload = graphql(document, {"inputs": [{"id": str(pk), "title": "x"}]}).ok()
            assert payload["bulk_update_post"] == {
                "ok": False,
                "field_errors": [{"field": "0.id", "messages": [f"No Post with id {pk}."]}],
            }
        # Her own row: the rule allows it, although she cannot read it back.
        result = mutate(graphql, "update_post", id=str(mine.pk), input={"title": "C1 v2"}).ok()
        assert result["update_post"]["ok"] is True
    assert Post.objects.get(pk=theirs.pk).title == "B1"
    assert Post.objects.get(pk=mine.pk).title == "C1 v2"
