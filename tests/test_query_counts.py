"""The number of SQL queries depends on the shape of the document, never on the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests import factories as f

pytestmark = pytest.mark.django_db

NESTED = """{
  posts(limit: 100) {
    id title
    author { name posts(limit: 5, order_by: [{views: DESC}]) { title category { name } } }
    tags { name }
    comments_count
    comments(limit: 3, filters: {is_approved: {exact: true}}) { body post { title } }
  }
}"""

CLINIC = """{
  appointments(limit: 100) {
    fee
    patient { first_name appointments_count }
    doctor { first_name clinic { name } patients(limit: 2) { last_name } }
    prescriptions { dosage drug { name } }
  }
}"""


def _blog(n: int) -> None:
    categories = [f.category() for _ in range(3)]
    tags = [f.tag() for _ in range(4)]
    authors = [f.author() for _ in range(max(1, n // 5))]
    for i in range(n):
        post = f.post(
            author=authors[i % len(authors)],
            category=categories[i % 3] if i % 4 else None,
            tags=tags[: i % 4],
            views=i,
        )
        for j in range(i % 3):
            f.comment(post=post, is_approved=bool(j % 2))


def _clinic(n: int) -> None:
    doctors = [f.doctor() for _ in range(3)]
    drugs = [f.drug() for _ in range(3)]
    for i in range(n):
        appointment = f.appointment(doctor=doctors[i % 3])
        for j in range(i % 3):
            f.prescription(appointment=appointment, drug=drugs[j])


def _count(graphql, document: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        data = graphql(document).ok()
    return len(queries), data


@pytest.mark.parametrize(("document", "build"), [(NESTED, _blog), (CLINIC, _clinic)])
def test_query_count_does_not_grow_with_rows(graphql, document, build):
    build(10)
    small, small_data = _count(graphql, document)
    build(490)
    large, large_data = _count(graphql, document)
    root = next(iter(large_data))
    assert len(small_data[root]) == 10
    assert len(large_data[root]) == 100
    assert small == large
    assert small <= 8


# 100 posts x 100 posts each is over the default MAX_QUERY_COST (10,000), on purpose.
@override_settings(DJANGO_GRAPHQL_AUTO={"MAX_QUERY_COST": 100_000})
def test_list_to_one_to_many_to_one_is_constant(graphql):
    """The acceptance shape: list -> to-one -> to-many -> to-one, 10 and 500 rows."""
    document = "{ posts(limit: 100) { author { posts(limit: 100) { category { name } } } } }"
    _blog(10)
    small, _ = _count(graphql, document)
    _blog(490)
    large, data = _count(graphql, document)
    assert small == large == 2  # posts+authors joined; nested posts+categories joined
    assert sum(len(p["author"]["posts"]) for p in data["posts"]) > 100


def test_nested_limit_is_applied_in_sql(graphql):
    """Nested `limit` is a window per parent: no more rows than needed leave the database."""
    author = f.author()
    for i in range(30):
        f.post(author=author, views=i)
    other = f.author()
    f.post(author=other)
    with CaptureQueriesContext(connection) as queries:
        data = graphql(
            "{ authors { name posts(limit: 3, order_by: [{views: DESC}]) { views } } }"
        ).ok()
    assert [p["views"] for p in data["authors"][0]["posts"]] == [29, 28, 27]
    nested_sql = queries.captured_queries[1]["sql"]
    assert "ROW_NUMBER" in nested_sql.upper()
    with connection.cursor() as cursor:
        cursor.execute(nested_sql.replace("%", "%%"))
        assert len(cursor.fetchall()) == 4  # 3 for the first author, 1 for the other


def test_only_selected_columns_are_loaded(graphql):
    f.post(body="x" * 1000)
    with CaptureQueriesContext(connection) as queries:
        graphql("{ posts { title } }").ok()
    sql = queries.captured_queries[0]["sql"]
    assert '"title"' in sql and '"body"' not in sql


def test_nested_counts_are_computed_for_the_windowed_rows_only(graphql):
    """`<relation>_count` under a nested `limit` is computed for the rows the window keeps, as a
    hand-written view does, not for every related row before the window drops it."""
    authors = [f.author() for _ in range(3)]
    for i in range(24):
        post = f.post(author=authors[i % 3], views=i, status="published" if i % 2 else "draft")
        for _ in range(i % 4):
            f.comment(post=post, is_approved=bool(i % 3))
    document = """{ authors { id posts(limit: 2, offset: 1, order_by: [{views: DESC}],
                              filters: {status: {exact: PUBLISHED}}) {
        views comments_count approved: comments_count(filters: {is_approved: {exact: true}})
    } } }"""
    with CaptureQueriesContext(connection) as queries:
        data = graphql(document).ok()
    assert len(queries) == 2
    for author, got in zip(authors, data["authors"], strict=True):
        posts = author.posts.filter(status="published").order_by("-views", "pk")[1:3]
        expected = [
            {
                "views": post.views,
                "comments_count": post.comments.count(),
                "approved": post.comments.filter(is_approved=True).count(),
            }
            for post in posts
        ]
        assert got["posts"] == expected
    nested_sql = queries.captured_queries[1]["sql"]
    # The counts sit in the outer SELECT; the window picks the ids in a subquery.
    outer, _, windowed = nested_sql.partition('"id" IN (SELECT')
    assert windowed and "ROW_NUMBER" in windowed.upper()
    assert outer.upper().count("COUNT(") == 2 and "COUNT(" not in windowed.upper()


def _authors_with_posts(count: int, category) -> None:
    import uuid

    from blog.models import Author, Post

    start = Author.objects.count()
    authors = Author.objects.bulk_create(
        Author(name=f"A{start + i}", email=f"bulk{start + i}@example.com") for i in range(count)
    )
    Post.objects.bulk_create(
        Post(
            title=f"{a.name}-{j}",
            slug="s",
            body="b",
            author=a,
            category=category,
            views=j,
            uuid=uuid.uuid4(),
        )
        for a in authors
        for j in range(5)
    )


ACCEPTANCE = """{ authors(limit: 1000, order_by: [{name: ASC}]) {
    name posts(limit: 3, order_by: [{views: DESC}]) { title category { name } } } }"""


@pytest.mark.parametrize("path", ["compiled", "general executor"])
@override_settings(
    DJANGO_GRAPHQL_AUTO={"MAX_QUERY_COST": 1_000_000},
    GRAPHQL_AUTO_APPS={
        "blog": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]}
    },
    GRAPHQL_AUTO_MODELS={"blog.Author": {"MAX_PAGE_SIZE": 1000}},
)
def test_nested_limited_list_costs_the_same_for_10_and_1000_parents(graphql, monkeypatch, path):
    """Issue 4's acceptance shape: list -> nested list(limit: 3) -> to-one. The same statements
    for 10 and 1,000 parents, and the nested query returns 3 rows per parent, not all 5."""
    from django_graphql_auto.execution import engine

    if path == "general executor":
        monkeypatch.setattr(engine, "execute_compiled", lambda *args: None)
    category = f.category(name="News")
    _authors_with_posts(10, category)
    small, small_data = _count(graphql, ACCEPTANCE)
    _authors_with_posts(990, category)
    with CaptureQueriesContext(connection) as queries:
        data = graphql(ACCEPTANCE).ok()
    assert len(data["authors"]) == 1000 and len(small_data["authors"]) == 10
    assert small == len(queries) == 2
    first = data["authors"][0]
    assert [p["title"] for p in first["posts"]] == [f"{first['name']}-{j}" for j in (4, 3, 2)]
    assert all(p["category"] == {"name": "News"} for a in data["authors"] for p in a["posts"])
    nested_sql = queries.captured_queries[1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(nested_sql.replace("%", "%%"))
        assert len(cursor.fetchall()) == 3 * 1000


def test_lists_under_lists_read_as_values_cost_one_statement_per_list(graphql, monkeypatch):
    """A flat selection's lists, and their lists, are read as values rows: one statement per
    list and level, for 10 authors as for 100."""
    from django_graphql_auto.execution.planner import Planner

    read = []
    real = Planner.list_values
    monkeypatch.setattr(
        Planner, "list_values", lambda self, *args: read.append(1) or real(self, *args)
    )
    document = """{ authors(limit: 100) { name posts(limit: 3) { title
        comments(limit: 2) { body } tags { name } } } }"""
    _blog(50)  # 10 authors
    small, small_data = _count(graphql, document)
    _blog(450)  # 100 authors
    large, large_data = _count(graphql, document)
    assert read, "the lists should have been read as values"
    assert len(small_data["authors"]) == 10 and len(large_data["authors"]) == 100
    assert small == large == 4  # authors, their posts, the posts' comments, the posts' tags
    posts = [p for a in large_data["authors"] for p in a["posts"]]
    assert all(len(p["comments"]) <= 2 for p in posts) and any(p["comments"] for p in posts)
    assert any(p["tags"] for p in posts)


def _chains(count: int) -> list[tuple]:
    """`count` category chains root -> middle -> leaf, each with a post in the middle one (by
    its own author) and a comment on it."""
    made = []
    for _ in range(count):
        root = f.category()
        middle = f.category(parent=root)
        f.category(parent=middle)
        post = f.post(category=middle)
        f.comment(post=post)
        made.append(post)
    return made


def _counted(posts: list) -> dict:
    return {"authors": [{"posts": [{"category": {"children_count": 1}}]} for _ in posts]}


def _counted_through_back_reference(posts: list) -> dict:
    return {"posts": [{"comments": [{"post": {"author": {"posts_count": 1}}}]} for _ in posts]}


def _counted_two_levels_down(posts: list) -> dict:
    chain = [{"posts": []}, {"posts": [{"category": {"parent": {"children_count": 1}}}]}]
    return {"categories": [level for _ in posts for level in (*chain, {"posts": []})]}


def _back_reference(posts: list) -> dict:
    return {"posts": [{"comments": [{"post": {"title": p.title}}]} for p in posts]}


# (document, statements, expected data): a to-one with a `_count` is prefetched, not joined;
# under a reverse-FK list Django used to load it again per row. A list's rows selecting their
# parent asked for one column twice and fell back to the general executor (twice the SQL).
COUNTED_TO_ONE = [
    ("{ authors { posts(limit: 2) { category { children_count } } } }", 3, _counted),
    (
        "{ posts { comments(limit: 1) { post { author { posts_count } } } } }",
        3,
        _counted_through_back_reference,
    ),
    (
        "{ categories(limit: 30) { posts(limit: 2) { category { parent { children_count } } } } }",
        3,
        _counted_two_levels_down,
    ),
    ("{ posts { comments(limit: 1) { post { title } } } }", 2, _back_reference),
]


@pytest.mark.parametrize("path", ["compiled", "general executor"])
@pytest.mark.parametrize(("document", "statements", "expected"), COUNTED_TO_ONE)
def test_a_to_one_under_a_nested_list_costs_the_same_for_2_and_8_parents(
    graphql, monkeypatch, path, document, statements, expected
):
    from django_graphql_auto.execution import engine

    if path == "general executor":
        monkeypatch.setattr(engine, "execute_compiled", lambda *args: None)
    posts = _chains(2)
    small, small_data = _count(graphql, document)
    posts += _chains(6)
    large, large_data = _count(graphql, document)
    assert small == large == statements
    assert small_data == expected(posts[:2])
    assert large_data == expected(posts)


def _profiles(count: int) -> None:
    """`count` users, each in the group "writers", with an author profile that wrote one to
    three posts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    writers, _ = Group.objects.get_or_create(name="writers")
    user_model = get_user_model()
    for _ in range(count):
        user = user_model.objects.create_user(f"writer{user_model.objects.count()}")
        user.groups.add(writers)
        author = f.author(user=user)
        for _ in range(1 + user.pk % 3):
            f.post(author=author)


