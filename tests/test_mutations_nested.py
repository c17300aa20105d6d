"""Nested writes: creates several levels deep, to-many changes on update, all in one transaction.

A nested input whose deepest object is invalid leaves no row anywhere and reports the full dotted
path; inputs that lead back to the enclosing object are refused, and so is nesting deeper than
`MAX_NESTED_DEPTH`. Update semantics of relations: `tags` replaces the set, `add_tags` /
`remove_tags` change it, `nested_comments` creates children, `update_comments` /
`delete_comments` reach only children of the object being updated.
"""

from __future__ import annotations

from typing import Any

import pytest
from blog.models import Author, Category, Comment, Post, Tag
from clinic.models import Appointment, Clinic, Doctor, Drug, Patient, Prescription
from django.apps import apps
from django.test.utils import override_settings

from django_graphql_auto.security.policy import Policy
from tests import factories

pytestmark = pytest.mark.django_db

RESULT = "ok errors object { id } field_errors { field messages code }"
SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}


def row_counts() -> dict[str, int]:
    """Rows in every table of the example apps, through tables included."""
    counts = {}
    for app in ("blog", "clinic"):
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            if not model._meta.proxy:
                counts[model._meta.label] = model._base_manager.count()
    return counts


def run(graphql, mutation: str, input_type: str, data: dict[str, Any], selection: str = RESULT):
    result = graphql(
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {selection} }} }}",
        {"input": data},
    )
    assert result.status == 200, result.body
    return result.ok()[mutation]


def patient_input() -> dict[str, Any]:
    return {"first_name": "Pat", "last_name": "Ient", "blood_type": "O_NEG"}


def doctor_input() -> dict[str, Any]:
    return {
        "first_name": "Doc",
        "last_name": "Tor",
        "license_number": "LIC-NESTED",
        "nested_clinic": {
            "name": "Nested Clinic",
            "opening_time": "08:00:00",
            "closing_time": "16:00:00",
        },
    }


def appointment_input(drug_name: str) -> dict[str, Any]:
    return {
        "starts_at": "2024-06-01T09:00:00+00:00",
        "fee": "75.00",
        "nested_patient": patient_input(),
        "nested_doctor": doctor_input(),
        "nested_prescriptions": [
            {
                "dosage": "1 daily",
                "nested_drug": {"name": "Fine", "code": "fine", "unit_price": "1.00"},
            },
            {
                "dosage": "2 daily",
                "quantity": 3,
                "nested_drug": {"name": drug_name, "code": "deep", "unit_price": "2.00"},
            },
        ],
    }


# --- a deep create: everything or nothing -----------------------------------------------------


def test_three_levels_deep_create_writes_and_links_every_row(graphql):
    data = run(
        graphql,
        "create_appointment",
        "CreateAppointmentInput",
        appointment_input("Deep"),
        "ok field_errors { field } object { id fee patient { first_name blood_type } "
        "doctor { license_number clinic { name } } "
        "prescriptions(order_by: [{id: ASC}]) { dosage quantity drug { name code } } }",
    )
    assert data["ok"] is True, data
    obj = data["object"]
    assert obj["fee"] == "75.00"
    assert obj["patient"] == {"first_name": "Pat", "blood_type": "O_NEG"}
    assert obj["doctor"] == {"license_number": "LIC-NESTED", "clinic": {"name": "Nested Clinic"}}
    assert obj["prescriptions"] == [
        {"dosage": "1 daily", "quantity": 1, "drug": {"name": "Fine", "code": "fine"}},
        {"dosage": "2 daily", "quantity": 3, "drug": {"name": "Deep", "code": "deep"}},
    ]
    appointment = Appointment.objects.get(pk=obj["id"])
    assert appointment.doctor.clinic.name == "Nested Clinic"
    assert sorted(appointment.prescriptions.values_list("drug__name", flat=True)) == [
        "Deep",
        "Fine",
    ]
    assert (Patient.objects.count(), Doctor.objects.count(), Clinic.objects.count()) == (1, 1, 1)
    assert Drug.objects.count() == 2


