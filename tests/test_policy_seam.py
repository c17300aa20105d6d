"""The policy seam (SPEC §6 Authorization): one rule, applied identically on every read path.

Each test swaps the schema's `POLICY` for a small policy from `tests.policies` that restricts one
thing (an operation, some rows, a field) and proves, with data where the hidden thing exists,
that it stays hidden on root single/list/pages fields, nested to-one and to-many relations,
`<relation>_count`, relation filters and ordering through a relation.
"""

from __future__ import annotations

import json

import pytest
from blog.models import Author, Comment, Post
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from django_graphql_auto.schema.registry import get_schema
from django_graphql_auto.security.policy import PermissionPolicy
from tests import factories, policies

pytestmark = pytest.mark.django_db

FORBIDDEN = "FORBIDDEN"
# The example project's schemas, repeated so a test changes nothing but the policy.
SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}


def use_policy(name: str, **schemas: dict):
    """override_settings that selects `tests.policies.<name>` for every schema."""
    return override_settings(
        DJANGO_GRAPHQL_AUTO={
            "SCHEMAS": {**SCHEMAS, **schemas},
            "POLICY": f"tests.policies.{name}",
        }
    )


def dumped(result) -> str:
    """The whole response body as text, to prove a value appears nowhere in it."""
    return json.dumps(result.body)


def assert_forbidden(result, *, naming: str | None = None, leaked: tuple[str, ...] = ()) -> None:
    assert result.errors, result.body
    assert result.codes == [FORBIDDEN] * len(result.errors), result.errors
    if naming is not None:
        assert all(naming in e["message"] for e in result.errors), result.errors
    text = dumped(result)
    for value in leaked:
        assert value not in text, result.body


# --- the seam itself --------------------------------------------------------------------------


def test_default_policy_is_the_permission_policy():
    assert type(get_schema().policy) is PermissionPolicy


@use_policy("HideUnapprovedComments")
def test_policy_setting_replaces_the_default_policy():
    assert type(get_schema().policy) is policies.HideUnapprovedComments
    assert type(get_schema("admin").policy) is policies.HideUnapprovedComments


@override_settings(
    DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "POLICY": policies.HideUnapprovedComments}
)
def test_policy_setting_accepts_a_class(graphql):
    factories.comment(is_approved=False)
    assert type(get_schema().policy) is policies.HideUnapprovedComments
    assert graphql("{ comments { id } }").ok() == {"comments": []}


@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": {"admin": {**SCHEMAS["admin"], "POLICY": "tests.policies.DenyComments"}},
        "POLICY": "tests.policies.AllowEverything",
    }
)
def test_policy_is_per_schema(graphql):
    factories.comment(body="per-schema comment")
    assert graphql("{ comments { body } }").ok() == {"comments": [{"body": "per-schema comment"}]}
    assert_forbidden(
        graphql("{ comments { body } }", path="/admin-graphql/"), leaked=("per-schema comment",)
    )


@use_policy("AllowEverything")
def test_control_everything_visible_with_the_base_policy(graphql):
    """The data the restricted tests hide is really reachable without the restriction."""
    post = factories.post(author=factories.author(email="hidden@example.com"))
    factories.comment(post=post, body="hidden comment", is_approved=False)
    data = graphql("{ posts { author { email } comments { body } comments_count } }").ok()
    assert data == {
        "posts": [
            {
                "author": {"email": "hidden@example.com"},
                "comments": [{"body": "hidden comment"}],
                "comments_count": 1,
            }
        ]
    }


# --- operation denied -------------------------------------------------------------------------


@pytest.fixture
def commented_post():
    post = factories.post(title="Commented", author=factories.author(name="Secret Author"))
    comment = factories.comment(post=post, body="secret comment")
    return post, comment


DENIED_COMMENT_QUERIES = {
    "root single": "query($id: ID!) { comment(id: $id) { body } }",
    "root list": "{ comments { body } }",
    "root pages": "{ comment_pages { items { body } page_info { total_count } } }",
    "root pages, count only": "{ comment_pages { page_info { total_count } } }",
    "nested to-many": "{ posts { title comments { body } } }",
    "nested to-many, typename only": "{ posts { title comments { __typename } } }",
    "nested to-many in pages": "{ post_pages { items { title comments { body } } } }",
    "nested to-many, two levels": "{ authors { posts { comments { body } } } }",
    "single, nested to-many": "query($post: ID!) { post(id: $post) { comments { body } } }",
    "count": "{ posts { title comments_count } }",
    "count with filters": '{ posts { comments_count(filters: {body: {contains: "x"}}) } }',
    "nested count": "{ authors { posts { comments_count } } }",
    "relation filter": '{ posts(filters: {comments: {body: {contains: "secret"}}}) { title } }',
    "relation filter isnull": "{ posts(filters: {comments: {isnull: false}}) { title } }",
    "relation filter inside or": (
        '{ posts(filters: {or: [{title: {exact: "x"}}, {comments: {body: {contains: "s"}}}]}) '
        "{ title } }"
    ),
    "relation filter, two levels": (
        '{ authors(filters: {posts: {comments: {body: {contains: "secret"}}}}) { name } }'
    ),
    "relation filter in nested args": (
        '{ authors { posts(filters: {comments: {body: {contains: "secret"}}}) { title } } }'
    ),
    "relation filter in count args": (
        '{ authors { posts_count(filters: {comments: {body: {contains: "secret"}}}) } }'
    ),
}


