"""Limits, offsets and pages: defaults, maximums, refusals and exact `page_info` at the edges."""

from __future__ import annotations

import pytest
from blog.models import Post
from django.test import override_settings

from tests import factories as f

pytestmark = pytest.mark.django_db

PAGE = """query($page: Int, $size: Int) {
  post_pages(page: $page, page_size: $size) {
    items { id }
    page_info { total_count page page_size total_pages has_next_page has_previous_page }
  }
}"""


def _ids(rows):
    return [int(r["id"]) for r in rows]


@pytest.fixture
def posts():
    author = f.author()
    return [f.post(author=author, views=i % 3) for i in range(25)]


def test_list_defaults_to_20_rows_in_id_order(graphql, posts):
    rows = graphql("{ posts { id } }").ok()["posts"]
    assert _ids(rows) == sorted(p.pk for p in posts)[:20]


def test_limit_and_offset(graphql, posts):
    rows = graphql("{ posts(limit: 5, offset: 22) { id } }").ok()["posts"]
    assert _ids(rows) == sorted(p.pk for p in posts)[22:]


@pytest.mark.parametrize("value", [0, -1, 101])
def test_limit_out_of_range_is_refused(graphql, posts, value):
    result = graphql(f"{{ posts(limit: {value}) {{ id }} }}")
    assert result.codes == ["BAD_USER_INPUT"]
    assert "'limit'" in result.errors[0]["message"]
    assert result.errors[0]["extensions"]["argument"] == "limit"


def test_negative_offset_is_refused(graphql, posts):
    result = graphql("{ posts(offset: -1) { id } }")
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["argument"] == "offset"


@pytest.mark.parametrize(("page", "size"), [(0, 5), (-2, 5), (1, 0), (1, -5), (1, 101)])
def test_bad_page_arguments_are_refused(graphql, posts, page, size):
    result = graphql(PAGE, {"page": page, "size": size})
    assert result.codes == ["BAD_USER_INPUT"]
    argument = "page" if page < 1 else "page_size"
    assert result.errors[0]["extensions"]["argument"] == argument


def test_nested_list_limits_are_enforced(graphql, posts):
    result = graphql("{ authors { posts(limit: 500) { id } } }")
    assert result.codes == ["BAD_USER_INPUT"]
    rows = graphql("{ authors { posts { id } } }").ok()["authors"]
    assert len(rows[0]["posts"]) == 20  # the default applies to nested lists too


@pytest.mark.parametrize(
    ("page", "size", "expected"),
    [
        (1, 10, dict(page=1, total_pages=3, has_next_page=True, has_previous_page=False)),
        (3, 10, dict(page=3, total_pages=3, has_next_page=False, has_previous_page=True)),
        (5, 5, dict(page=5, total_pages=5, has_next_page=False, has_previous_page=True)),
        (6, 5, dict(page=6, total_pages=5, has_next_page=False, has_previous_page=True)),
        (1, 25, dict(page=1, total_pages=1, has_next_page=False, has_previous_page=False)),
        (1, 100, dict(page=1, total_pages=1, has_next_page=False, has_previous_page=False)),
    ],
)
def test_page_info_at_the_edges(graphql, posts, page, size, expected):
    data = graphql(PAGE, {"page": page, "size": size}).ok()["post_pages"]
    ordered = sorted(p.pk for p in posts)
    assert _ids(data["items"]) == ordered[(page - 1) * size : page * size]
    assert data["page_info"] == {"total_count": 25, "page_size": size, **expected}


def test_zero_rows_have_zero_pages(graphql):
    data = graphql(PAGE, {"page": 1, "size": 10}).ok()["post_pages"]
    assert data == {
        "items": [],
        "page_info": {
            "total_count": 0,
            "page": 1,
            "page_size": 10,
            "total_pages": 0,
            "has_next_page": False,
            "has_previous_page": False,
        },
    }


def test_pages_walk_every_row_exactly_once(graphql, posts):
    """Ties on `views` are broken by id, so consecutive pages never overlap or skip."""
    seen = []
    page = 1
    while True:
        data = graphql(
            """query($page: Int) { post_pages(page: $page, page_size: 4,
                 order_by: [{views: DESC}]) { items { id } page_info { has_next_page } } }""",
            {"page": page},
        ).ok()["post_pages"]
        seen += _ids(data["items"])
        if not data["page_info"]["has_next_page"]:
            break
        page += 1
    expected = list(Post.objects.order_by("-views", "pk").values_list("pk", flat=True))
    assert seen == expected


def test_page_size_settings_apply(graphql, posts):
    with override_settings(
        GRAPHQL_AUTO_MODELS={"blog.Post": {"DEFAULT_PAGE_SIZE": 3, "MAX_PAGE_SIZE": 4}}
    ):
        assert len(graphql("{ posts { id } }").ok()["posts"]) == 3
        result = graphql("{ posts(limit: 5) { id } }")
        assert result.codes == ["BAD_USER_INPUT"]
        assert "between 1 and 4" in result.errors[0]["message"]


def test_aliases_of_items_are_planned_separately(graphql, posts):
    data = graphql(
        """{ post_pages(page: 1, page_size: 2) {
             a: items { id }
             b: items { id title }
           } }"""
    ).ok()["post_pages"]
    assert _ids(data["a"]) == _ids(data["b"])
    assert all("title" in row for row in data["b"])