DEEP_INVALID = [
    pytest.param(
        "create_appointment",
        "CreateAppointmentInput",
        lambda: appointment_input("x" * 101),
        "nested_prescriptions.1.nested_drug.name",
        "max_length",
        id="appointment-prescriptions-drug",
    ),
    pytest.param(
        "create_author",
        "CreateAuthorInput",
        lambda: {
            "name": "A",
            "email": "a@example.com",
            "nested_posts": [
                {"title": "P1", "slug": "p1", "body": "B"},
                {
                    "title": "P2",
                    "slug": "p2",
                    "body": "B",
                    "nested_tags": [{"name": "t"}],
                    "nested_comments": [
                        {"author_name": "ok", "body": "C"},
                        {"author_name": "y" * 101, "body": "C"},
                    ],
                },
            ],
        },
        "nested_posts.1.nested_comments.1.author_name",
        "max_length",
        id="author-posts-comments",
    ),
    pytest.param(
        "create_category",
        "CreateCategoryInput",
        lambda: {
            "name": "Root",
            "slug": "root",
            "nested_children": [
                {
                    "name": "Child",
                    "slug": "child",
                    "nested_posts": [
                        {
                            "title": "P",
                            "slug": "p",
                            "body": "B",
                            "nested_author": {"name": "A", "email": "not-an-email"},
                        }
                    ],
                }
            ],
        },
        "nested_children.0.nested_posts.0.nested_author.email",
        "invalid",
        id="category-children-posts-author",
    ),
]


def _assert_nothing_written(graphql, mutation, input_type, build, path, code):
    factories.prescription()  # existing rows everywhere, so "unchanged" is not "empty"
    factories.comment(post=factories.post(tags=[factories.tag()]))
    before = row_counts()
    data = run(graphql, mutation, input_type, build())
    assert data["ok"] is False and data["object"] is None
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [(path, code)]
    assert row_counts() == before


@pytest.mark.parametrize(("mutation", "input_type", "build", "path", "code"), DEEP_INVALID)
def test_invalid_deepest_object_rolls_everything_back(
    graphql, mutation, input_type, build, path, code
):
    _assert_nothing_written(graphql, mutation, input_type, build, path, code)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("mutation", "input_type", "build", "path", "code"), DEEP_INVALID)
def test_invalid_deepest_object_rolls_back_a_real_transaction(
    graphql, mutation, input_type, build, path, code
):
    """The same without the test's enclosing transaction: the mutation's own one rolls back."""
    _assert_nothing_written(graphql, mutation, input_type, build, path, code)


def test_unique_clash_deep_inside_is_a_field_error_with_its_path(graphql):
    existing = factories.drug(name="Taken")
    before = row_counts()
    data = run(graphql, "create_appointment", "CreateAppointmentInput", appointment_input("Taken"))
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("nested_prescriptions.1.nested_drug.name", "unique")
    ]
    assert row_counts() == before
    assert Drug.objects.get().pk == existing.pk


def test_unknown_id_deep_inside_is_a_field_error(graphql):
    data = run(
        graphql,
        "create_appointment",
        "CreateAppointmentInput",
        {
            **appointment_input("Deep"),
            "nested_prescriptions": [{"dosage": "d", "drug": "987654"}],
        },
    )
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("nested_prescriptions.0.drug", "invalid")
    ]
    assert "No Drug with id 987654." in data["field_errors"][0]["messages"]
    assert Appointment.objects.count() == Patient.objects.count() == 0


def test_required_relation_missing_deep_inside(graphql):
    data = run(
        graphql,
        "create_appointment",
        "CreateAppointmentInput",
        {**appointment_input("Deep"), "nested_prescriptions": [{"dosage": "no drug"}]},
    )
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("nested_prescriptions.0.drug", "required")
    ]
    assert row_counts() == dict.fromkeys(row_counts(), 0)