@use_policy("DenyComments")
@pytest.mark.parametrize("query", DENIED_COMMENT_QUERIES.values(), ids=DENIED_COMMENT_QUERIES)
def test_denied_model_is_forbidden_on_every_path(graphql, commented_post, query):
    post, comment = commented_post
    variables = {}
    if "$id" in query:
        variables["id"] = str(comment.pk)
    if "$post" in query:
        variables["post"] = str(post.pk)
    result = graphql(query, variables or None)
    assert_forbidden(result, naming="Comment", leaked=("secret comment",))


DENIED_AUTHOR_QUERIES = {
    "nested to-one": "{ posts { title author { name } } }",
    "nested to-one from single": "query($post: ID!) { post(id: $post) { author { name } } }",
    "nested to-one in pages": "{ post_pages { items { author { name } } } }",
    "nested to-one under to-many": "{ categories { posts { author { name } } } }",
    "nested to-one with a count": "{ posts { author { posts_count } } }",
    "to-one relation filter": '{ posts(filters: {author: {name: {contains: "Secret"}}}) { id } }',
    "ordering through to-one": "{ posts(order_by: [{author: {name: ASC}}]) { title } }",
    "ordering through to-one in pages": (
        "{ post_pages(order_by: [{author: {name: DESC}}]) { items { title } } }"
    ),
    "ordering through to-one in nested args": (
        "{ categories { posts(order_by: [{author: {name: ASC}}]) { title } } }"
    ),
    "ordering through two to-ones": (
        "{ comments(order_by: [{post: {author: {name: ASC}}}]) { body } }"
    ),
}


@use_policy("DenyAuthors")
@pytest.mark.parametrize("query", DENIED_AUTHOR_QUERIES.values(), ids=DENIED_AUTHOR_QUERIES)
def test_denied_to_one_target_is_forbidden_on_every_path(graphql, commented_post, query):
    post, _ = commented_post
    post.category = factories.category()
    post.save()
    result = graphql(query, {"post": str(post.pk)} if "$post" in query else None)
    assert_forbidden(result, naming="Author", leaked=("Secret Author",))


@use_policy("DenyComments")
def test_denied_model_leaves_other_models_readable(graphql, commented_post):
    assert graphql("{ posts { title author { name } } }").ok() == {
        "posts": [{"title": "Commented", "author": {"name": "Secret Author"}}]
    }


@use_policy("DenyComments")
def test_denied_root_field_error_points_at_the_field(graphql, commented_post):
    result = graphql("{ posts { title } comments { body } }")
    assert_forbidden(result, leaked=("secret comment",))
    assert [e["path"] for e in result.errors] == [["comments"]]
    # Root lists are nullable: the denied field nulls itself, its sibling still answers.
    assert result.data == {"posts": [{"title": "Commented"}], "comments": None}


@use_policy("DenyComments")
def test_denied_model_is_denied_before_any_sql(graphql, commented_post):
    with CaptureQueriesContext(connection) as queries:
        result = graphql("{ comments { body } }")
    assert_forbidden(result)
    assert not [q for q in queries if "blog_comment" in q["sql"]], queries.captured_queries


# --- rows restricted --------------------------------------------------------------------------


@pytest.fixture
def moderated():
    """p1 has an approved and an unapproved comment; p2 only an unapproved one."""
    author = factories.author(name="Moderated Author")
    p1 = factories.post(title="P1", author=author)
    p2 = factories.post(title="P2", author=author)
    visible = factories.comment(post=p1, body="visible approved", author_name="Ann")
    hidden1 = factories.comment(post=p1, body="hidden pending", is_approved=False, author_name="Bo")
    hidden2 = factories.comment(post=p2, body="hidden spam", is_approved=False, author_name="Cy")
    return {"p1": p1, "p2": p2, "visible": visible, "hidden": [hidden1, hidden2]}


@use_policy("HideUnapprovedComments")
def test_hidden_rows_absent_from_root_list(graphql, moderated):
    result = graphql("{ comments { body } }")
    assert result.ok() == {"comments": [{"body": "visible approved"}]}
    assert "hidden" not in dumped(result)


@use_policy("HideUnapprovedComments")
def test_hidden_rows_absent_from_root_list_even_when_filtered_for(graphql, moderated):
    result = graphql(
        '{ comments(filters: {or: [{is_approved: {exact: false}}, {body: {contains: "hidden"}}]})'
        " { body } }"
    )
    assert result.ok() == {"comments": []}


@use_policy("HideUnapprovedComments")
def test_hidden_row_by_id_is_null_without_error(graphql, moderated):
    query = "query($id: ID!) { comment(id: $id) { body } }"
    for hidden in moderated["hidden"]:
        result = graphql(query, {"id": str(hidden.pk)})
        assert result.ok() == {"comment": None}
    assert graphql(query, {"id": str(moderated["visible"].pk)}).ok() == {
        "comment": {"body": "visible approved"}
    }


