"""The seed's known holes (issue 5, acceptance), each closed and proven by one test.

The seed's own implementation let these through: reading `password` of users; an anonymous
`update_user` setting `is_superuser`; filtering `secret__startswith` on a hidden field, also
through a relation; ordering on a hidden field; connecting another user's row in a nested write.

Each test quotes its hole and probes it the way an attacker would, against the example project's
settings (the `admin` schema at /admin-graphql/ publishes `auth`; `Author.api_token` is a secret
hidden by the sensitive-field default) plus, where a hole needs one, a field rule or an owner
rule. Besides the refusal itself, each test shows that the answer carries no stored value, that
a probe cannot tell a right guess from a wrong one, and that a refused write wrote nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from blog.models import Author, Comment, Post
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from django_graphql_auto.permissions import IsOwnerOrAdmin, ReadOnly
from django_graphql_auto.schema.registry import get_schema
from tests import factories
from tests.authz import FORBIDDEN, mutate, perm, settings_with, user

pytestmark = pytest.mark.django_db

ADMIN = "/admin-graphql/"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def text(result) -> str:
    return json.dumps(result.body)


def refused_as(result, code: str) -> None:
    """Refused with `code` only, and no data for the refused field."""
    assert result.errors, result.body
    assert set(result.codes) == {code}, result.errors
    assert all(value is None for value in (result.data or {}).values()), result.body


def admin_mutate(graphql, field: str, **arguments: Any):
    """`mutation { field(...) { ok errors } }` on the admin schema, arguments as variables."""
    args = get_schema("admin").schema.mutation_type.fields[field].args
    signature = ", ".join(f"${name}: {args[name].type}" for name in arguments)
    passed = ", ".join(f"{name}: ${name}" for name in arguments)
    query = f"mutation({signature}) {{ {field}({passed}) {{ ok errors }} }}"
    return graphql(query, arguments, path=ADMIN)


def outcome(result) -> tuple[Any, list[str]]:
    """What a prober learns from an answer: its data and its error codes (messages may echo
    the probe's own literal)."""
    return result.data, result.codes


# --- reading `password` of users ----------------------------------------------------------------


PASSWORD_READS = {
    "list": "{ users { username password } }",
    "alias": "{ users { username pw: password } }",
    "fragment": "{ users { ...F } } fragment F on User { password }",
    "single": "query($id: ID!) { user(id: $id) { password } }",
    "pages": "{ user_pages { items { password } } }",
    "filter": '{ users(filters: {password: {startswith: "pbkdf2_"}}) { id } }',
    "flat lookup": '{ users(filters: {password__startswith: "pbkdf2_"}) { id } }',
    "filter inside or": '{ users(filters: {or: [{password: {contains: "$"}}]}) { id } }',
    "order": "{ users(order_by: [{password: ASC}]) { id } }",
    "through a relation": "{ authors { name user { password } } }",
    "filter through a relation": (
        '{ authors(filters: {user: {password: {startswith: "pbkdf2_"}}}) { id } }'
    ),
    "order through a relation": "{ authors(order_by: [{user: {password: ASC}}]) { id } }",
    "me": "{ me { username password } }",
}


def test_hole_reading_password_of_users(graphql, client):
    """Seed hole: "reading `password` of users".

    No caller, not even a superuser on the admin schema, can select a user's password, filter or
    order by it (also through `Author.user`), or read it through `me`: the field does not exist,
    so every such document fails validation and the hash appears nowhere in any answer."""
    victim = user("victim", password="correct horse battery staple")
    factories.author(name="Victim's profile", user=victim)
    root = get_user_model().objects.create_superuser("root", "root@example.com", "root-secret")
    hashes = [victim.password, root.password]
    salts = [h.split("$")[2] for h in hashes]  # pbkdf2_sha256$<iterations>$<salt>$<hash>
    assert all(h.startswith("pbkdf2_") for h in hashes)

    # The superuser may read users: everything but the password is there.
    client.force_login(root)
    rows = graphql("{ users { username is_superuser } }", path=ADMIN).ok()["users"]
    assert {r["username"] for r in rows} == {"victim", "root"}

    for caller in ("superuser", "anonymous"):
        if caller == "anonymous":
            client.logout()
        for name, query in PASSWORD_READS.items():
            result = graphql(query, {"id": str(victim.pk)} if "$id" in query else None, path=ADMIN)
            assert result.codes == [VALIDATION_FAILED] * len(result.errors), (caller, name)
            assert result.errors and result.data is None, (caller, name, result.body)
            assert any("password" in e["message"] for e in result.errors), (caller, name)
            for secret in (*hashes, *salts):
                assert secret not in text(result), (caller, name)
    # The default schema has no User type at all, and Author's own hash column is not exposed.
    result = graphql("{ authors { password_hash } }")
    assert result.codes == [VALIDATION_FAILED]


# --- an anonymous `update_user` setting `is_superuser` ------------------------------------------


def _account(username: str) -> dict[str, Any]:
    row = get_user_model().objects.get(username=username)
    return {
        "is_superuser": row.is_superuser,
        "is_staff": row.is_staff,
        "groups": sorted(row.groups.values_list("name", flat=True)),
        "permissions": sorted(row.user_permissions.values_list("codename", flat=True)),
    }


def test_hole_anonymous_update_user_setting_is_superuser(graphql, client):
    """Seed hole: "an anonymous `update_user` setting `is_superuser`".

    `auth.User` keeps the default `DjangoModelPermissions` in the admin schema: an anonymous
    caller, the user themself and a user who may only view users are all refused (FORBIDDEN) on
    every way of writing the flag (single, bulk, alongside other fields), and the account is
    unchanged. A superuser can make the change, so the refusal is the policy, not a missing
    field."""
    mallory = user("mallory")
    admins = _group("admins", "auth.change_user", "auth.delete_user")
    before = _account("mallory")
    promote = {"is_superuser": True}
    attempts = {
        "update_user": lambda: admin_mutate(
            graphql, "update_user", id=str(mallory.pk), input=promote
        ),
        "update_user with is_staff and a group": lambda: admin_mutate(
            graphql,
            "update_user",
            id=str(mallory.pk),
            input={**promote, "is_staff": True, "add_groups": [str(admins.pk)]},
        ),
        "bulk_update_user": lambda: admin_mutate(
            graphql, "bulk_update_user", inputs=[{"id": str(mallory.pk), **promote}]
        ),
    }
    callers = {
        "anonymous": None,
        "mallory herself": mallory,
        "a user who may view users": user("viewer", "auth.view_user"),
    }
    for caller, account in callers.items():
        if account is None:
            client.logout()
        else:
            client.force_login(account)
        for name, attempt in attempts.items():
            result = attempt()
            assert result.codes == [FORBIDDEN], (caller, name, result.body)
            assert "change User" in result.errors[0]["message"], (caller, name)
            assert result.data == {name.split(" ")[0]: None}, (caller, name, result.body)
            assert _account("mallory") == before, (caller, name)

    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com"))
    result = admin_mutate(graphql, "update_user", id=str(mallory.pk), input=promote)
    assert result.ok() == {"update_user": {"ok": True, "errors": []}}
    assert _account("mallory")["is_superuser"] is True


def _group(name: str, *perms: str) -> Group:
    group = Group.objects.create(name=name)
    group.permissions.add(*(perm(p) for p in perms))
    return group


# --- filtering `secret__startswith` on a hidden field, also through a relation -----------------

# `Author.email` hidden by a field rule for everybody outside the "hr" group; `api_token` is
# hidden by the sensitive-field default (it is not even in the schema).
HIDDEN_EMAIL = {"blog.Author": {"FIELD_RULES": {"email": {"hidden": True, "unless_role": "hr"}}}}
SECRET = "s3cret-zq-token"
EMAIL = "s3cret-zq@example.com"


@pytest.fixture
def secrets(db):
    author = factories.author(name="Keeper", api_token=SECRET, email=EMAIL)
    post = factories.post(title="Kept", author=author)
    factories.comment(post=post, body="kept comment")
    return author


def _probes(template: str) -> tuple[str, str]:
    """The same document with a right and a wrong guess of the secret's first characters."""
    return template.replace("GUESS", "s3c"), template.replace("GUESS", "zzz")


def _assert_probe_refused(graphql, template: str, code: str, path: str = "/graphql/") -> None:
    right, wrong = (graphql(q, path=path) for q in _probes(template))
    for result in (right, wrong):
        refused_as(result, code)
        for value in (SECRET, EMAIL, "Keeper", "Kept", "kept comment"):
            assert value not in text(result), (template, result.body)
    # Nothing to tell a right guess from a wrong one.
    assert outcome(right) == outcome(wrong), template


SECRET_FILTERS = [
    '{ authors(filters: {api_token: {startswith: "GUESS"}}) { id } }',
    '{ authors(filters: {api_token__startswith: "GUESS"}) { id } }',
    '{ authors(filters: {or: [{name: {exact: "x"}}, {api_token: {startswith: "GUESS"}}]}) { id } }',
    '{ authors(filters: {not: {api_token: {startswith: "GUESS"}}}) { id } }',
    '{ author_pages(filters: {api_token: {startswith: "GUESS"}}) { page_info { total_count } } }',
]
HIDDEN_FILTERS = [
    '{ authors(filters: {email: {startswith: "GUESS"}}) { id } }',
    '{ authors(filters: {and: [{email: {startswith: "GUESS"}}]}) { id } }',
    '{ authors(filters: {not: {email: {startswith: "GUESS"}}}) { id } }',
    '{ author_pages(filters: {email: {startswith: "GUESS"}}) { page_info { total_count } } }',
]


def test_hole_filtering_secret_startswith_on_a_hidden_field(graphql, client, secrets):
    """Seed hole: "filtering `secret__startswith` on a hidden field".

    A secret column (`api_token`, hidden by default) cannot be filtered on in any form (nested
    operator, the seed's flat `api_token__startswith`, inside `or` / `not`, on pages): the field
    does not exist. A column hidden by a field rule (`email`, readable only by the "hr" role) is
    FORBIDDEN for everybody else, anonymous or logged in. A right and a wrong guess get the same
    answer, so the filter cannot be used to read the value character by character; the role
    the rule names may filter (the control)."""
    with settings_with(models=HIDDEN_EMAIL):
        for template in SECRET_FILTERS:
            _assert_probe_refused(graphql, template, VALIDATION_FAILED)
        for account in (None, user("reader")):
            if account is not None:
                client.force_login(account)
            for template in HIDDEN_FILTERS:
                _assert_probe_refused(graphql, template, FORBIDDEN)
        client.force_login(user("hr_member", groups=("hr",)))
        right, wrong = (graphql(q).ok() for q in _probes(HIDDEN_FILTERS[0]))
        assert (right, wrong) == ({"authors": [{"id": str(secrets.pk)}]}, {"authors": []})


SECRET_RELATION_FILTERS = [
    '{ posts(filters: {author: {api_token: {startswith: "GUESS"}}}) { title } }',
    '{ comments(filters: {post: {author: {api_token: {startswith: "GUESS"}}}}) { body } }',
    '{ categories { posts(filters: {author: {api_token: {startswith: "GUESS"}}}) { id } } }',
]
HIDDEN_RELATION_FILTERS = [
    '{ posts(filters: {author: {email: {startswith: "GUESS"}}}) { title } }',
    '{ post_pages(filters: {author: {email: {startswith: "GUESS"}}}) { items { title } } }',
    '{ comments(filters: {post: {author: {email: {startswith: "GUESS"}}}}) { body } }',
    '{ tags(filters: {posts: {author: {email: {startswith: "GUESS"}}}}) { id } }',
    '{ posts { comments(filters: {post: {author: {email: {startswith: "GUESS"}}}}) { id } } }',
    '{ authors { posts_count(filters: {author: {email: {startswith: "GUESS"}}}) } }',
]


def test_hole_filtering_secret_startswith_through_a_relation(graphql, client, secrets):
    """Seed hole: "filtering `secret__startswith` on a hidden field, also through a relation".

    The same probes through one and two relations (`posts -> author`, `comments -> post ->
    author`, a reverse many-to-many), in nested list arguments and in count arguments: refused
    exactly as at the root, with the same answer for a right and a wrong guess."""
    factories.tag(name="kept-tag").posts.add(Post.objects.get())
    with settings_with(models=HIDDEN_EMAIL):
        for template in SECRET_RELATION_FILTERS:
            _assert_probe_refused(graphql, template, VALIDATION_FAILED)
        for account in (None, user("reader")):
            if account is not None:
                client.force_login(account)
            for template in HIDDEN_RELATION_FILTERS:
                _assert_probe_refused(graphql, template, FORBIDDEN)
        client.force_login(user("hr_member", groups=("hr",)))
        right, wrong = (graphql(q).ok() for q in _probes(HIDDEN_RELATION_FILTERS[0]))
        assert (right, wrong) == ({"posts": [{"title": "Kept"}]}, {"posts": []})


# --- ordering on a hidden field ---------------------------------------------------------------


ORDERINGS = {
    VALIDATION_FAILED: [
        "{ authors(order_by: [{api_token: DIRECTION}]) { name } }",
        "{ posts(order_by: [{author: {api_token: DIRECTION}}]) { title } }",
    ],
    FORBIDDEN: [
        "{ authors(order_by: [{email: DIRECTION}]) { name } }",
        "{ author_pages(order_by: [{email: DIRECTION}]) { items { name } } }",
        "{ posts(order_by: [{author: {email: DIRECTION}}]) { title } }",
        "{ comments(order_by: [{post: {author: {email: DIRECTION}}}]) { body } }",
        "{ categories { posts(order_by: [{author: {email: DIRECTION}}]) { title } } }",
        "{ authors(order_by: [{name: ASC}, {email: DIRECTION}]) { name } }",
    ],
}


def test_hole_ordering_on_a_hidden_field(graphql, client):
    """Seed hole: "ordering on a hidden field".

    Sorting by a hidden column reveals how its values compare. Ordering by the secret
    `api_token` (hidden by default) fails validation; ordering by `email` (hidden by a field
    rule) is FORBIDDEN at the root, on pages, through one and two relations, in nested list
    arguments and as a second ordering key; ascending and descending get the same answer. The
    role the rule names may sort (the control: the two directions then differ)."""
    for n, (name, token) in enumerate([("Ann", "b-token"), ("Bob", "a-token")]):
        author = factories.author(name=name, email=f"{'zy'[n]}@example.com", api_token=token)
        post = factories.post(title=f"{name}'s post", author=author, category=factories.category())
        factories.comment(post=post, body=f"{name}'s comment")
    with settings_with(models=HIDDEN_EMAIL):
        for account in (None, user("reader")):
            if account is not None:
                client.force_login(account)
            for code, templates in ORDERINGS.items():
                for template in templates:
                    asc, desc = (graphql(template.replace("DIRECTION", d)) for d in ("ASC", "DESC"))
                    for result in (asc, desc):
                        refused_as(result, code)
                        assert "Ann" not in text(result) and "Bob" not in text(result), template
                    assert outcome(asc) == outcome(desc), template
        client.force_login(user("hr_member", groups=("hr",)))
        query = ORDERINGS[FORBIDDEN][0]
        asc, desc = (graphql(query.replace("DIRECTION", d)).ok() for d in ("ASC", "DESC"))
        assert asc == {"authors": [{"name": "Bob"}, {"name": "Ann"}]}
        assert desc == {"authors": [{"name": "Ann"}, {"name": "Bob"}]}


# --- connecting another user's row in a nested write ----------------------------------------

# Authors: everybody reads them, only their owner writes (connecting one changes it). Posts and
# comments: each user sees and writes only their own.
OWNED = {
    "blog.Author": {"PERMISSION_CLASSES": [IsOwnerOrAdmin | ReadOnly], "OWNER_FIELD": "user"},
    "blog.Post": {"PERMISSION_CLASSES": [IsOwnerOrAdmin.with_field("author__user")]},
    "blog.Comment": {"PERMISSION_CLASSES": [IsOwnerOrAdmin.with_field("post__author__user")]},
}


def _blog_state() -> list[Any]:
    return [
        list(model.objects.order_by("pk").values())
        for model in (Author, Post, Comment, Post.tags.through)
    ]


def test_hole_connecting_another_users_row_in_a_nested_write(graphql, client):
    """Seed hole: "connecting another user's row in a nested write".

    Alice may write her own posts. Every way of attaching Bob's rows to a write of hers is
    refused and writes nothing: Bob's author as the author of a new post (also inside a nested
    `nested_post`, and as one item of a bulk create), handing her post over to him, her new
    comment on his post, and updating or deleting his comment as a child of her post. A row she
    may see but not change (his author) is FORBIDDEN; a row she may not see (his post, his
    comment) does not exist for her. Connecting her own rows works (the control)."""
    alice, bob = user("alice"), user("bob")
    alice_author = factories.author(name="Alice", user=alice)
    bob_author = factories.author(name="Bob", user=bob, bio="bob's private bio")
    alice_post = factories.post(title="Alice's post", author=alice_author)
    bob_post = factories.post(title="Bob's post", author=bob_author, body="bob's body")
    bob_comment = factories.comment(post=bob_post, body="bob's comment")
    new = {"title": "Planted", "slug": "planted", "body": "b"}
    ids = {"alice_author": alice_author, "bob_author": bob_author, "alice_post": alice_post}
    ids = {key: str(row.pk) for key, row in ids.items()}
    bob_ids = {"bob_post": str(bob_post.pk), "bob_comment": str(bob_comment.pk)}

    def write(field: str, **arguments: Any):
        return mutate(graphql, field, "ok errors field_errors { messages }", **arguments)

    attempts = {
        "create a post as Bob's": (
            FORBIDDEN,
            lambda: write("create_post", input={**new, "author": ids["bob_author"]}),
        ),
        "nested create of a post as Bob's": (
            FORBIDDEN,
            lambda: write(
                "create_comment",
                input={
                    "author_name": "a",
                    "body": "c",
                    "nested_post": {**new, "author": ids["bob_author"]},
                },
            ),
        ),
        "bulk create, one item Bob's": (
            FORBIDDEN,
            lambda: write(
                "bulk_create_post",
                inputs=[
                    {**new, "author": ids["alice_author"]},
                    {**new, "slug": "planted-2", "author": ids["bob_author"]},
                ],
            ),
        ),
        "hand her post over to Bob": (
            FORBIDDEN,
            lambda: write(
                "update_post",
                id=ids["alice_post"],
                input={"author": ids["bob_author"]},
            ),
        ),
        "comment on Bob's post": (
            "No Post with id",
            lambda: write(
                "create_comment",
                input={"author_name": "a", "body": "c", "post": bob_ids["bob_post"]},
            ),
        ),
        "update Bob's comment as a child of her post": (
            "No Comment with id",
            lambda: write(
                "update_post",
                id=ids["alice_post"],
                input={"update_comments": [{"id": bob_ids["bob_comment"], "body": "taken"}]},
            ),
        ),
        "delete Bob's comment as a child of her post": (
            "No Comment with id",
            lambda: write(
                "update_post",
                id=ids["alice_post"],
                input={"delete_comments": [bob_ids["bob_comment"]]},
            ),
        ),
    }
    with settings_with(models=OWNED):
        client.force_login(alice)
        before = _blog_state()
        for name, (expected, attempt) in attempts.items():
            result = attempt()
            if expected == FORBIDDEN:
                assert result.codes == [FORBIDDEN], (name, result.body)
            else:
                payload = next(iter(result.ok().values()))
                assert payload["ok"] is False, (name, payload)
                messages = [m for e in payload["field_errors"] for m in e["messages"]]
                assert any(expected in m for m in messages), (name, payload)
            for value in ("bob's private bio", "bob's body", "bob's comment", "Bob's post"):
                assert value not in text(result), (name, result.body)
            assert _blog_state() == before, name

        result = write("create_post", input={**new, "author": ids["alice_author"]})
        assert result.ok()["create_post"]["ok"] is True
    assert Post.objects.get(title="Planted").author == alice_author
    assert Comment.objects.get().body == "bob's comment"
