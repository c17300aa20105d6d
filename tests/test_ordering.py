"""`order_by`: every orderable field, nested to-one keys, NULLS placement, list order, the id
tiebreak, refusals, and ordering (with filters and limits) of nested to-many lists.

Expected orders come from the ORM (`order_by(..., "pk")`) or, where the rule is simple enough,
from sorting in Python, never from the implementation under test.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from blog.models import Author, Category, Post
from django.db.models import F, Q
from django.test import override_settings
from graphql import GraphQLInputObjectType

from django_graphql_auto.schema.registry import get_schema
from tests import factories as f

pytestmark = pytest.mark.django_db

DIRECTIONS = {"ASC": "asc", "DESC": "desc"}
NULLS_DIRECTIONS = {
    "ASC_NULLS_FIRST": ("asc", "first"),
    "ASC_NULLS_LAST": ("asc", "last"),
    "DESC_NULLS_FIRST": ("desc", "first"),
    "DESC_NULLS_LAST": ("desc", "last"),
}
# Every scalar field of Post a client can read and compare: all but JSON and files.
ORDERABLE_POST_FIELDS = [
    "id",
    "title",
    "slug",
    "body",
    "status",
    "views",
    "rating",
    "score",
    "price",
    "published_at",
    "uuid",
    "reading_time",
    "is_featured",
    "created_at",
    "updated_at",
]
POSTS = "query($o: [PostOrder!]) { posts(order_by: $o, limit: 100) { id } }"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(row["id"]) for row in rows]


def ordered(graphql, order_by: list[dict[str, Any]]) -> list[int]:
    return ids(graphql(POSTS, {"o": order_by}).ok()["posts"])


def orm(*ordering: Any, queryset=None) -> list[int]:
    queryset = Post.objects.all() if queryset is None else queryset
    return list(queryset.order_by(*ordering, "pk").values_list("pk", flat=True))


def expression(path: str, direction: str, nulls: str | None = None):
    kwargs = {f"nulls_{nulls}": True} if nulls else {}
    return getattr(F(path), direction)(**kwargs)


@pytest.fixture
def shelf(db):
    """24 posts whose values repeat (ties), with null ratings, dates, durations and categories."""
    rnd = random.Random(7)
    authors = [f.author(name=name) for name in ("Ann", "bob", "Cat", "Ann", "Dee")]
    news = f.category(name="News")
    arts = f.category(name="Arts", parent=news)
    posts = []
    for i in range(24):
        posts.append(
            f.post(
                title=rnd.choice(["alpha", "Beta", "gamma", "Delta", "alpha"]),
                views=rnd.choice([0, 5, 5, 10, 100]),
                rating=rnd.choice([None, 1.5, 3.0, 3.0, 4.5]),
                score=rnd.choice([-1, 0, 2**40, 7]),
                price=Decimal(rnd.choice(["0.00", "9.99", "10.00", "100.50"])),
                status=rnd.choice(["draft", "published", "archived"]),
                published_at=rnd.choice([None, at(2024, 1, 1), at(2023, 6, 1, 12), None]),
                reading_time=rnd.choice([None, dt.timedelta(minutes=5), dt.timedelta(hours=1)]),
                is_featured=rnd.random() < 0.5,
                author=authors[i % 4],  # the fifth author has no posts
                category=rnd.choice([None, news, arts]),
            )
        )
    return posts


# ---------------------------------------------------------------------------------------------
# One key
# ---------------------------------------------------------------------------------------------


def test_order_type_offers_every_readable_scalar_and_to_one_relation():
    order = get_schema().schema.type_map["PostOrder"]
    assert isinstance(order, GraphQLInputObjectType)
    assert set(ORDERABLE_POST_FIELDS) <= set(order.fields)
    assert {"author", "category"} <= set(order.fields)
    # no to-many relations (ambiguous), no excluded field
    assert not {"comments", "tags", "internal_notes"} & set(order.fields)
    directions = get_schema().schema.type_map["SortDirection"]
    assert set(directions.values) == set(DIRECTIONS) | set(NULLS_DIRECTIONS)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("field", ORDERABLE_POST_FIELDS)
def test_each_field_orders_like_the_orm(graphql, shelf, field, direction):
    path = "pk" if field == "id" else field
    expected = orm(expression(path, DIRECTIONS[direction]))
    assert ordered(graphql, [{field: direction}]) == expected


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_directions_really_differ(graphql, shelf, direction):
    """Guards the test above: on this data ASC and DESC give different orders for views."""
    forward, backward = ordered(graphql, [{"views": "ASC"}]), ordered(graphql, [{"views": "DESC"}])
    assert forward != backward
    views = {p.pk: p.views for p in shelf}
    assert [views[i] for i in forward] == sorted(views.values())
    assert [views[i] for i in backward] == sorted(views.values(), reverse=True)


# ---------------------------------------------------------------------------------------------
# NULLS FIRST / LAST (the same on SQLite and PostgreSQL)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", NULLS_DIRECTIONS)
@pytest.mark.parametrize("field", ["rating", "published_at", "reading_time"])
def test_nulls_go_where_asked(graphql, shelf, field, direction):
    order, nulls = NULLS_DIRECTIONS[direction]
    result = graphql(
        f"query($o: [PostOrder!]) {{ posts(order_by: $o, limit: 100) {{ id {field} }} }}",
        {"o": [{field: direction}]},
    ).ok()["posts"]
    got = ids(result)
    values = {p.pk: getattr(p, field) for p in shelf}
    null_ids = sorted(pk for pk, v in values.items() if v is None)
    present = [pk for pk, v in values.items() if v is not None]
    assert null_ids and present  # the data has both
    # non-null values in the asked direction; ties and nulls in id order
    present.sort()
    present.sort(key=lambda pk: values[pk], reverse=order == "desc")
    expected = null_ids + present if nulls == "first" else present + null_ids
    assert got == expected
    assert got == orm(expression(field, order, nulls))
    # the response agrees: nulls exactly where asked
    empty = [row[field] is None for row in result]
    assert (
        empty == ([True] * len(null_ids) + [False] * len(present))[:: 1 if nulls == "first" else -1]
    )


def test_nulls_of_a_nested_to_one_key(graphql, shelf):
    for direction, nulls in (("ASC_NULLS_FIRST", "first"), ("DESC_NULLS_LAST", "last")):
        got = ordered(graphql, [{"category": {"name": direction}}])
        method = "asc" if direction.startswith("ASC") else "desc"
        assert got == orm(expression("category__name", method, nulls))
        uncategorised = [p.pk for p in Post.objects.filter(category=None).order_by("pk")]
        assert uncategorised
        if nulls == "first":
            assert got[: len(uncategorised)] == uncategorised
        else:
            assert got[-len(uncategorised) :] == uncategorised


# ---------------------------------------------------------------------------------------------
# Nested to-one keys, several items, ties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_by", "ordering"),
    [
        ([{"author": {"name": "DESC"}}], [F("author__name").desc()]),
        ([{"author": {"name": "ASC"}}], [F("author__name").asc()]),
        ([{"author": {"id": "DESC"}}], [F("author__pk").desc()]),
        ([{"category": {"parent": {"name": "ASC"}}}], [F("category__parent__name").asc()]),
        (
            [{"author": {"name": "ASC"}}, {"views": "DESC"}],
            [F("author__name").asc(), F("views").desc()],
        ),
    ],
    ids=str,
)
def test_nested_to_one_keys(graphql, shelf, order_by, ordering):
    assert ordered(graphql, order_by) == orm(*ordering)


def test_several_items_apply_in_list_order(graphql, shelf):
    first = [{"status": "ASC"}, {"views": "DESC"}, {"title": "ASC"}]
    expected = orm(F("status").asc(), F("views").desc(), F("title").asc())
    assert ordered(graphql, first) == expected
    reversed_items = list(reversed(first))
    assert ordered(graphql, reversed_items) == orm(
        F("title").asc(), F("views").desc(), F("status").asc()
    )
    assert ordered(graphql, reversed_items) != expected  # the order of the items matters


def test_ties_are_broken_by_ascending_id(graphql, db):
    author = f.author()
    same = [f.post(author=author, views=7, rating=2.0) for _ in range(4)]
    other = [f.post(author=author, views=9, rating=None) for _ in range(3)]
    low = f.post(author=author, views=1, rating=2.0)
    same_ids, other_ids = [p.pk for p in same], [p.pk for p in other]
    assert ordered(graphql, [{"views": "DESC"}]) == other_ids + same_ids + [low.pk]
    assert ordered(graphql, [{"views": "ASC"}]) == [low.pk, *same_ids, *other_ids]
    assert ordered(graphql, [{"rating": "DESC_NULLS_FIRST"}]) == other_ids + same_ids + [low.pk]
    assert ordered(graphql, [{"rating": "ASC_NULLS_LAST"}]) == [*same_ids, low.pk, *other_ids]
    assert ordered(graphql, [{"body": "DESC"}]) == sorted([*same_ids, *other_ids, low.pk])
    assert ordered(graphql, [{"author": {"name": "DESC"}}]) == sorted(
        [*same_ids, *other_ids, low.pk]
    )
    # without order_by: the id
    assert ids(graphql("{ posts { id } }").ok()["posts"]) == sorted([*same_ids, *other_ids, low.pk])


def test_pages_never_repeat_or_skip_rows_on_ties(graphql, shelf):
    query = """query($o: [PostOrder!], $p: Int) {
      post_pages(order_by: $o, page: $p, page_size: 5) { items { id } }
    }"""
    order_by = [{"status": "DESC"}, {"is_featured": "ASC"}]
    pages = []
    for page in range(1, 6):
        rows = graphql(query, {"o": order_by, "p": page}).ok()["post_pages"]["items"]
        pages += ids(rows)
    assert pages == orm(F("status").desc(), F("is_featured").asc())
    assert len(set(pages)) == len(shelf)


# ---------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order_by",
    [
        [{"views": "ASC", "title": "DESC"}],
        [{"views": "ASC"}, {"rating": "DESC", "id": "ASC"}],
        [{}],
        [{"views": None}],
        [{"author": {"name": "ASC", "email": "DESC"}}],
        [{"author": {}}],
    ],
    ids=str,
)
def test_an_item_takes_exactly_one_key(graphql, shelf, order_by):
    result = graphql(POSTS, {"o": order_by})
    assert result.codes == ["BAD_USER_INPUT"], result.body
    assert "order_by" in result.errors[0]["message"]


def test_unknown_direction_or_to_many_key_is_refused(graphql, shelf):
    assert graphql(POSTS, {"o": [{"views": "UP"}]}).codes == ["BAD_USER_INPUT"]
    assert graphql("{ posts(order_by: [{comments: ASC}]) { id } }").codes == [
        "GRAPHQL_VALIDATION_FAILED"
    ]


def with_policy(name: str):
    return override_settings(
        DJANGO_GRAPHQL_AUTO={
            "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
            "POLICY": f"tests.policies.{name}",
        }
    )


@with_policy("HideAuthorEmail")
def test_ordering_by_an_unreadable_field_is_forbidden(graphql, shelf):
    result = graphql(POSTS, {"o": [{"author": {"email": "ASC"}}]})
    assert result.codes == ["FORBIDDEN"], result.body
    assert ordered(graphql, [{"author": {"name": "ASC"}}]) == orm(F("author__name").asc())


@with_policy("HideDraftPosts")
def test_ordering_through_a_hidden_row_treats_it_as_empty(graphql, shelf):
    """A comment's draft post does not exist for this caller: its key orders like a null."""
    comments = [f.comment(post=post) for post in shelf[:12]]
    query = """{ comments(order_by: [{post: {views: DESC_NULLS_LAST}}], limit: 100) { id } }"""
    got = ids(graphql(query).ok()["comments"])

    def key(comment):
        post = comment.post
        hidden = post.status == Post.Status.DRAFT
        return (hidden, 0 if hidden else -post.views, comment.pk)

    hidden = [c for c in comments if c.post.status == Post.Status.DRAFT]
    assert hidden and len(hidden) < len(comments)
    assert got == [c.pk for c in sorted(comments, key=key)]