# --- cycles and depth -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutation", "input_type", "data", "path"),
    [
        pytest.param(
            "create_post",
            "CreatePostInput",
            {
                "title": "T",
                "slug": "t",
                "body": "B",
                "nested_author": {
                    "name": "A",
                    "email": "a@example.com",
                    "nested_posts": [{"title": "Again", "slug": "again", "body": "B"}],
                },
            },
            "nested_author.nested_posts",
            id="post-author-posts",
        ),
        pytest.param(
            "create_comment",
            "CreateCommentInput",
            {
                "author_name": "R",
                "body": "C",
                "nested_post": {
                    "title": "T",
                    "slug": "t",
                    "body": "B",
                    "nested_author": {"name": "A", "email": "a@example.com"},
                    "nested_comments": [{"author_name": "R2", "body": "C2"}],
                },
            },
            "nested_post.nested_comments",
            id="comment-post-comments",
        ),
        pytest.param(
            "create_category",
            "CreateCategoryInput",
            {
                "name": "C",
                "slug": "c",
                "nested_parent": {
                    "name": "P",
                    "slug": "p",
                    "nested_children": [{"name": "Sibling", "slug": "s"}],
                },
            },
            "nested_parent.nested_children",
            id="category-parent-children",
        ),
        pytest.param(
            "create_post",
            "CreatePostInput",
            {
                "title": "T",
                "slug": "t",
                "body": "B",
                "nested_author": {"name": "A", "email": "a@example.com"},
                "nested_comments": [
                    {
                        "author_name": "R",
                        "body": "C",
                        "nested_post": {"title": "Other", "slug": "o", "body": "B"},
                    }
                ],
            },
            "nested_comments.0.nested_post",
            id="post-comments-post",
        ),
        pytest.param(
            "create_clinic",
            "CreateClinicInput",
            {
                "name": "C",
                "opening_time": "08:00:00",
                "closing_time": "09:00:00",
                "nested_doctors": [
                    {
                        "first_name": "D",
                        "last_name": "D",
                        "license_number": "L",
                        "nested_clinic": {
                            "name": "Other",
                            "opening_time": "08:00:00",
                            "closing_time": "09:00:00",
                        },
                    }
                ],
            },
            "nested_doctors.0.nested_clinic",
            id="clinic-doctors-clinic",
        ),
    ],
)
def test_input_leading_back_to_the_enclosing_object_is_refused(
    graphql, mutation, input_type, data, path
):
    before = row_counts()
    result = run(graphql, mutation, input_type, data)
    assert result["ok"] is False
    # Going back through the inverse relation is a cycle; setting the parent's own FK inside
    # one of its children is refused as "set by the enclosing object".
    through_parent_fk = path.endswith((".post", ".nested_post", ".nested_clinic"))
    code = "invalid" if through_parent_fk else "cycle"
    assert [(e["field"], e["code"]) for e in result["field_errors"]] == [(path, code)]
    assert row_counts() == before


def test_nested_child_may_not_name_its_parent(graphql):
    """`nested_comments` items are tied to the post being written; `post` there is refused."""
    other = factories.post()
    before = row_counts()
    result = run(
        graphql,
        "create_post",
        "CreatePostInput",
        {
            "title": "T",
            "slug": "t",
            "body": "B",
            "author": str(other.author_id),
            "nested_comments": [{"author_name": "R", "body": "C", "post": str(other.pk)}],
        },
    )
    assert [(e["field"], e["code"]) for e in result["field_errors"]] == [
        ("nested_comments.0.post", "invalid")
    ]
    assert row_counts() == before


def category_chain(levels: int, prefix: str = "l") -> dict[str, Any]:
    """A category with `levels - 1` generations of nested children below it."""
    node: dict[str, Any] = {"name": f"L{levels}", "slug": f"{prefix}{levels}"}
    for level in range(levels - 1, 0, -1):
        node = {"name": f"L{level}", "slug": f"{prefix}{level}", "nested_children": [node]}
    return node


def test_nesting_up_to_the_default_depth_is_accepted(graphql):
    data = run(graphql, "create_category", "CreateCategoryInput", category_chain(4))
    assert data["ok"] is True, data
    deepest = Category.objects.get(slug="l4")
    assert deepest.parent.parent.parent.slug == "l1"


def test_nesting_deeper_than_the_default_depth_is_refused(graphql):
    data = run(graphql, "create_category", "CreateCategoryInput", category_chain(5))
    assert data["ok"] is False
    path = ".".join(["nested_children", "0"] * 4)
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [(path, "max_depth")]
    assert "4 levels" in data["field_errors"][0]["messages"][0]
    assert Category.objects.count() == 0


@override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "MAX_NESTED_DEPTH": 2})
def test_max_nested_depth_setting(graphql):
    assert run(graphql, "create_category", "CreateCategoryInput", category_chain(2))["ok"]
    data = run(graphql, "create_category", "CreateCategoryInput", category_chain(3, "m"))
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("nested_children.0.nested_children.0", "max_depth")
    ]
    assert Category.objects.count() == 2  # only the accepted chain


def test_depth_counts_on_updates_too(graphql):
    root = factories.category()
    result = graphql(
        "mutation($id: ID!, $input: UpdateCategoryInput!) { update_category(id: $id, "
        "input: $input) { ok field_errors { field code } } }",
        {"id": str(root.pk), "input": {"nested_children": [category_chain(4)]}},
    )
    assert result.ok()["update_category"] == {
        "ok": False,
        "field_errors": [
            {
                "field": "nested_children.0.nested_children.0.nested_children.0.nested_children.0",
                "code": "max_depth",
            }
        ],
    }
    assert Category.objects.count() == 1


# --- to-many relations on update --------------------------------------------------------------