@use_policy("HideUnapprovedComments")
def test_hidden_row_by_id_looks_like_a_missing_row(graphql, moderated):
    """Existence is not leaked: a hidden id answers exactly like an id that never existed."""
    query = "query($id: ID!) { comment(id: $id) { body } }"
    hidden = graphql(query, {"id": str(moderated["hidden"][0].pk)})
    missing = graphql(query, {"id": "999999"})
    assert hidden.body == missing.body


@use_policy("HideUnapprovedComments")
def test_hidden_rows_absent_from_pages_and_total_count(graphql, moderated):
    result = graphql(
        "{ comment_pages(page_size: 1) { items { body } page_info { total_count total_pages "
        "has_next_page } } }"
    )
    assert result.ok() == {
        "comment_pages": {
            "items": [{"body": "visible approved"}],
            "page_info": {"total_count": 1, "total_pages": 1, "has_next_page": False},
        }
    }


@use_policy("HideUnapprovedComments")
def test_hidden_rows_absent_from_pages_beyond_the_visible_end(graphql, moderated):
    result = graphql("{ comment_pages(page: 2, page_size: 1) { items { body } } }")
    assert result.ok() == {"comment_pages": {"items": []}}


@use_policy("HideUnapprovedComments")
def test_hidden_rows_absent_from_nested_to_many(graphql, moderated):
    result = graphql("{ posts(order_by: [{title: ASC}]) { title comments { body } } }")
    assert result.ok() == {
        "posts": [
            {"title": "P1", "comments": [{"body": "visible approved"}]},
            {"title": "P2", "comments": []},
        ]
    }


@use_policy("HideUnapprovedComments")
def test_hidden_rows_absent_from_nested_to_many_with_filters_and_window(graphql, moderated):
    result = graphql(
        """{ posts(order_by: [{title: ASC}]) {
             title
             matching: comments(filters: {body: {contains: "hidden"}}) { body }
             first: comments(order_by: [{author_name: DESC}], limit: 1) { body }
             skipped: comments(offset: 1) { body }
           } }"""
    )
    assert result.ok() == {
        "posts": [
            {"title": "P1", "matching": [], "first": [{"body": "visible approved"}], "skipped": []},
            {"title": "P2", "matching": [], "first": [], "skipped": []},
        ]
    }


@use_policy("HideUnapprovedComments")
def test_hidden_rows_absent_from_nested_to_many_under_single_and_pages(graphql, moderated):
    single = graphql(
        "query($id: ID!) { post(id: $id) { comments { body } } }", {"id": str(moderated["p2"].pk)}
    )
    assert single.ok() == {"post": {"comments": []}}
    pages = graphql("{ post_pages(order_by: [{title: ASC}]) { items { comments { body } } } }")
    assert pages.ok() == {
        "post_pages": {"items": [{"comments": [{"body": "visible approved"}]}, {"comments": []}]}
    }


@use_policy("HideUnapprovedComments")
def test_hidden_rows_absent_two_levels_down(graphql, moderated):
    result = graphql("{ authors { posts(order_by: [{title: ASC}]) { comments { body } } } }")
    assert result.ok() == {
        "authors": [{"posts": [{"comments": [{"body": "visible approved"}]}, {"comments": []}]}]
    }


@use_policy("HideUnapprovedComments")
def test_hidden_rows_not_counted(graphql, moderated):
    result = graphql(
        """{ posts(order_by: [{title: ASC}]) {
             title
             comments_count
             pending: comments_count(filters: {is_approved: {exact: false}})
             hidden_text: comments_count(filters: {body: {contains: "hidden"}})
           } }"""
    )
    assert result.ok() == {
        "posts": [
            {"title": "P1", "comments_count": 1, "pending": 0, "hidden_text": 0},
            {"title": "P2", "comments_count": 0, "pending": 0, "hidden_text": 0},
        ]
    }


@use_policy("HideUnapprovedComments")
def test_hidden_rows_not_counted_when_nested(graphql, moderated):
    result = graphql(
        "{ authors { posts(order_by: [{title: ASC}]) { comments_count } } "
        "comments { post { comments_count } } }"
    )
    assert result.ok() == {
        "authors": [{"posts": [{"comments_count": 1}, {"comments_count": 0}]}],
        "comments": [{"post": {"comments_count": 1}}],
    }


RELATION_FILTERS_MATCHING_ONLY_HIDDEN_ROWS = {
    "text of a hidden row": '{comments: {body: {contains: "hidden"}}}',
    "field only hidden rows have": "{comments: {is_approved: {exact: false}}}",
    "inside and": '{and: [{comments: {body: {contains: "spam"}}}]}',
    "inside or": '{or: [{title: {exact: "nope"}}, {comments: {author_name: {exact: "Cy"}}}]}',
    "same-row conditions": '{comments: {author_name: {exact: "Bo"}, body: {contains: "pending"}}}',
}