# ---------------------------------------------------------------------------------------------
# Nested to-many lists: ordering, limits per parent, filters and counts
# ---------------------------------------------------------------------------------------------


def test_nested_list_order_and_limit_apply_per_parent(graphql, shelf):
    query = """{ authors(order_by: [{id: ASC}]) {
      id
      top: posts(order_by: [{views: DESC}], limit: 3) { id views }
      next: posts(order_by: [{views: DESC}], limit: 2, offset: 3) { id }
      rated: posts(order_by: [{rating: ASC_NULLS_LAST}, {title: DESC}]) { id }
      posts_count
    } }"""
    rows = graphql(query).ok()["authors"]
    assert [int(r["id"]) for r in rows] == list(
        Author.objects.order_by("pk").values_list("pk", flat=True)
    )
    with_posts = 0
    for row in rows:
        mine = Post.objects.filter(author_id=row["id"])
        by_views = orm(F("views").desc(), queryset=mine)
        assert ids(row["top"]) == by_views[:3]
        assert ids(row["next"]) == by_views[3:5]
        assert ids(row["rated"]) == orm(
            F("rating").asc(nulls_last=True), F("title").desc(), queryset=mine
        )
        assert row["posts_count"] == mine.count()
        with_posts += bool(row["top"])
    # every author with posts got their own top three: the limit is per parent, not global
    assert with_posts == 4
    assert sum(len(r["top"]) for r in rows) == 12


