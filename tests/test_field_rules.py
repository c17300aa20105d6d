"""Field-level rules (`FIELD_RULES`, issue 5 point 3), through HTTP.

hidden, masked, read_only and write_only, with and without `unless_role` / `unless_permission`.
A field the caller may not read cannot be selected, filtered, ordered, counted or used in a
nested relation filter, on root single / list / pages fields and nested relations; a masked
field shows its mask on both execution paths; a read-only field is refused in every input; a
write-only field is written but never shown. The setting itself is checked by `manage.py check`.
"""

from __future__ import annotations

import json

import pytest
from blog.models import Author, Comment, Post
from clinic.models import Patient
from graphql import GraphQLNonNull

from django_graphql_auto.conf import find_problems
from django_graphql_auto.introspection import inspect_model
from django_graphql_auto.schema.registry import get_schema
from tests import factories
from tests.authz import assert_forbidden, mutate, settings_with, user

pytestmark = pytest.mark.django_db

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"

RULES = {
    "blog.Author": {
        "FIELD_RULES": {
            "email": {"hidden": True, "unless_role": "hr"},
            "bio": {"masked": "[redacted]", "unless_permission": "blog.change_author"},
            "website": {"read_only": True, "unless_role": "editor"},
        }
    },
    "blog.Post": {
        "FIELD_RULES": {
            "views": {"write_only": True},
            "status": {"read_only": True},
            "price": {"write_only": True, "unless_role": ["editor", "finance"]},
            "comments": {"hidden": True, "unless_role": "moderator"},
        }
    },
    "blog.Comment": {"FIELD_RULES": {"author_name": {"masked": None, "unless_role": "moderator"}}},
    "clinic.Patient": {"FIELD_RULES": {"full_name": {"masked": "Anonymous", "unless_role": "md"}}},
}
rules_on = settings_with(models=RULES)


def _id(row) -> str:
    return str(row.pk)


@pytest.fixture
def blog(db):
    author = factories.author(
        name="Ann", email="ann@secret.example", bio="Ann's private bio", website="https://ann.x"
    )
    tag = factories.tag(name="news")
    post = factories.post(title="P1", author=author, tags=[tag], views=42, price="9.99")
    factories.comment(post=post, body="first", author_name="Reader Rita")
    return {"author": author, "tag": tag, "post": post}


# --- hidden ------------------------------------------------------------------------------------

EMAIL_READS = [
    "{ authors { email } }",
    "query($id: ID!) { author(id: $id) { name email } }",
    "{ author_pages { items { email } } }",
    "{ posts { title author { email } } }",
    '{ authors(filters: {email: {startswith: "ann"}}) { name } }',
    '{ posts(filters: {author: {email: {startswith: "ann"}}}) { title } }',
    '{ tags { posts(filters: {author: {email: {contains: "@"}}}) { title } } }',
    '{ tags { posts_count(filters: {author: {email: {contains: "secret"}}}) } }',
    "{ authors(order_by: [{email: ASC}]) { name } }",
    "{ posts(order_by: [{author: {email: DESC}}]) { title } }",
    '{ author_pages(filters: {email: {exact: "ann@secret.example"}}) { page_info { page } } }',
]


@rules_on
def test_hidden_field_is_refused_on_every_read_path(graphql, client, blog):
    client.force_login(user("plain"))
    for query in EMAIL_READS:
        result = graphql(query, {"id": _id(blog["author"])} if "$id" in query else None)
        assert_forbidden(result, naming="field 'email' of Author", leaked=("ann@secret",))