@use_policy("HideUnapprovedComments")
@pytest.mark.parametrize(
    "filters",
    RELATION_FILTERS_MATCHING_ONLY_HIDDEN_ROWS.values(),
    ids=RELATION_FILTERS_MATCHING_ONLY_HIDDEN_ROWS,
)
def test_hidden_rows_never_make_a_relation_filter_match(graphql, moderated, filters):
    for query in (
        f"{{ posts(filters: {filters}) {{ title }} }}",
        f"{{ post_pages(filters: {filters}) {{ page_info {{ total_count }} }} }}",
        f"{{ authors {{ posts(filters: {filters}) {{ title }} "
        f"posts_count(filters: {filters}) }} }}",
    ):
        data = graphql(query).ok()
        assert data in (
            {"posts": []},
            {"post_pages": {"page_info": {"total_count": 0}}},
            {"authors": [{"posts": [], "posts_count": 0}]},
        ), (query, data)


@use_policy("HideUnapprovedComments")
def test_hidden_rows_never_make_a_deep_relation_filter_match(graphql, moderated):
    result = graphql(
        '{ authors(filters: {posts: {comments: {body: {contains: "hidden"}}}}) { id } }'
    )
    assert result.ok() == {"authors": []}
    # ... while a visible row does match through the same path.
    result = graphql(
        '{ authors(filters: {posts: {comments: {body: {contains: "visible"}}}}) { name } }'
    )
    assert result.ok() == {"authors": [{"name": "Moderated Author"}]}


@use_policy("HideUnapprovedComments")
def test_relation_isnull_sees_only_visible_rows(graphql, moderated):
    having = graphql("{ posts(filters: {comments: {isnull: false}}) { title } }")
    assert having.ok() == {"posts": [{"title": "P1"}]}
    lacking = graphql("{ posts(filters: {comments: {isnull: true}}) { title } }")
    assert lacking.ok() == {"posts": [{"title": "P2"}]}


@use_policy("HideUnapprovedComments")
def test_relation_filter_matches_visible_rows(graphql, moderated):
    result = graphql('{ posts(filters: {comments: {body: {contains: "visible"}}}) { title } }')
    assert result.ok() == {"posts": [{"title": "P1"}]}


@use_policy("HideUnapprovedComments")
def test_negated_relation_filter_treats_hidden_rows_as_absent(graphql, moderated):
    result = graphql(
        '{ posts(filters: {not: {comments: {body: {contains: "hidden"}}}}, '
        "order_by: [{title: ASC}]) { title } }"
    )
    assert result.ok() == {"posts": [{"title": "P1"}, {"title": "P2"}]}


# --- rows restricted on the target of a to-one relation ---------------------------------------


@pytest.fixture
def drafts():
    """A draft post titled "AAA" by "Aaron", and a published one titled "ZZZ" by "Zoe"."""
    draft = factories.post(
        title="AAA draft", status=Post.Status.DRAFT, author=factories.author(name="Aaron")
    )
    published = factories.post(
        title="ZZZ published", status=Post.Status.PUBLISHED, author=factories.author(name="Zoe")
    )
    on_draft = factories.comment(post=draft, body="on draft")
    on_published = factories.comment(post=published, body="on published")
    return {"draft": draft, "published": published, "on_draft": on_draft, "on_pub": on_published}


@use_policy("HideDraftPosts")
def test_hidden_to_one_target_is_null(graphql, drafts):
    result = graphql("{ comments(order_by: [{body: ASC}]) { body post { title } } }")
    assert result.ok() == {
        "comments": [
            {"body": "on draft", "post": None},
            {"body": "on published", "post": {"title": "ZZZ published"}},
        ]
    }
    assert "AAA" not in dumped(result)


@use_policy("HideDraftPosts")
def test_hidden_to_one_target_is_null_under_single_and_pages(graphql, drafts):
    single = graphql(
        "query($id: ID!) { comment(id: $id) { post { title } } }",
        {"id": str(drafts["on_draft"].pk)},
    )
    assert single.ok() == {"comment": {"post": None}}
    pages = graphql("{ comment_pages(order_by: [{body: ASC}]) { items { post { title } } } }")
    assert pages.ok() == {
        "comment_pages": {"items": [{"post": None}, {"post": {"title": "ZZZ published"}}]}
    }


@use_policy("HideDraftPosts")
def test_hidden_to_one_target_is_null_with_nested_fields(graphql, drafts):
    result = graphql(
        "{ comments(order_by: [{body: ASC}]) { post { title author { name } comments_count } } }"
    )
    assert result.ok() == {
        "comments": [
            {"post": None},
            {"post": {"title": "ZZZ published", "author": {"name": "Zoe"}, "comments_count": 1}},
        ]
    }
    assert "Aaron" not in dumped(result)


@use_policy("HideDraftPosts")
def test_hidden_root_single_is_null(graphql, drafts):
    query = "query($id: ID!) { post(id: $id) { title } }"
    assert graphql(query, {"id": str(drafts["draft"].pk)}).ok() == {"post": None}
    assert graphql(query, {"id": str(drafts["published"].pk)}).ok() == {
        "post": {"title": "ZZZ published"}
    }


@use_policy("HideDraftPosts")
def test_hidden_rows_absent_from_reverse_to_many_and_counts(graphql, drafts):
    result = graphql("{ authors(order_by: [{name: ASC}]) { name posts { title } posts_count } }")
    assert result.ok() == {
        "authors": [
            {"name": "Aaron", "posts": [], "posts_count": 0},
            {"name": "Zoe", "posts": [{"title": "ZZZ published"}], "posts_count": 1},
        ]
    }