def update_post(graphql, post: Post, data: dict[str, Any], selection: str = RESULT):
    result = graphql(
        "mutation($id: ID!, $input: UpdatePostInput!) "
        f"{{ update_post(id: $id, input: $input) {{ {selection} }} }}",
        {"id": str(post.pk), "input": data},
    )
    assert result.status == 200, result.body
    return result.ok()["update_post"]


def tag_ids(post: Post) -> list[int]:
    return sorted(post.tags.values_list("pk", flat=True))


def test_tags_replaces_the_set(graphql):
    a, b, c = factories.tag(), factories.tag(), factories.tag()
    post = factories.post(tags=[a, b])
    data = update_post(graphql, post, {"tags": [str(c.pk), str(a.pk)]}, "ok object { tags { id } }")
    assert data["ok"] is True
    assert sorted(t["id"] for t in data["object"]["tags"]) == sorted([str(a.pk), str(c.pk)])
    assert tag_ids(post) == sorted([a.pk, c.pk])
    assert update_post(graphql, post, {"tags": []})["ok"] is True
    assert tag_ids(post) == []


def test_add_and_remove_tags(graphql):
    a, b, c = factories.tag(), factories.tag(), factories.tag()
    post = factories.post(tags=[a, b])
    data = update_post(graphql, post, {"add_tags": [str(c.pk)], "remove_tags": [str(a.pk)]})
    assert data["ok"] is True, data
    assert tag_ids(post) == sorted([b.pk, c.pk])
    # adding what is there and removing what is not are no-ops, as with Django's managers
    assert update_post(graphql, post, {"add_tags": [str(b.pk)], "remove_tags": [str(a.pk)]})["ok"]
    assert tag_ids(post) == sorted([b.pk, c.pk])


def test_nested_tags_on_update_creates_and_adds(graphql):
    a = factories.tag()
    post = factories.post(tags=[a])
    data = update_post(graphql, post, {"nested_tags": [{"name": "fresh"}]})
    assert data["ok"] is True
    assert sorted(post.tags.values_list("name", flat=True)) == sorted([a.name, "fresh"])


def test_unknown_tag_id_changes_nothing(graphql):
    a = factories.tag()
    post = factories.post(tags=[a], title="Before")
    data = update_post(graphql, post, {"title": "After", "add_tags": ["424242"]})
    assert data["ok"] is False
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [("add_tags", "invalid")]
    post.refresh_from_db()
    assert post.title == "Before" and tag_ids(post) == [a.pk]


def test_nested_comments_creates_children_of_this_post(graphql):
    post = factories.post()
    data = update_post(
        graphql,
        post,
        {
            "nested_comments": [
                {"author_name": "R1", "body": "C1"},
                {"author_name": "R2", "body": "C2"},
            ]
        },
        "ok object { comments(order_by: [{id: ASC}]) { author_name post { id } } }",
    )
    assert data == {
        "ok": True,
        "object": {
            "comments": [
                {"author_name": "R1", "post": {"id": str(post.pk)}},
                {"author_name": "R2", "post": {"id": str(post.pk)}},
            ]
        },
    }


def test_update_comments_changes_only_children_of_this_post(graphql):
    post = factories.post()
    mine = factories.comment(post=post, body="mine")
    theirs = factories.comment(body="theirs")
    data = update_post(
        graphql, post, {"update_comments": [{"id": str(mine.pk), "body": "edited", "rating": 5}]}
    )
    assert data["ok"] is True, data
    mine.refresh_from_db()
    assert (mine.body, mine.rating, mine.author_name) == ("edited", 5, mine.author_name)

    data = update_post(
        graphql,
        post,
        {
            "title": "Changed",
            "update_comments": [
                {"id": str(mine.pk), "body": "again"},
                {"id": str(theirs.pk), "body": "hijacked"},
            ],
        },
    )
    assert data["ok"] is False
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("update_comments", "invalid")
    ]
    assert str(theirs.pk) in data["field_errors"][0]["messages"][0]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    post.refresh_from_db()
    assert (mine.body, theirs.body, post.title) == ("edited", "theirs", post.title)
    assert post.title != "Changed"


def test_update_comments_validates_each_child_with_its_path(graphql):
    post = factories.post()
    first, second = factories.comment(post=post), factories.comment(post=post)
    data = update_post(
        graphql,
        post,
        {
            "update_comments": [
                {"id": str(first.pk), "body": "fine"},
                {"id": str(second.pk), "author_name": "z" * 101},
            ]
        },
    )
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("update_comments.1.author_name", "max_length")
    ]
    first.refresh_from_db()
    assert first.body != "fine"