@rules_on
def test_hidden_field_is_readable_with_the_role(graphql, client, blog):
    client.force_login(user("hr-person", groups=("hr",)))
    author_id = _id(blog["author"])
    assert graphql("{ authors { email } }").ok() == {"authors": [{"email": "ann@secret.example"}]}
    assert graphql(EMAIL_READS[1], {"id": author_id}).ok() == {
        "author": {"name": "Ann", "email": "ann@secret.example"}
    }
    assert graphql(EMAIL_READS[5]).ok() == {"posts": [{"title": "P1"}]}
    assert graphql(EMAIL_READS[7]).ok() == {"tags": [{"posts_count": 1}]}
    assert graphql(EMAIL_READS[9]).ok() == {"posts": [{"title": "P1"}]}


@rules_on
def test_hidden_field_cannot_be_written(graphql, client, blog):
    client.force_login(user("plain"))
    result = mutate(graphql, "update_author", id=_id(blog["author"]), input={"email": "x@y.z"})
    assert_forbidden(result, naming="write field 'email' of Author (at email)")
    assert Author.objects.get().email == "ann@secret.example"


@rules_on
def test_hidden_relation_is_refused_for_nested_lists_counts_and_filters(graphql, client, blog):
    client.force_login(user("plain"))
    for query in (
        "{ posts { comments { body } } }",
        "{ posts { comments_count } }",
        '{ posts(filters: {comments: {body: {exact: "first"}}}) { title } }',
        '{ authors(filters: {posts: {comments: {body: {exact: "first"}}}}) { name } }',
    ):
        assert_forbidden(graphql(query), naming="field 'comments' of Post", leaked=("first",))
    client.force_login(user("mod", groups=("moderator",)))
    assert graphql("{ posts { comments { body } comments_count } }").ok() == {
        "posts": [{"comments": [{"body": "first"}], "comments_count": 1}]
    }


@rules_on
def test_a_custom_policy_keeps_the_field_rules(graphql, blog):
    from django.conf import settings
    from django.test.utils import override_settings

    custom = {**settings.DJANGO_GRAPHQL_AUTO, "POLICY": "tests.policies.AllowEverything"}
    with override_settings(DJANGO_GRAPHQL_AUTO=custom):
        assert_forbidden(graphql("{ authors { email } }"), leaked=("ann@secret",))
        assert graphql("{ authors { name } }").ok() == {"authors": [{"name": "Ann"}]}


# --- masked ------------------------------------------------------------------------------------


@rules_on
def test_masked_field_shows_the_mask_on_every_read_path(graphql, client, blog):
    factories.author(name="Ben", bio="Ben's bio")
    client.force_login(user("plain"))
    author_id = _id(blog["author"])
    assert graphql("{ authors { name bio } }").ok() == {
        "authors": [{"name": "Ann", "bio": "[redacted]"}, {"name": "Ben", "bio": "[redacted]"}]
    }
    assert graphql("query($id: ID!) { author(id: $id) { bio } }", {"id": author_id}).ok() == {
        "author": {"bio": "[redacted]"}
    }
    assert graphql("{ author_pages(page_size: 1) { items { bio } } }").ok() == {
        "author_pages": {"items": [{"bio": "[redacted]"}]}
    }
    assert graphql("{ tags { posts { author { bio } } } }").ok() == {
        "tags": [{"posts": [{"author": {"bio": "[redacted]"}}]}]
    }
    result = mutate(
        graphql,
        "update_author",
        "ok object { name bio }",
        id=author_id,
        input={"name": "Ann B."},
    )
    assert result.ok() == {
        "update_author": {"ok": True, "object": {"name": "Ann B.", "bio": "[redacted]"}}
    }
    assert "private bio" not in json.dumps(graphql("{ authors { bio } }").body)


@rules_on
def test_masked_field_cannot_be_filtered_or_ordered(graphql, client, blog):
    client.force_login(user("plain"))
    for query, action in (
        ('{ authors(filters: {bio: {contains: "private"}}) { name } }', "filter on"),
        ('{ posts(filters: {author: {bio: {contains: "private"}}}) { title } }', "filter on"),
        ("{ authors(order_by: [{bio: ASC}]) { name } }", "order by"),
    ):
        assert_forbidden(graphql(query), naming=f"{action} field 'bio' of Author")