@use_policy("HideDraftPosts")
def test_hidden_to_one_target_never_makes_a_filter_match(graphql, drafts):
    result = graphql('{ comments(filters: {post: {title: {startswith: "AAA"}}}) { body } }')
    assert result.ok() == {"comments": []}
    result = graphql("{ comments(filters: {post: {status: {exact: DRAFT}}}) { body } }")
    assert result.ok() == {"comments": []}
    result = graphql('{ comments(filters: {post: {title: {startswith: "ZZZ"}}}) { body } }')
    assert result.ok() == {"comments": [{"body": "on published"}]}


@pytest.fixture
def categorised():
    private = factories.category(name="Aardvark private", slug="private-1")
    public = factories.category(name="Zebra public", slug="public-1")
    factories.post(title="in private", category=private)
    factories.post(title="in public", category=public)
    factories.post(title="uncategorised")


@use_policy("HidePrivateCategories")
def test_hidden_nullable_to_one_target_is_null(graphql, categorised):
    result = graphql("{ posts(order_by: [{title: ASC}]) { title category { name } } }")
    assert result.ok() == {
        "posts": [
            {"title": "in private", "category": None},
            {"title": "in public", "category": {"name": "Zebra public"}},
            {"title": "uncategorised", "category": None},
        ]
    }
    assert "Aardvark" not in dumped(result)


@use_policy("HidePrivateCategories")
def test_hidden_nullable_to_one_target_counts_as_null_in_filters(graphql, categorised):
    def titles(filters):
        query = f"{{ posts(filters: {filters}, order_by: [{{title: ASC}}]) {{ title }} }}"
        return [row["title"] for row in graphql(query).ok()["posts"]]

    assert titles('{category: {name: {startswith: "Aardvark"}}}') == []
    assert titles('{category: {slug: {startswith: "private"}}}') == []
    assert titles("{category: {isnull: false}}") == ["in public"]
    assert titles("{category: {isnull: true}}") == ["in private", "uncategorised"]
    assert titles('{not: {category: {name: {startswith: "Aardvark"}}}}') == [
        "in private",
        "in public",
        "uncategorised",
    ]


@use_policy("HidePrivateCategories")
def test_hidden_nullable_to_one_target_orders_as_null(graphql, categorised):
    def titles(direction):
        query = (
            f"{{ posts(order_by: [{{category: {{name: {direction}}}}}, {{title: ASC}}]) "
            "{ title } }"
        )
        return [row["title"] for row in graphql(query).ok()["posts"]]

    # Were "Aardvark private" visible, "in private" would sort first.
    assert titles("ASC_NULLS_LAST") == ["in public", "in private", "uncategorised"]
    assert titles("DESC_NULLS_FIRST") == ["in private", "uncategorised", "in public"]


@use_policy("HideUnapprovedComments")
def test_hidden_row_id_never_makes_a_relation_filter_match(graphql, moderated):
    hidden_ids = [str(c.pk) for c in moderated["hidden"]]
    query = "query($ids: [ID!]) { posts(filters: {comments: {id: {in: $ids}}}) { title } }"
    assert graphql(query, {"ids": hidden_ids}).ok() == {"posts": []}
    query = "query($id: ID) { posts(filters: {comments: {id: {exact: $id}}}) { title } }"
    assert graphql(query, {"id": hidden_ids[1]}).ok() == {"posts": []}
    assert graphql(query, {"id": str(moderated["visible"].pk)}).ok() == {"posts": [{"title": "P1"}]}


@use_policy("HidePseudonymousAuthors")
def test_row_rule_two_to_ones_away(graphql):
    """comments -> post (plain join) -> author (restricted): null, unmatched, ordered as null."""
    hidden = factories.post(title="A by pseudo", author=factories.author(name="Pseudo Nym"))
    shown = factories.post(title="Z by real", author=factories.author(name="Real Name"))
    factories.comment(post=hidden, body="c1")
    factories.comment(post=shown, body="c2")
    result = graphql(
        "{ comments(order_by: [{body: ASC}]) { body post { title author { name } } } }"
    )
    assert result.ok() == {
        "comments": [
            {"body": "c1", "post": {"title": "A by pseudo", "author": None}},
            {"body": "c2", "post": {"title": "Z by real", "author": {"name": "Real Name"}}},
        ]
    }
    assert "Pseudo Nym" not in dumped(result)
    matched = graphql(
        '{ comments(filters: {post: {author: {name: {startswith: "Pseudo"}}}}) { body } }'
    )
    assert matched.ok() == {"comments": []}
    for direction, expected in (
        ("ASC_NULLS_LAST", ["c2", "c1"]),
        ("DESC_NULLS_FIRST", ["c1", "c2"]),
    ):
        query = (
            f"{{ comments(order_by: [{{post: {{author: {{name: {direction}}}}}}}]) {{ body }} }}"
        )
        assert [row["body"] for row in graphql(query).ok()["comments"]] == expected