def _profile_of(user) -> dict | None:
    from blog.models import Author

    try:
        return user.author_profile
    except Author.DoesNotExist:
        return None


def _authors_back_through_user_counted(authors, users, groups) -> dict:
    return {
        "authors": [
            {"user": {"groups_count": 1, "author_profile": {"name": a.name}}} for a in authors
        ]
    }


def _users_back_through_profile_counted(authors, users, groups) -> dict:
    rows = []
    for user in users:
        profile = _profile_of(user)
        rows.append(
            {
                "author_profile": profile
                and {"posts_count": profile.posts.count(), "user": {"username": user.username}}
            }
        )
    return {"users": rows}


def _authors_back_through_user(authors, users, groups) -> dict:
    return {"authors": [{"user": {"author_profile": {"name": a.name}}} for a in authors]}


def _groups_to_profiles(authors, users, groups) -> dict:
    return {
        "groups": [
            {"user_set": [{"author_profile": {"name": u.author_profile.name}} for u in g]}
            for g in groups
        ]
    }


def _posts_to_counted_profile(authors, users, groups) -> dict:
    from blog.models import Post

    return {
        "posts": [
            {"author": {"user": {"author_profile": {"posts_count": n, "email": p.author.email}}}}
            for p in Post.objects.select_related("author").order_by("pk")
            for n in [p.author.posts.count()]
        ]
    }