@rules_on
def test_masked_field_per_caller_with_the_same_document(graphql, client, blog):
    """Flat selections are written by code cached per document shape: the mask of one caller
    must never stick to it, in either order."""
    document = "{ authors { name bio } }"
    masked = {"authors": [{"name": "Ann", "bio": "[redacted]"}]}
    clear = {"authors": [{"name": "Ann", "bio": "Ann's private bio"}]}
    holder, plain = user("holder", "blog.change_author"), user("plain")
    for who, expected in ((holder, clear), (plain, masked), (holder, clear), (plain, masked)):
        client.force_login(who)
        assert graphql(document).ok() == expected
    client.force_login(user("root", is_superuser=True))
    assert graphql(document).ok() == clear


@rules_on
def test_masked_null_makes_the_field_nullable(graphql, client, blog):
    field = get_schema().schema.type_map["Comment"].fields["author_name"]
    assert not isinstance(field.type, GraphQLNonNull)
    author_field = get_schema().schema.type_map["Author"].fields["bio"]
    assert isinstance(author_field.type, GraphQLNonNull)  # a non-null mask keeps String!
    assert graphql("{ comments { body author_name } }").ok() == {
        "comments": [{"body": "first", "author_name": None}]
    }
    client.force_login(user("mod", groups=("moderator",)))
    assert graphql("{ comments { author_name } }").ok() == {
        "comments": [{"author_name": "Reader Rita"}]
    }
    assert Comment.objects.get().author_name == "Reader Rita"


@rules_on
def test_masked_computed_field(graphql, client):
    factories.patient(first_name="Ada", last_name="King")
    assert graphql("{ patients { first_name full_name } }").ok() == {
        "patients": [{"first_name": "Ada", "full_name": "Anonymous"}]
    }
    client.force_login(user("house", groups=("md",)))
    assert graphql("{ patients { full_name } }").ok() == {"patients": [{"full_name": "Ada King"}]}
    assert Patient.objects.count() == 1


# --- read_only ---------------------------------------------------------------------------------


@rules_on
def test_read_only_field_is_refused_in_every_input(graphql, client, blog):
    client.force_login(user("hr-only", groups=("hr",)))  # may write email, not website
    author = blog["author"]
    refusals = [
        mutate(graphql, "update_author", id=_id(author), input={"website": "https://evil.x"}),
        mutate(
            graphql,
            "bulk_update_author",
            inputs=[{"id": _id(author), "name": "Ann", "website": "https://evil.x"}],
        ),
        mutate(
            graphql,
            "create_author",
            input={"name": "Eve", "email": "eve@x.y", "website": "https://evil.x"},
        ),
        mutate(
            graphql,
            "bulk_create_author",
            inputs=[{"name": "Eve", "email": "eve@x.y", "website": "https://evil.x"}],
        ),
        mutate(
            graphql,
            "create_post",
            input={
                "title": "T",
                "slug": "t",
                "body": "b",
                "nested_author": {"name": "Eve", "email": "e@x.y", "website": "https://evil.x"},
            },
        ),
    ]
    for result in refusals:
        assert_forbidden(result, naming="write field 'website' of Author")
    assert list(Author.objects.values_list("name", "website")) == [("Ann", "https://ann.x")]
    assert Post.objects.count() == 1
    # The field stays readable, and other fields writable.
    assert graphql("{ authors { website } }").ok() == {"authors": [{"website": "https://ann.x"}]}
    result = mutate(graphql, "update_author", id=_id(author), input={"email": "ann@new.example"})
    assert result.ok()["update_author"]["ok"] is True


@rules_on
def test_read_only_field_is_writable_with_the_role(graphql, client, blog):
    client.force_login(user("ed", groups=("editor",)))
    result = mutate(
        graphql, "update_author", id=_id(blog["author"]), input={"website": "https://ann.example"}
    )
    assert result.ok()["update_author"]["ok"] is True
    assert Author.objects.get().website == "https://ann.example"