@use_policy("HidePrivateCategories")
def test_row_rule_on_a_self_referencing_relation(graphql):
    private = factories.category(name="Aardvark private", slug="private-root")
    public = factories.category(name="public root", slug="public-root")
    factories.category(name="child of private", slug="c1", parent=private)
    factories.category(name="child of public", slug="c2", parent=public)
    factories.category(name="private child", slug="private-child", parent=public)
    result = graphql(
        "{ categories(order_by: [{name: ASC}]) { name parent { name } children { name } "
        "children_count } }"
    )
    assert result.ok() == {
        "categories": [
            {"name": "child of private", "parent": None, "children": [], "children_count": 0},
            {
                "name": "child of public",
                "parent": {"name": "public root"},
                "children": [],
                "children_count": 0,
            },
            {
                "name": "public root",
                "parent": None,
                "children": [{"name": "child of public"}],
                "children_count": 1,
            },
        ]
    }
    assert "Aardvark" not in dumped(result) and "private child" not in dumped(result)
    names = lambda filters: [  # noqa: E731
        row["name"]
        for row in graphql(
            f"{{ categories(filters: {filters}, order_by: [{{name: ASC}}]) {{ name }} }}"
        ).ok()["categories"]
    ]
    assert names('{parent: {name: {startswith: "Aardvark"}}}') == []
    assert names("{parent: {isnull: true}}") == ["child of private", "public root"]
    assert names('{children: {slug: {startswith: "private"}}}') == []
    ordered = graphql(
        "{ categories(order_by: [{parent: {name: DESC_NULLS_LAST}}, {name: ASC}]) { name } }"
    ).ok()["categories"]
    assert [row["name"] for row in ordered] == [
        "child of public",
        "child of private",
        "public root",
    ]


@use_policy("HidePseudonymousAuthors")
def test_row_rule_on_a_reverse_one_to_one(graphql, django_user_model):
    """auth.User.author_profile (admin schema): the reverse side of Author.user."""
    hidden = django_user_model.objects.create_user("a-user")
    shown = django_user_model.objects.create_user("b-user")
    django_user_model.objects.create_user("c-user")
    factories.author(name="Pseudo X", user=hidden)
    factories.author(name="Real Y", user=shown)

    def run(query):
        return graphql(query, path="/admin-graphql/").ok()["users"]

    rows = run("{ users(order_by: [{username: ASC}]) { username author_profile { name } } }")
    assert rows == [
        {"username": "a-user", "author_profile": None},
        {"username": "b-user", "author_profile": {"name": "Real Y"}},
        {"username": "c-user", "author_profile": None},
    ]
    assert run('{ users(filters: {author_profile: {name: {startswith: "Pseudo"}}}) { id } }') == []
    nulls = run(
        "{ users(filters: {author_profile: {isnull: true}}, order_by: [{username: ASC}]) "
        "{ username } }"
    )
    assert [row["username"] for row in nulls] == ["a-user", "c-user"]
    ordered = run("{ users(order_by: [{author_profile: {name: DESC_NULLS_FIRST}}]) { username } }")
    assert [row["username"] for row in ordered] == ["a-user", "c-user", "b-user"]


@pytest.fixture
def tagged():
    shown, hidden = factories.tag(name="public-tag"), factories.tag(name="internal-tag")
    factories.post(title="both", tags=[shown, hidden])
    factories.post(title="hidden only", tags=[hidden])


@use_policy("HideInternalTags")
def test_row_rule_on_a_many_to_many_relation(graphql, tagged):
    result = graphql("{ posts(order_by: [{title: ASC}]) { title tags { name } tags_count } }")
    assert result.ok() == {
        "posts": [
            {"title": "both", "tags": [{"name": "public-tag"}], "tags_count": 1},
            {"title": "hidden only", "tags": [], "tags_count": 0},
        ]
    }
    assert "internal-tag" not in dumped(result)
    for filters, expected in (
        ('{tags: {name: {startswith: "internal"}}}', []),
        ("{tags: {isnull: true}}", ["hidden only"]),
        ("{tags: {isnull: false}}", ["both"]),
    ):
        query = f"{{ posts(filters: {filters}, order_by: [{{title: ASC}}]) {{ title }} }}"
        assert [row["title"] for row in graphql(query).ok()["posts"]] == expected, filters
    assert graphql("{ tags { name posts_count } }").ok() == {
        "tags": [{"name": "public-tag", "posts_count": 1}]
    }


ORDERINGS_THROUGH_HIDDEN_TO_ONE = {
    # With the draft's title visible, "AAA draft" would sort before "ZZZ published".
    "asc, nulls last": ("[{post: {title: ASC_NULLS_LAST}}]", ["on published", "on draft"]),
    "desc, nulls first": ("[{post: {title: DESC_NULLS_FIRST}}]", ["on draft", "on published"]),
    # ... and "Aaron" before "Zoe", one relation further.
    "two levels, asc nulls last": (
        "[{post: {author: {name: ASC_NULLS_LAST}}}]",
        ["on published", "on draft"],
    ),
    "two levels, desc nulls first": (
        "[{post: {author: {name: DESC_NULLS_FIRST}}}]",
        ["on draft", "on published"],
    ),
}


