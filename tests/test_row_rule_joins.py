"""Row rules that join to-many relations (execution/context.py `RequestContext.visible`).

A rule such as ``filter(comments__is_approved=True).distinct()`` joins rows it does not return.
Merged into the planner's own queries (a nested list's parent key and window, a count), those
joins repeated rows and picked the wrong ones. Each answer here is checked against the rows
read one parent at a time with the ORM, on both execution paths.
"""

from __future__ import annotations

import orjson
import pytest
from blog.models import Post, Tag
from django.test import override_settings

from tests import factories as f
from tests.test_compiled import _both

pytestmark = pytest.mark.django_db


def policy(name: str):
    return override_settings(DJANGO_GRAPHQL_AUTO={"POLICY": f"tests.policies.{name}"})


def _same_on_both_paths(monkeypatch, query: str) -> dict:
    fast, general, calls = _both(monkeypatch, query, None)
    assert calls == [True], "the compiled path should have answered this document"
    assert orjson.dumps(fast.payload) == orjson.dumps(general.payload)
    assert not fast.payload.get("errors"), fast.payload
    return fast.payload["data"]


@policy("PostsWithApprovedComments")
def test_a_rule_joining_a_reverse_foreign_key_keeps_each_parents_own_rows(monkeypatch):
    authors = [f.author(), f.author()]
    for author in authors:
        for views in (5, 4, 3):
            post = f.post(author=author, views=views)
            # Two approved comments each (the join repeats the post), none on the 4-view posts.
            for approved in (views != 4, views != 4, False):
                f.comment(post=post, is_approved=approved)
    query = """{ authors { posts(limit: 2, order_by: [{views: DESC}]) { views comments_count }
                           posts_count } }"""
    data = _same_on_both_paths(monkeypatch, query)
    visible = Post.objects.filter(comments__is_approved=True).distinct()
    expected = []
    for author in authors:
        rows = visible.filter(author=author).order_by("-views")
        expected.append(
            {
                "posts": [{"views": p.views, "comments_count": 3} for p in rows[:2]],
                "posts_count": rows.count(),
            }
        )
    assert data == {"authors": expected}
    assert [p["views"] for p in data["authors"][0]["posts"]] == [5, 3]


@policy("TagsOfPublishedPosts")
def test_a_rule_joining_the_listed_many_to_many_keeps_each_parents_own_rows(monkeypatch):
    tags = [f.tag(name=name) for name in ("a", "b", "c", "d")]
    f.post(status="published", tags=tags[:2])  # makes a and b visible
    f.post(status="published", tags=tags[2:3])  # and c
    draft = f.post(status="draft", tags=tags)  # a draft's own tags are visible ones too
    query = "{ posts(order_by: [{id: ASC}]) { id tags(limit: 2) { name } tags_count } }"
    data = _same_on_both_paths(monkeypatch, query)
    visible = set(Tag.objects.filter(posts__status="published").values_list("pk", flat=True))
    expected = []
    for post in Post.objects.order_by("pk"):
        names = [t.name for t in post.tags.order_by("pk") if t.pk in visible]
        expected.append({"id": str(post.pk), "tags": [{"name": n} for n in names[:2]]})
        expected[-1]["tags_count"] = len(names)
    assert data == {"posts": expected}
    assert expected[-1] == {
        "id": str(draft.pk),
        "tags": [{"name": "a"}, {"name": "b"}],
        "tags_count": 3,
    }


@pytest.mark.parametrize("rule", [None, "KeepEveryPatient"])
def test_a_count_through_a_model_counts_what_the_list_shows(monkeypatch, rule):
    """Doctor.patients goes through Appointment: a patient seen twice is listed twice and
    counted twice, whether or not a row rule restricts patients (it used to add DISTINCT)."""
    doctor, regular = f.doctor(), f.patient(first_name="Regular")
    for patient in (regular, f.patient(first_name="Once"), regular):
        f.appointment(doctor=doctor, patient=patient)
    query = "{ doctors { patients_count patients(limit: 5) { first_name } } }"
    if rule is None:
        data = _same_on_both_paths(monkeypatch, query)
    else:
        with policy(rule):
            data = _same_on_both_paths(monkeypatch, query)
    (listed,) = data["doctors"]
    assert listed["patients_count"] == len(listed["patients"]) == 3