@rules_on
def test_read_only_without_condition_leaves_the_input_types(graphql, blog):
    type_map = get_schema().schema.type_map
    for name in ("CreatePostInput", "UpdatePostInput", "BulkUpdatePostInput"):
        assert "status" not in type_map[name].fields, name
    assert "status" in type_map["Post"].fields and "status" in type_map["PostFilter"].fields
    result = mutate(graphql, "update_post", id=_id(blog["post"]), input={"title": "x"})
    assert result.ok()["update_post"]["ok"] is True
    refused = graphql(
        "mutation($id: ID!) { update_post(id: $id, input: {status: PUBLISHED}) { ok } }",
        {"id": _id(blog["post"])},
    )
    assert refused.codes == [VALIDATION_FAILED]
    assert graphql("{ posts { status } }").ok() == {"posts": [{"status": "DRAFT"}]}


# --- write_only --------------------------------------------------------------------------------


@rules_on
def test_write_only_without_condition_is_only_in_inputs(graphql, blog):
    type_map = get_schema().schema.type_map
    for name in ("Post", "PostFilter", "PostOrder"):
        assert "views" not in type_map[name].fields, name
    for name in ("CreatePostInput", "UpdatePostInput", "BulkUpdatePostInput"):
        assert "views" in type_map[name].fields, name
    assert graphql("{ posts { views } }").codes == [VALIDATION_FAILED]
    result = mutate(graphql, "update_post", id=_id(blog["post"]), input={"views": 7})
    assert result.ok()["update_post"]["ok"] is True
    assert Post.objects.get().views == 7


@rules_on
def test_write_only_with_a_condition_is_written_by_all_and_read_by_the_role(graphql, client, blog):
    client.force_login(user("plain"))
    for query in (
        "{ posts { price } }",
        '{ posts(filters: {price: {gt: "1"}}) { title } }',
        "{ posts(order_by: [{price: ASC}]) { title } }",
    ):
        assert_forbidden(graphql(query), naming="field 'price' of Post", leaked=("9.99",))
    result = mutate(graphql, "update_post", id=_id(blog["post"]), input={"price": "12.00"})
    assert result.ok()["update_post"]["ok"] is True
    client.force_login(user("cfo", groups=("finance",)))
    assert graphql("{ posts { price } }").ok() == {"posts": [{"price": "12.00"}]}


# --- Meta.ordering never sorts by an unreadable field ---------------------------------------


def _post_ordering(monkeypatch, ordering: list[str]):
    """Post with this `Meta.ordering` (model introspection is cached: refresh it)."""
    monkeypatch.setattr(Post._meta, "ordering", ordering)
    inspect_model.cache_clear()
    yield
    monkeypatch.undo()
    inspect_model.cache_clear()


@pytest.fixture
def ordered_by_rating(monkeypatch):
    yield from _post_ordering(monkeypatch, ["-rating"])


def test_default_ordering_skips_an_unreadable_field(graphql, ordered_by_rating):
    for rating in (1.0, 3.0, 2.0):
        factories.post(title=f"r{rating:g}", rating=rating)
    assert [p["title"] for p in graphql("{ posts { title } }").ok()["posts"]] == [
        "r3",
        "r2",
        "r1",
    ]
    with settings_with(models={"blog.Post": {"FIELD_RULES": {"rating": {"hidden": True}}}}):
        assert [p["title"] for p in graphql("{ posts { title } }").ok()["posts"]] == [
            "r1",
            "r3",
            "r2",
        ]


@pytest.fixture
def ordered_by_author_email(monkeypatch):
    yield from _post_ordering(monkeypatch, ["author__email"])