def test_update_comments_may_not_move_a_child(graphql):
    post, other = factories.post(), factories.post()
    mine = factories.comment(post=post)
    data = update_post(
        graphql, post, {"update_comments": [{"id": str(mine.pk), "post": str(other.pk)}]}
    )
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("update_comments.0.post", "invalid")
    ]
    mine.refresh_from_db()
    assert mine.post_id == post.pk


def test_delete_comments(graphql):
    post = factories.post()
    keep, drop = factories.comment(post=post), factories.comment(post=post)
    theirs = factories.comment()
    data = update_post(graphql, post, {"delete_comments": [str(drop.pk)]})
    assert data["ok"] is True
    assert list(post.comments.values_list("pk", flat=True)) == [keep.pk]

    data = update_post(graphql, post, {"delete_comments": [str(keep.pk), str(theirs.pk)]})
    assert data["ok"] is False
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("delete_comments", "invalid")
    ]
    assert Comment.objects.filter(pk__in=[keep.pk, theirs.pk]).count() == 2


def test_relation_changes_and_columns_commit_together(graphql):
    a, b = factories.tag(), factories.tag()
    post = factories.post(tags=[a])
    old = factories.comment(post=post)
    data = update_post(
        graphql,
        post,
        {
            "title": "All at once",
            "tags": [str(b.pk)],
            "nested_comments": [{"author_name": "new", "body": "B"}],
            "delete_comments": [str(old.pk)],
        },
    )
    assert data["ok"] is True
    post.refresh_from_db()
    assert post.title == "All at once" and tag_ids(post) == [b.pk]
    assert list(post.comments.values_list("author_name", flat=True)) == ["new"]


def test_a_failing_child_undoes_the_whole_update(graphql):
    a, b = factories.tag(), factories.tag()
    post = factories.post(tags=[a], title="Before")
    old = factories.comment(post=post)
    before = row_counts()
    data = update_post(
        graphql,
        post,
        {
            "title": "After",
            "tags": [str(b.pk)],
            "delete_comments": [str(old.pk)],
            "nested_comments": [{"author_name": "x" * 101, "body": "B"}],
        },
    )
    assert [(e["field"], e["code"]) for e in data["field_errors"]] == [
        ("nested_comments.0.author_name", "max_length")
    ]
    post.refresh_from_db()
    assert post.title == "Before" and tag_ids(post) == [a.pk]
    assert Comment.objects.filter(pk=old.pk).exists()
    assert row_counts() == before


# --- connecting needs the right to change the connected row -----------------------------------


class ReadOnlyTags(Policy):
    """Tags may be read, never written: connecting one to a post is a change to it."""

    def allows(self, ctx, model, operation):
        return model is not Tag or operation == "view"


class HideDraftPosts(Policy):
    def filter_rows(self, ctx, model, queryset):
        return queryset.exclude(status=Post.Status.DRAFT) if model is Post else queryset


@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": SCHEMAS,
        "POLICY": "tests.test_mutations_nested.ReadOnlyTags",
    }
)
def test_connecting_needs_change_permission_on_the_target(graphql):
    tag = factories.tag()
    author = factories.author()
    before = row_counts()
    result = graphql(
        "mutation($input: CreatePostInput!) { create_post(input: $input) { ok } }",
        {
            "input": {
                "title": "T",
                "slug": "t",
                "body": "B",
                "author": str(author.pk),
                "tags": [str(tag.pk)],
            }
        },
    )
    assert result.status == 200
    assert result.codes == ["FORBIDDEN"]
    assert "Tag" in result.errors[0]["message"]
    assert row_counts() == before  # the post saved before the tags were set is rolled back


@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": SCHEMAS,
        "POLICY": "tests.test_mutations_nested.HideDraftPosts",
    }
)
def test_nested_children_of_an_invisible_parent_are_unreachable(graphql):
    draft = factories.post(status=Post.Status.DRAFT)
    author = factories.author()
    comment = factories.comment(post=draft)
    result = graphql(
        "mutation($id: ID!, $input: UpdateAuthorInput!) { update_author(id: $id, input: $input) "
        "{ ok field_errors { field code messages } } }",
        {"id": str(author.pk), "input": {"update_posts": [{"id": str(draft.pk), "title": "X"}]}},
    )
    assert result.ok()["update_author"]["ok"] is False
    assert result.ok()["update_author"]["field_errors"][0]["field"] == "update_posts"
    data = update_post(graphql, draft, {"delete_comments": [str(comment.pk)]}, "ok")
    assert data == {"ok": False}
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert Author.objects.filter(pk=author.pk).exists()
    assert Prescription.objects.count() == 0
