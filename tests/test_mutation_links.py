"""Linking and unlinking rows in writes: who is asked, which links a `set` replaces, odd ids.

- A many-to-many `set` (`tags: [...]`) asks the object check of every row it links and every
  row it unlinks, on the single and on the bulk path alike.
- It replaces only the links to rows the caller can see: a link to a row hidden from them (a
  row rule, or a row they may neither read nor change) stays, as `remove_tags` answers that
  such a row does not exist.
- Clearing or repointing a foreign key asks nothing of the row it pointed to (as Django's
  admin): the key is a column of the row written, which is checked itself.
- Ids beyond 64 bits are unknown ids (`invalid`), and an id given twice in `delete_<children>`
  deletes the row once; an empty string is not a valid id, in bulk writes too.
- A required many-to-many (no `blank=True`) needs a row on create, and `tags: []` may not empty
  it on update, as in a ModelForm.

Every test reads the database afterwards: a refusal writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
import rules
from blog.models import Comment, Post

from tests import factories
from tests.authz import P, assert_forbidden, mutate, settings_with, user
from tests.test_object_permissions import BACKENDS, MODELS, _id
from tests.test_object_permissions import as_alice as as_alice  # the fixture
from tests.test_object_permissions import world as world  # the fixture

pytestmark = pytest.mark.django_db

PAYLOAD = "ok errors field_errors { field messages code }"
HUGE = str(2**70)  # fits no database integer; SQLite cannot even bind it


def tag_names(post: Post) -> list[str]:
    return sorted(Post.objects.get(pk=post.pk).tags.values_list("name", flat=True))


# --- The object check on every row a `set` unlinks (bulk as single) ----------------------------


@pytest.mark.parametrize("tags", [["public"], []], ids=["replaced", "emptied"])
def test_bulk_set_asks_the_object_check_of_each_unlinked_row(graphql, as_alice, tags):
    """alice may change the public tag, not the private one on her post: `tags` without it
    would unlink it, which changes it as much as linking (`update_post` refuses the same:
    tests/test_object_permissions.py)."""
    w = as_alice
    item = {"id": _id(w["a1"]), "title": "A1 v2", "tags": [_id(w[name]) for name in tags]}
    result = mutate(graphql, "bulk_update_post", inputs=[item])
    assert_forbidden(result, naming=f"You may not change Tag {w['private'].pk}.")
    assert tag_names(w["a1"]) == ["private-notes"]
    assert Post.objects.get(pk=w["a1"].pk).title == "A1"


def test_bulk_set_refused_for_one_item_writes_no_item(graphql, as_alice):
    w = as_alice
    w["a2"].tags.set([w["public"]])
    items = [{"id": _id(w["a2"]), "title": "A2 v2", "tags": []}, {"id": _id(w["a1"]), "tags": []}]
    result = mutate(graphql, "bulk_update_post", inputs=items)
    assert_forbidden(result, naming=f"change Tag {w['private'].pk}")
    assert (tag_names(w["a1"]), tag_names(w["a2"])) == (["private-notes"], ["public-news"])
    assert Post.objects.get(pk=w["a2"].pk).title == "A2"
    # Without the private tag's post, the batch unlinks what alice may change.
    result = mutate(graphql, "bulk_update_post", inputs=items[:1])
    assert result.ok()["bulk_update_post"] == {"ok": True, "errors": []}
    assert (tag_names(w["a1"]), tag_names(w["a2"])) == (["private-notes"], [])
    assert Post.objects.get(pk=w["a2"].pk).title == "A2 v2"


# --- A `set` replaces the links the caller can see -------------------------------------------


def hide_internal_tags():
    return settings_with(POLICY="tests.policies.HideInternalTags")


@pytest.fixture
def hidden_link():
    """A post linked to a tag the caller sees and one a row rule hides from them."""
    public, internal = factories.tag(name="public"), factories.tag(name="internal-audit")
    return factories.post(tags=[public, internal]), public, internal


def test_set_keeps_links_to_rows_hidden_by_a_row_rule(graphql, hidden_link):
    post, _, _ = hidden_link
    other = factories.tag(name="other")
    with hide_internal_tags():
        result = mutate(graphql, "update_post", id=_id(post), input={"tags": [_id(other)]})
        assert result.ok()["update_post"]["ok"] is True
        shown = graphql(f'{{ post(id: "{post.pk}") {{ tags {{ name }} }} }}').ok()["post"]
        assert shown == {"tags": [{"name": "other"}]}
        assert tag_names(post) == ["internal-audit", "other"]
        result = mutate(graphql, "update_post", id=_id(post), input={"tags": []})
        assert result.ok()["update_post"]["ok"] is True
    assert tag_names(post) == ["internal-audit"]


def test_bulk_set_keeps_links_to_rows_hidden_by_a_row_rule(graphql, hidden_link):
    post, public, _ = hidden_link
    plain = factories.post(tags=[public])
    items = [{"id": _id(post), "tags": [_id(public)]}, {"id": _id(plain), "tags": []}]
    with hide_internal_tags():
        result = mutate(graphql, "bulk_update_post", inputs=items)
        assert result.ok()["bulk_update_post"]["ok"] is True
        assert (tag_names(post), tag_names(plain)) == (["internal-audit", "public"], [])
        result = mutate(graphql, "bulk_update_post", inputs=[{"id": _id(post), "tags": []}])
        assert result.ok()["bulk_update_post"]["ok"] is True
    assert tag_names(post) == ["internal-audit"]


def test_hidden_rows_cannot_be_named_in_set_add_or_remove(graphql, hidden_link):
    """The other side of the rule: naming the hidden row anywhere answers "no such row", and
    `set` agrees with `remove_tags` about which links exist (the hidden one is kept)."""
    post, public, internal = hidden_link
    with hide_internal_tags():
        for key in ("tags", "add_tags", "remove_tags"):
            result = mutate(
                graphql, "update_post", PAYLOAD, id=_id(post), input={key: [_id(internal)]}
            )
            assert result.ok()["update_post"]["field_errors"] == [
                {"field": key, "messages": [f"No Tag with id {internal.pk}."], "code": "invalid"}
            ]
        assert tag_names(post) == ["internal-audit", "public"]
        result = mutate(graphql, "update_post", id=_id(post), input={"remove_tags": [_id(public)]})
        assert result.ok()["update_post"]["ok"] is True
        assert tag_names(post) == ["internal-audit"]
        result = mutate(graphql, "update_post", id=_id(post), input={"tags": []})
        assert result.ok()["update_post"]["ok"] is True
    assert tag_names(post) == ["internal-audit"]


@pytest.mark.parametrize("field", ["update_post", "bulk_update_post"])
def test_set_keeps_links_to_rows_the_caller_may_neither_read_nor_change(graphql, client, field):
    """Without `view` on Tag, a tag alice may not change does not exist for her (it is
    concealed, as elsewhere): emptying the set keeps it instead of a FORBIDDEN naming it."""
    alice = user("alice", "blog.view_post", "blog.view_author")
    post = factories.post(
        author=factories.author(user=alice),
        tags=[factories.tag(name="public-news"), factories.tag(name="private-notes")],
    )
    client.force_login(alice)
    with BACKENDS, settings_with(models=MODELS):
        if field == "update_post":
            result = mutate(graphql, field, id=_id(post), input={"tags": []})
        else:
            result = mutate(graphql, field, inputs=[{"id": _id(post), "tags": []}])
    assert result.ok()[field]["ok"] is True
    assert "private-notes" not in str(result.body)
    assert tag_names(post) == ["private-notes"]


# --- A foreign key: the row it pointed to is not asked ------------------------------------------


@rules.predicate
def is_public_category(user, category):
    return category is not None and category.slug.startswith("public")


rules.set_perm("blog.change_category", is_public_category)


def test_clearing_or_repointing_a_foreign_key_does_not_ask_the_old_row(graphql, client):
    """Like Django's admin: moving her post out of a category she may not change needs the
    right to change the post (checked as found and as saved) and, for the new category, the
    right to link it; the old category is not asked. Linking the locked one is refused."""
    alice = user("alice", "blog.view_post", "blog.view_author", "blog.view_category")
    locked = factories.category(slug="private-board")
    public = factories.category(slug="public-news")
    post = factories.post(author=factories.author(user=alice), category=locked)
    models = {**MODELS, "blog.Category": {"PERMISSION_CLASSES": [P + "DjangoObjectPermissions"]}}
    client.force_login(alice)
    with BACKENDS, settings_with(models=models):
        result = mutate(graphql, "update_post", id=_id(post), input={"category": None})
        assert result.ok()["update_post"] == {"ok": True, "errors": []}
        assert Post.objects.get(pk=post.pk).category_id is None
        Post.objects.filter(pk=post.pk).update(category=locked)
        result = mutate(graphql, "update_post", id=_id(post), input={"category": _id(public)})
        assert result.ok()["update_post"] == {"ok": True, "errors": []}
        assert Post.objects.get(pk=post.pk).category_id == public.pk
        result = mutate(graphql, "update_post", id=_id(post), input={"category": _id(locked)})
        assert_forbidden(result, naming=f"You may not change Category {locked.pk}.")
    assert Post.objects.get(pk=post.pk).category_id == public.pk


# --- Ids beyond 64 bits are unknown ids ---------------------------------------------------------


def blog_rows() -> tuple[list, list, list]:
    """Posts, comments and tag links, to prove a refused write wrote nothing."""
    return (
        list(Post.objects.order_by("pk").values_list("pk", "title", "category_id")),
        list(Comment.objects.order_by("pk").values_list("pk", "body", "post_id")),
        sorted(Post.tags.through.objects.values_list("post_id", "tag_id")),
    )


def update(data: dict[str, Any]):
    return lambda post: {"id": _id(post), "input": data}


def bulk_update(item: dict[str, Any]):
    return lambda post: {"inputs": [{"id": _id(post), **item}]}


COMMENT = {"author_name": "a", "body": "b", "post": HUGE}
HUGE_IDS = {
    # case: (mutation, its arguments for the post, the field_errors path, the type named)
    "connect": ("create_comment", lambda post: {"input": COMMENT}, "post", "Post"),
    "repoint": ("update_post", update({"category": HUGE}), "category", "Category"),
    "set": ("update_post", update({"tags": [HUGE]}), "tags", "Tag"),
    "add": ("update_post", update({"add_tags": [HUGE]}), "add_tags", "Tag"),
    "remove": ("update_post", update({"remove_tags": [HUGE]}), "remove_tags", "Tag"),
    "delete_children": (
        "update_post",
        update({"delete_comments": [HUGE]}),
        "delete_comments",
        "Comment",
    ),
    "update_children": (
        "update_post",
        update({"update_comments": [{"id": HUGE, "body": "x"}]}),
        "update_comments",
        "Comment",
    ),
    "bulk_connect": ("bulk_create_comment", lambda post: {"inputs": [COMMENT]}, "0.post", "Post"),
    "bulk_id": ("bulk_update_post", lambda post: {"inputs": [{"id": HUGE}]}, "0.id", "Post"),
    "bulk_repoint": ("bulk_update_post", bulk_update({"category": HUGE}), "0.category", "Category"),
    "bulk_set": ("bulk_update_post", bulk_update({"tags": [HUGE]}), "0.tags", "Tag"),
    "bulk_delete": ("bulk_delete_post", lambda post: {"ids": [_id(post), HUGE]}, "ids", "Post"),
}


@pytest.mark.parametrize("case", HUGE_IDS)
def test_ids_beyond_64_bits_are_unknown_ids(graphql, case):
    field, arguments, where, type_name = HUGE_IDS[case]
    post = factories.post(tags=[factories.tag()])
    factories.comment(post=post)
    before = blog_rows()
    result = mutate(graphql, field, "ok field_errors { field messages code }", **arguments(post))
    message = f"No {type_name} with id {HUGE}."
    assert result.ok()[field] == {
        "ok": False,
        "field_errors": [{"field": where, "messages": [message], "code": "invalid"}],
    }
    assert blog_rows() == before


# --- The same child twice in delete_<children> ---------------------------------------------------


def test_delete_children_deletes_a_repeated_id_once(graphql):
    post = factories.post()
    gone, kept = factories.comment(post=post), factories.comment(post=post)
    result = mutate(
        graphql,
        "update_post",
        "ok errors object { comments { id } }",
        id=_id(post),
        input={"delete_comments": [_id(gone), _id(gone)]},
    )
    assert result.ok()["update_post"] == {
        "ok": True,
        "errors": [],
        "object": {"comments": [{"id": _id(kept)}]},
    }
    assert list(Comment.objects.values_list("pk", flat=True)) == [kept.pk]


# --- `tags: null` changes nothing (docs/mutations.md, "Update: absent, null and empty") -------


@pytest.mark.parametrize("bulk", [False, True], ids=["update", "bulk update"])
def test_a_null_set_leaves_the_links_alone(graphql, bulk):
    post = factories.post(tags=[factories.tag(name="kept")])
    if bulk:
        result = mutate(
            graphql, "bulk_update_post", PAYLOAD, inputs=[{"id": _id(post), "tags": None}]
        )
        assert result.ok()["bulk_update_post"]["ok"] is True
    else:
        result = mutate(graphql, "update_post", PAYLOAD, **update({"tags": None})(post))
        assert result.ok()["update_post"]["ok"] is True
    assert tag_names(post) == ["kept"]


# --- Odd relation values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mutation, key", [("create", "author"), ("create", "category"), ("update", "category")]
)
def test_an_empty_string_id_in_every_bulk_item_is_an_invalid_id(graphql, mutation, key):
    """Once answered with a 500: no item gave the relation a truthy value, so its rows were
    never looked up."""
    post = factories.post()
    if mutation == "create":
        item = {"title": "T", "slug": "t", "body": "B", "author": str(post.author_id), key: ""}
        signature = "[CreatePostInput!]!"
    else:
        item = {"id": str(post.pk), key: ""}
        signature = "[BulkUpdatePostInput!]!"
    field = f"bulk_{mutation}_post"
    result = graphql(
        f"mutation($i: {signature}) {{ {field}(inputs: $i) {{ {PAYLOAD} }} }}", {"i": [item]}
    ).ok()[field]
    assert result["ok"] is False
    assert result["field_errors"] == [
        {"field": f"0.{key}", "messages": ["'' is not a valid id."], "code": "invalid"}
    ]
    assert Post.objects.count() == 1
    post.refresh_from_db()
    assert post.category_id is None


@pytest.fixture
def tags_required(monkeypatch):
    from django_graphql_auto.introspection import inspect_model

    monkeypatch.setattr(Post._meta.get_field("tags"), "blank", False)
    inspect_model.cache_clear()
    yield
    monkeypatch.undo()
    inspect_model.cache_clear()


def test_an_update_may_not_empty_a_required_many_to_many(graphql, tags_required):
    post = factories.post()
    kept = factories.tag(name="kept")
    post.tags.add(kept)
    single = graphql(
        f'mutation {{ update_post(id: {post.pk}, input: {{tags: [], title: "New"}}) '
        f"{{ {PAYLOAD} }} }}"
    ).ok()["update_post"]
    bulk = graphql(
        f'mutation {{ bulk_update_post(inputs: [{{id: "{post.pk}", tags: []}}]) {{ {PAYLOAD} }} }}'
    ).ok()["bulk_update_post"]
    message = ["Give tags or nested_tags (at least one)."]
    assert single["field_errors"] == [{"field": "tags", "messages": message, "code": "required"}]
    assert bulk["field_errors"] == [{"field": "0.tags", "messages": message, "code": "required"}]
    assert tag_names(post) == ["kept"]
    assert Post.objects.get(pk=post.pk).title == post.title
    # Replacing the rows, or leaving the set alone, is still fine.
    other = factories.tag(name="other")
    replaced = graphql(
        f'mutation {{ update_post(id: {post.pk}, input: {{tags: ["{other.pk}"]}}) {{ ok }} }}'
    ).ok()["update_post"]
    untouched = graphql(
        f'mutation {{ update_post(id: {post.pk}, input: {{title: "Renamed"}}) {{ ok }} }}'
    ).ok()["update_post"]
    assert replaced == untouched == {"ok": True}
    assert tag_names(post) == ["other"]