def test_nested_list_filters_order_and_counts_together(graphql, shelf):
    query = """query($pf: PostFilter) {
      categories(order_by: [{name: ASC}]) {
        id
        posts(filters: $pf, order_by: [{author: {name: ASC}}, {price: DESC}], limit: 4) { id }
        posts_count(filters: $pf)
        children(order_by: [{name: DESC}]) { id }
      }
      authors(filters: {posts: {isnull: false}}, order_by: [{name: DESC}]) {
        id
        posts(filters: {rating: {isnull: false}}, order_by: [{published_at: DESC_NULLS_LAST}]) {
          id
        }
        posts_count(filters: {rating: {isnull: false}})
      }
    }"""
    post_filter = {"or": [{"status": {"exact": "PUBLISHED"}}, {"views": {"gte": 10}}]}
    data = graphql(query, {"pf": post_filter}).ok()
    chosen = Q(status="published") | Q(views__gte=10)
    categories = list(Category.objects.order_by("name", "pk"))
    assert [int(c["id"]) for c in data["categories"]] == [c.pk for c in categories]
    for row, category in zip(data["categories"], categories, strict=True):
        mine = category.posts.filter(chosen)
        assert (
            ids(row["posts"]) == orm(F("author__name").asc(), F("price").desc(), queryset=mine)[:4]
        )
        assert row["posts_count"] == mine.count()
        assert ids(row["children"]) == list(
            category.children.order_by("-name", "pk").values_list("pk", flat=True)
        )
    authors = Author.objects.filter(posts__isnull=False).distinct().order_by("-name", "pk")
    assert [int(a["id"]) for a in data["authors"]] == [a.pk for a in authors]
    for row, author in zip(data["authors"], authors, strict=True):
        rated = author.posts.filter(rating__isnull=False)
        assert (
            ids(row["posts"]) == orm(F("published_at").desc(nulls_last=True), queryset=rated)[:20]
        )
        assert row["posts_count"] == rated.count()