@use_policy("HideDraftPosts")
@pytest.mark.parametrize(
    ("order_by", "expected"),
    ORDERINGS_THROUGH_HIDDEN_TO_ONE.values(),
    ids=ORDERINGS_THROUGH_HIDDEN_TO_ONE,
)
def test_hidden_to_one_target_orders_as_null(graphql, drafts, order_by, expected):
    data = graphql(f"{{ comments(order_by: {order_by}) {{ body }} }}").ok()
    assert [row["body"] for row in data["comments"]] == expected
    data = graphql(f"{{ comment_pages(order_by: {order_by}) {{ items {{ body }} }} }}").ok()
    assert [row["body"] for row in data["comment_pages"]["items"]] == expected


@use_policy("HidePseudonymousAuthors")
@pytest.mark.parametrize(
    ("direction", "expected"),
    [("ASC_NULLS_LAST", ["by Zed", "by Pseudo"]), ("DESC_NULLS_FIRST", ["by Pseudo", "by Zed"])],
)
def test_hidden_to_one_target_orders_as_null_in_nested_lists(graphql, direction, expected):
    """The same rule in a nested list's own order_by (and at the root, for comparison)."""
    category = factories.category()
    factories.post(title="by Pseudo", category=category, author=factories.author(name="Pseudo A"))
    factories.post(title="by Zed", category=category, author=factories.author(name="Zed"))
    order_by = f"[{{author: {{name: {direction}}}}}]"
    nested = graphql(f"{{ categories {{ posts(order_by: {order_by}) {{ title }} }} }}").ok()
    assert [row["title"] for row in nested["categories"][0]["posts"]] == expected
    root = graphql(f"{{ posts(order_by: {order_by}) {{ title author {{ name }} }} }}").ok()
    assert [row["title"] for row in root["posts"]] == expected
    assert "Pseudo A" not in json.dumps(root)


@use_policy("HideDraftPosts")
def test_ordering_through_hidden_to_one_with_a_tie_on_null(graphql, drafts):
    """Two comments on hidden posts tie (both null) and fall back to the primary key."""
    second_draft = factories.post(title="BBB draft", status=Post.Status.DRAFT)
    late = factories.comment(post=second_draft, body="on second draft")
    result = graphql("{ comments(order_by: [{post: {title: DESC_NULLS_FIRST}}]) { id body } }")
    data = result.ok()["comments"]
    assert [row["body"] for row in data] == ["on draft", "on second draft", "on published"]
    assert data[1]["id"] == str(late.pk)


# --- rows restricted: the rule stays in SQL -----------------------------------------------------


def _count_queries(graphql, query):
    with CaptureQueriesContext(connection) as captured:
        data = graphql(query).ok()
    return data, captured


def _add_posts_with_comments(count: int):
    author = Author.objects.first() or factories.author()
    for n in range(count):
        post = factories.post(author=author, title=f"bulk {n}")
        factories.comment(post=post, body=f"ok {n}")
        factories.comment(post=post, body=f"pending {n}", is_approved=False)


@use_policy("HideUnapprovedComments")
@pytest.mark.parametrize(
    "query",
    [
        "{ posts { title comments { body } comments_count } }",
        "{ post_pages { items { comments { body } } page_info { total_count } } }",
        "{ authors { posts { comments { body } comments_count } } }",
        '{ posts(filters: {comments: {body: {contains: "ok"}}}) { title } }',
        "{ comments { body post { title comments_count } } }",
    ],
    ids=["nested list and count", "pages", "two levels", "relation filter", "to-one and count"],
)
def test_row_rules_stay_in_sql(graphql, query):
    _add_posts_with_comments(2)
    _, small_queries = _count_queries(graphql, query)
    _add_posts_with_comments(8)
    large, large_queries = _count_queries(graphql, query)
    assert len(large_queries) == len(small_queries), large_queries.captured_queries
    assert "pending" not in json.dumps(large)
    comment_sql = [q["sql"] for q in large_queries if "blog_comment" in q["sql"]]
    assert comment_sql and all("is_approved" in sql for sql in comment_sql), comment_sql


@use_policy("HideDraftPosts")
def test_to_one_row_rule_stays_in_sql(graphql, drafts):
    query = "{ comments(order_by: [{post: {title: ASC_NULLS_LAST}}]) { body post { title } } }"
    _, few = _count_queries(graphql, query)
    for n in range(6):
        factories.comment(post=factories.post(status=Post.Status.DRAFT, title=f"d{n}"))
    data, many = _count_queries(graphql, query)
    assert len(many) == len(few)
    assert all(row["post"] is None for row in data["comments"][1:])


def test_policy_answers_are_memoised_per_request(graphql):
    policy = policies.CountingHideUnapprovedComments
    query = "{ posts { title comments { body } comments_count author { name } } }"
    with use_policy("CountingHideUnapprovedComments"):
        _add_posts_with_comments(2)
        policy.calls.clear()
        graphql(query).ok()
        few = sorted(policy.calls)
        _add_posts_with_comments(10)
        policy.calls.clear()
        graphql(query).ok()
        many = sorted(policy.calls)
    assert many == few
    assert many.count(("allows", "Comment")) == 1
    assert many.count(("allows", "Post")) == 1
    assert many.count(("readable_fields", "Post")) == 1


# --- fields hidden --------------------------------------------------------------------------