def _back_and_forth(authors, users, groups) -> dict:
    return {
        "authors": [
            {"user": {"author_profile": {"user": {"username": a.user.username}}}} for a in authors
        ]
    }


# A one-to-one read back through itself (`author.user.author_profile` is the author): Django's
# prefetch and select_related cache the back-reference as the parent row, which was loaded
# with a few columns only, and reading it loaded the others with one SELECT per row.
# (document, its own statements, expected data); the session and the user cost 2 more.
ONE_TO_ONE_BACK = [
    (
        "{ authors(limit: 100) { user { groups_count author_profile { name } } } }",
        2,  # authors, their users (prefetched for the count)
        _authors_back_through_user_counted,
    ),
    (
        "{ users(limit: 100) { author_profile { posts_count user { username } } } }",
        2,
        _users_back_through_profile_counted,
    ),
    (
        "{ authors(limit: 100) { user { author_profile { name } } } }",
        1,  # joined
        _authors_back_through_user,
    ),
    ("{ groups { user_set { author_profile { name } } } }", 2, _groups_to_profiles),
    (
        # the count read back through the one-to-one makes the author a level of its own
        "{ posts(limit: 100) { author { user { author_profile { posts_count email } } } } }",
        2,
        _posts_to_counted_profile,
    ),
    (
        "{ authors(limit: 100) { user { author_profile { user { username } } } } }",
        1,
        _back_and_forth,
    ),
]