def test_inherited_fields_and_relations_of_a_child_model(graphql, db):
    """Doctor inherits its names from Person (multi-table inheritance)."""
    from clinic.models import Doctor

    north, south = f.clinic(name="North"), f.clinic(name="South")
    for first, clinic in (("Zoe", north), ("Adam", south), ("Mia", north), ("Adam", north)):
        f.doctor(first_name=first, clinic=clinic)
    query = """{ doctors(order_by: [{clinic: {name: DESC}}, {first_name: ASC}]) { id } }"""
    got = ids(graphql(query).ok()["doctors"])
    expected = Doctor.objects.order_by(F("clinic__name").desc(), "first_name", "pk")
    assert got == list(expected.values_list("pk", flat=True))


@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
        "NAME_CASE": "camel",
    }
)
def test_camel_case_names_order_the_same_rows(graphql, shelf):
    query = """query($o: [PostOrder!]) { posts(orderBy: $o, limit: 100) { id } }"""
    order_by = [{"publishedAt": "DESC_NULLS_LAST"}, {"isFeatured": "ASC"}]
    got = ids(graphql(query, {"o": order_by}).ok()["posts"])
    assert got == orm(F("published_at").desc(nulls_last=True), F("is_featured").asc())
    nested = """{ authors { posts(orderBy: [{readingTime: ASC_NULLS_FIRST}], limit: 2) { id } } }"""
    for row, author in zip(
        graphql(nested).ok()["authors"], Author.objects.order_by("pk"), strict=True
    ):
        mine = Post.objects.filter(author=author)
        assert ids(row["posts"]) == orm(F("reading_time").asc(nulls_first=True), queryset=mine)[:2]
    refused = graphql(query, {"o": [{"publishedAt": "ASC", "isFeatured": "ASC"}]})
    assert refused.codes == ["BAD_USER_INPUT"]
    assert "orderBy" in refused.errors[0]["message"]