HIDDEN_EMAIL_QUERIES = {
    "root list": "{ authors { name email } }",
    "root single": "query($id: ID!) { author(id: $id) { email } }",
    "root pages": "{ author_pages { items { email } } }",
    "aliased": "{ authors { contact: email } }",
    "in a fragment": "{ authors { ...A } } fragment A on Author { email }",
    "nested to-one": "{ posts { title author { email } } }",
    "nested to-one from single": "query($post: ID!) { post(id: $post) { author { email } } }",
    "nested to-one, two levels": "{ comments { post { author { email } } } }",
    "nested to-one under to-many": "{ categories { posts { author { email } } } }",
    "root filter": '{ authors(filters: {email: {contains: "hidden"}}) { name } }',
    "root filter inside or": (
        '{ authors(filters: {or: [{name: {exact: "x"}}, {email: {exact: "x"}}]}) { name } }'
    ),
    "root filter inside not": '{ authors(filters: {not: {email: {exact: "x"}}}) { name } }',
    "pages filter": (
        '{ author_pages(filters: {email: {exact: "x"}}) { page_info { total_count } } }'
    ),
    "relation filter": '{ posts(filters: {author: {email: {contains: "hidden"}}}) { title } }',
    "relation filter, two levels": (
        '{ comments(filters: {post: {author: {email: {contains: "hidden"}}}}) { body } }'
    ),
    "relation filter in nested args": (
        '{ authors { posts(filters: {author: {email: {exact: "x"}}}) { title } } }'
    ),
    "relation filter in count args": (
        '{ authors { posts_count(filters: {author: {email: {exact: "x"}}}) } }'
    ),
    "root ordering": "{ authors(order_by: [{email: ASC}]) { name } }",
    "pages ordering": "{ author_pages(order_by: [{email: DESC}]) { items { name } } }",
    "ordering through relation": "{ posts(order_by: [{author: {email: ASC}}]) { title } }",
    "ordering through two relations": (
        "{ comments(order_by: [{post: {author: {email: DESC}}}]) { body } }"
    ),
    "ordering in nested args": (
        "{ authors { posts(order_by: [{author: {email: ASC}}]) { title } } }"
    ),
}


@use_policy("HideAuthorEmail")
@pytest.mark.parametrize("query", HIDDEN_EMAIL_QUERIES.values(), ids=HIDDEN_EMAIL_QUERIES)
def test_hidden_field_is_forbidden_on_every_path(graphql, query):
    author = factories.author(name="Mailer", email="hidden@example.com")
    post = factories.post(author=author, category=factories.category())
    factories.comment(post=post)
    variables = {}
    if "$id" in query:
        variables["id"] = str(author.pk)
    if "$post" in query:
        variables["post"] = str(post.pk)
    result = graphql(query, variables or None)
    assert_forbidden(result, naming="email", leaked=("hidden@example.com",))


@use_policy("HideAuthorEmail")
def test_hidden_field_leaves_other_fields_readable(graphql):
    author = factories.author(name="Mailer", email="hidden@example.com")
    factories.post(author=author, title="T")
    result = graphql(
        '{ posts(filters: {author: {name: {exact: "Mailer"}}}, order_by: [{author: {name: ASC}}])'
        " { title author { name } } }"
    )
    assert result.ok() == {"posts": [{"title": "T", "author": {"name": "Mailer"}}]}
    assert "hidden@example.com" not in dumped(result)


@use_policy("HideAuthorEmail")
def test_hidden_field_is_denied_before_any_sql(graphql):
    factories.author(email="hidden@example.com")
    with CaptureQueriesContext(connection) as captured:
        result = graphql("{ authors { email } }")
    assert_forbidden(result, naming="email")
    assert not [q for q in captured if "blog_author" in q["sql"]], captured.captured_queries


HIDDEN_RELATION_QUERIES = {
    "nested to-many": "{ posts { comments { body } } }",
    "count": "{ posts { comments_count } }",
    "relation filter": '{ posts(filters: {comments: {body: {contains: "c"}}}) { title } }',
    "relation filter isnull": "{ posts(filters: {comments: {isnull: true}}) { title } }",
    "nested under to-one": "{ comments { post { comments { body } } } }",
}


@use_policy("HidePostComments")
@pytest.mark.parametrize("query", HIDDEN_RELATION_QUERIES.values(), ids=HIDDEN_RELATION_QUERIES)
def test_hidden_relation_is_forbidden_on_every_path(graphql, query):
    factories.comment(body="c secret")
    result = graphql(query)
    assert_forbidden(result, naming="comments", leaked=("c secret",))


@use_policy("HidePostComments")
def test_hidden_relation_leaves_the_reverse_side_readable(graphql):
    factories.comment(body="from the comment side", post=factories.post(title="Parent"))
    result = graphql("{ comments { body post { title } } }")
    assert result.ok() == {
        "comments": [{"body": "from the comment side", "post": {"title": "Parent"}}]
    }


def test_comment_model_is_the_one_the_policies_restrict():
    """Guard: the policies compare model classes, so they must be the exposed ones."""
    bundle = get_schema()
    assert Comment in bundle.models and Post in bundle.models and Author in bundle.models