def _admin_data() -> tuple[list, list, list]:
    from blog.models import Author
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    authors = list(Author.objects.select_related("user").order_by("pk"))
    users = list(get_user_model().objects.order_by("pk"))
    groups = [
        list(g.user_set.select_related("author_profile").order_by("pk"))
        for g in Group.objects.order_by("pk")
    ]
    return authors, users, groups


@pytest.mark.parametrize(("document", "statements", "expected"), ONE_TO_ONE_BACK)
def test_a_one_to_one_read_back_through_itself_costs_the_same_for_2_and_8_rows(
    graphql, client, monkeypatch, document, statements, expected
):
    """Admin schema (auth.User exposed): both paths, 2 and 8 profiles, the same statements
    and the same data."""
    from django.contrib.auth import get_user_model

    from django_graphql_auto.execution import engine

    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    real = engine.execute_compiled
    answered = []

    def compiled(*args):
        result = real(*args)
        answered.append(result is not None)
        return result

    counts: dict[tuple[str, int], int] = {}
    for total, add in ((2, 2), (8, 6)):
        _profiles(add)
        for path, execute in (("compiled", compiled), ("general", lambda *args: None)):
            monkeypatch.setattr(engine, "execute_compiled", execute)
            with CaptureQueriesContext(connection) as queries:
                data = graphql(document, path="/admin-graphql/").ok()
            counts[path, total] = len(queries)
            assert data == expected(*_admin_data()), path
    assert answered == [True, True], "the compiled path should have answered"
    assert set(counts.values()) == {2 + statements}, counts