@pytest.mark.parametrize(
    "restriction",
    [
        {"blog.Author": {"FIELD_RULES": {"email": {"hidden": True}}}},
        {"blog.Author": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.IsAdminUser"]}},
    ],
    ids=["hidden field", "model not readable"],
)
def test_default_ordering_skips_a_path_through_a_relation_to_an_unreadable_field(
    graphql, ordered_by_author_email, restriction
):
    for title, email in (("first", "c@example.com"), ("second", "a@example.com")):
        factories.post(title=title, author=factories.author(email=email))
    titles = [p["title"] for p in graphql("{ posts { title } }").ok()["posts"]]
    assert titles == ["second", "first"]  # by the authors' emails
    with settings_with(models=restriction):
        titles = [p["title"] for p in graphql("{ posts { title } }").ok()["posts"]]
    assert titles == ["first", "second"]  # by primary key only


# --- The setting is checked ----------------------------------------------------------------


def _errors(models: dict) -> list[str]:
    with settings_with(models=models):
        return [f"{p.id} {p.message} {p.hint or ''}" for p in find_problems() if p.is_error]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"emial": {"hidden": True}}, "E005 GRAPHQL_AUTO_MODELS['blog.Author']['FIELD_RULES']: "),
        ({"emial": {"hidden": True}}, "Did you mean 'email'?"),
        ({"email": {"hiden": True}}, "unknown rule 'hiden'"),
        ({"email": {"hidden": "yes"}}, "hidden must be True or False"),
        ({"email": {"hidden": True, "masked": "x"}}, "hidden and masked contradict"),
        ({"email": {"read_only": True, "write_only": True}}, "read_only and write_only"),
        ({"email": {}}, "sets none of hidden, masked, read_only, write_only"),
        ({"email": {"hidden": True, "unless_permission": "view_email"}}, '"app_label.codename"'),
        ({"email": {"hidden": True, "unless_role": 3}}, "unless_role must be a name"),
        ({"posts": {"masked": "x"}}, "a relation cannot be masked"),
        ({"id": {"hidden": True}}, "the primary key"),
        ({"birth_date": {"masked": "soon"}}, "not a valid Date"),
        ({"email": "hidden"}, "a rule is a dict"),
    ],
)
def test_field_rules_problems(rules, expected):
    problems = _errors({"blog.Author": {"FIELD_RULES": rules}})
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_field_rules_problems_on_other_field_kinds():
    assert (
        "not a valid Int" in _errors({"blog.Post": {"FIELD_RULES": {"views": {"masked": "x"}}}})[0]
    )
    assert (
        "one of the field's choices"
        in (_errors({"blog.Post": {"FIELD_RULES": {"status": {"masked": "secret"}}}})[0])
    )
    computed = {"clinic.Patient": {"FIELD_RULES": {"full_name": {"read_only": True}}}}
    assert "a computed field is never written" in _errors(computed)[0]
    valid = {
        "blog.Post": {"FIELD_RULES": {"status": {"masked": "draft"}, "views": {"masked": 0}}},
        "blog.Author": {
            "FIELD_RULES": {"email": [{"hidden": True, "unless_role": "hr"}, {"read_only": True}]}
        },
    }
    assert _errors(valid) == []


def test_field_rules_are_model_level_only():
    with settings_with(apps={"blog": {"FIELD_RULES": {"email": {"hidden": True}}}}):
        (problem,) = [p for p in find_problems() if p.is_error]
    assert problem.id == "E003"


@rules_on
def test_a_proxy_model_takes_the_rules_of_its_concrete_model(graphql, blog):
    Post.objects.update(status=Post.Status.PUBLISHED)
    type_map = get_schema().schema.type_map
    assert "views" not in type_map["PublishedPost"].fields
    assert "status" not in type_map["CreatePublishedPostInput"].fields
    assert_forbidden(
        graphql("{ published_posts { comments { body } } }"),
        naming="field 'comments' of PublishedPost",
        leaked=("first",),
    )
    assert graphql("{ published_posts { title } }").ok() == {"published_posts": [{"title": "P1"}]}
