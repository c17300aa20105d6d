"""create → read back → update → delete over HTTP, for every model the example project exposes.

The round trip is driven by the schema: mutation, query and input names come from
`get_schema().models`, and the fields read back are every scalar and to-one / many-to-many id the
create input offers. Only the valid input values are written per model (`BUILDERS`); a model added
to the example without a builder fails `test_every_exposed_model_has_a_round_trip`.

Besides the round trip: update semantics of columns (absent fields untouched, explicit `null`
clears), `on_delete` (CASCADE, PROTECT, SET_NULL), the `PublishedPost` proxy whose manager only
sees published posts, and the `changes_committed` events of single writes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from blog.models import Author, Category, Comment, Post, PublishedPost, Tag
from clinic.models import Appointment, Drug, Person, Prescription
from django.apps import apps
from django.test import override_settings
from graphql import GraphQLEnumType, get_named_type

from django_graphql_auto.mutations.events import ChangeEvent, changes_committed
from django_graphql_auto.schema.registry import get_schema
from tests import factories

pytestmark = pytest.mark.django_db

PAYLOAD_ERRORS = "ok errors field_errors { field messages code }"


def _id(row) -> str:
    return str(row.pk)


# --- valid inputs per model: (create input, update input) -------------------------------------
# Values are written in the form the API returns them (UTC offsets, two decimal places, Django's
# ISO 8601 durations), so "read back equals written" is a plain comparison.

Builder = Callable[[], tuple[dict[str, Any], dict[str, Any]]]
BUILDERS: dict[str, Builder] = {}


def builder(label: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        BUILDERS[label] = fn
        return fn

    return register


@builder("blog.Author")
def _author():
    return (
        {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "bio": "Wrote the first program.",
            "website": "https://ada.example.com",
            "birth_date": "1815-12-10",
        },
        {"bio": "Analyst", "birth_date": None},
    )


@builder("blog.Category")
def _category():
    return (
        {
            "name": "Science",
            "slug": "science",
            "description": "All of it",
            "parent": _id(factories.category()),
        },
        {"name": "Sciences", "parent": None},
    )


@builder("blog.Tag")
def _tag():
    return {"name": "python"}, {"name": "django"}


def _post_input(status: str) -> dict[str, Any]:
    tags = [factories.tag(), factories.tag()]
    return {
        "title": "Hello",
        "slug": "hello",
        "body": "First words",
        "status": status,
        "views": 7,
        "rating": 4.5,
        "score": "5000000000",  # beyond 32 bits
        "price": "12.50",
        "published_at": "2024-05-01T10:00:00+00:00",
        "uuid": "12345678-1234-5678-1234-567812345678",
        "reading_time": "P0DT01H30M00S",
        "metadata": {"a": [1, 2], "b": None},
        "is_featured": True,
        "author": _id(factories.author()),
        "category": _id(factories.category()),
        "tags": [_id(t) for t in tags],
    }


@builder("blog.Post")
def _post():
    update = {
        "title": "Hello again",
        "views": 8,
        "rating": None,
        "category": None,
        "author": _id(factories.author()),
        "tags": [_id(factories.tag())],
        "status": "ARCHIVED",
    }
    return _post_input("DRAFT"), update


@builder("blog.PublishedPost")
def _published_post():
    # The proxy's manager only sees published posts: keep it published to read it back.
    return _post_input("PUBLISHED"), {"title": "Still out", "price": "3.00", "metadata": {}}


@builder("blog.Comment")
def _comment():
    return (
        {
            "post": _id(factories.post()),
            "author_name": "Bob",
            "body": "Hi",
            "is_approved": False,
            "created_at": "2024-02-03T04:05:06+00:00",
            "rating": 3,
        },
        {"body": "Edited", "rating": None, "is_approved": True},
    )


@builder("clinic.Person")
def _person():
    return (
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "phone": "+1 555 0100",
            "date_of_birth": "1906-12-09",
        },
        {"phone": "+1 555 0199", "email": ""},
    )


@builder("clinic.Clinic")
def _clinic():
    return (
        {
            "name": "North Clinic",
            "address": "1 Main St",
            "opening_time": "08:30:00",
            "closing_time": "17:00:00",
            "website": "https://north.example.com",
            "founded": "1999-01-01",
        },
        {"closing_time": "18:15:00", "founded": None},
    )


@builder("clinic.Patient")
def _patient():
    return (
        {
            "first_name": "Pat",
            "last_name": "Smith",
            "date_of_birth": "1990-06-15",
            "insurance_number": "INS-42",
            "blood_type": "AB_NEG",
        },
        {"blood_type": "O_POS", "last_name": "Jones"},
    )


@builder("clinic.Doctor")
def _doctor():
    return (
        {
            "first_name": "Gregory",
            "last_name": "House",
            "license_number": "LIC-HOUSE",
            "specialty": "CARDIOLOGY",
            "clinic": _id(factories.clinic()),
        },
        {"specialty": "PEDIATRICS", "clinic": _id(factories.clinic())},
    )


@builder("clinic.Appointment")
def _appointment():
    return (
        {
            "patient": _id(factories.patient()),
            "doctor": _id(factories.doctor()),
            "starts_at": "2024-03-04T09:30:00+00:00",
            "duration": "P0DT00H45M00S",
            "fee": "80.00",
            "status": "DONE",
            "priority": "_3",
            "notes": "Bring results",
            "reference": "87654321-4321-8765-4321-876543218765",
        },
        {"fee": "90.50", "notes": "", "priority": "_1"},
    )


@builder("clinic.Drug")
def _drug():
    return (
        {"name": "Aspirin", "code": "aspirin", "unit_price": "2.25", "controlled": True},
        {"unit_price": "2.75", "controlled": False},
    )


@builder("clinic.Prescription")
def _prescription():
    return (
        {
            "appointment": _id(factories.appointment()),
            "drug": _id(factories.drug()),
            "dosage": "2 daily",
            "quantity": 2,
            "refills": 1,
        },
        {"refills": 3, "drug": _id(factories.drug())},
    )


EXAMPLE_MODELS = {
    "blog.Author",
    "blog.Category",
    "blog.Tag",
    "blog.Post",
    "blog.Comment",
    "blog.PublishedPost",
    "clinic.Person",
    "clinic.Clinic",
    "clinic.Patient",
    "clinic.Doctor",
    "clinic.Appointment",
    "clinic.Drug",
    "clinic.Prescription",
}


# --- helpers driven by the schema ------------------------------------------------------------


def model_schema(label: str):
    bundle = get_schema()
    (ms,) = [ms for ms in bundle.models.values() if ms.info.label == label]
    return ms


def selection(ms) -> str:
    """Every column an input may set, plus ids of to-one and many-to-many relations."""
    parts = ["id"]
    for key, spec in ms.create_fields.items():
        if spec.kind == "scalar" and spec.scalar.kind != "file":
            parts.append(key)
        elif spec.kind in ("connect", "set"):
            parts.append(f"{key} {{ id }}")
    return " ".join(parts)


def normalized(ms, row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Read-back values in input form: `{id}` → id, to-many → sorted ids."""
    if row is None:
        return None
    result = {}
    for key, value in row.items():
        spec = ms.create_fields.get(key)
        if spec is not None and spec.kind == "connect":
            value = None if value is None else value["id"]
        elif spec is not None and spec.kind == "set":
            value = sorted(item["id"] for item in value)
        result[key] = value
    return result


def as_written(ms, data: dict[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if ms.create_fields[k].kind == "set" else v for k, v in data.items()}


def stored_value(ms, key: str, value: Any) -> Any:
    """What the database should hold for an input value (enum names map to stored values)."""
    spec = ms.update_fields[key]
    field = ms.model._meta.get_field(spec.name)
    if value is None:
        return None
    if spec.kind == "connect":
        return field.target_field.to_python(value)
    named = get_named_type(ms.object_type.fields[key].type)
    if isinstance(named, GraphQLEnumType):
        return named.values[value].value
    return field.to_python(value)


def assert_stored(ms, pk: Any, data: dict[str, Any]) -> None:
    """Compare the row in the database (not through the API) with what the input wrote."""
    row = ms.model._base_manager.get(pk=pk)
    for key, value in data.items():
        spec = ms.update_fields[key]
        field = ms.model._meta.get_field(spec.name)
        if spec.kind == "set":
            stored = sorted(str(pk) for pk in getattr(row, spec.name).values_list("pk", flat=True))
            assert stored == sorted(value), key
        elif spec.kind == "connect":
            assert getattr(row, field.attname) == stored_value(ms, key, value), key
        else:
            assert getattr(row, field.attname) == stored_value(ms, key, value), key


def payload(result, name: str) -> dict[str, Any]:
    data = result.ok()[name]
    assert data["ok"], data
    assert data["errors"] == [] and data["field_errors"] == [], data
    return data


# --- the round trip ---------------------------------------------------------------------------


def test_every_exposed_model_has_a_round_trip():
    labels = {ms.info.label for ms in get_schema().models.values()}
    assert labels == EXAMPLE_MODELS
    assert set(BUILDERS) == labels
    mutations = get_schema().schema.mutation_type.fields
    for ms in get_schema().models.values():
        for op in ("create", "update", "delete", "bulk_create", "bulk_update", "bulk_delete"):
            assert f"{op}_{ms.base_name}" in mutations, (op, ms.info.label)


@pytest.mark.parametrize("label", sorted(EXAMPLE_MODELS))
def test_round_trip(graphql, label):
    ms = model_schema(label)
    create_input, update_input = BUILDERS[label]()
    fields = selection(ms)
    base, type_name = ms.base_name, ms.type_name

    # create: the payload reads the row back as selected
    created = graphql(
        f"mutation($input: Create{type_name}Input!) {{ create_{base}(input: $input) "
        f"{{ {PAYLOAD_ERRORS} object {{ {fields} }} }} }}",
        {"input": create_input},
    )
    obj = normalized(ms, payload(created, f"create_{base}")["object"])
    pk = obj["id"]
    assert {k: obj[k] for k in create_input} == as_written(ms, create_input)
    assert ms.model._base_manager.filter(pk=pk).count() == 1
    assert_stored(ms, pk, create_input)

    # read back through the single query: the same values
    query = f"query($id: ID!) {{ {ms.single_name}(id: $id) {{ {fields} }} }}"
    snapshot = normalized(ms, graphql(query, {"id": pk}).ok()[ms.single_name])
    assert snapshot == obj

    # update: the given fields change, nothing else does
    updated = graphql(
        f"mutation($id: ID!, $input: Update{type_name}Input!) {{ update_{base}(id: $id, "
        f"input: $input) {{ {PAYLOAD_ERRORS} object {{ {fields} }} }} }}",
        {"id": pk, "input": update_input},
    )
    expected = {**snapshot, **as_written(ms, update_input)}
    assert normalized(ms, payload(updated, f"update_{base}")["object"]) == expected
    assert normalized(ms, graphql(query, {"id": pk}).ok()[ms.single_name]) == expected
    assert_stored(ms, pk, update_input)
    assert_stored(ms, pk, {k: v for k, v in create_input.items() if k not in update_input})

    # delete: the payload shows the row as it was; the row is gone
    deleted = graphql(
        f"mutation($id: ID!) {{ delete_{base}(id: $id) {{ {PAYLOAD_ERRORS} object {{ id }} }} }}",
        {"id": pk},
    )
    assert payload(deleted, f"delete_{base}")["object"] == {"id": pk}
    assert not ms.model._base_manager.filter(pk=pk).exists()
    assert graphql(query, {"id": pk}).ok() == {ms.single_name: None}


def call(graphql, field: str, selection: str = "ok", **arguments: Any):
    """`mutation { field(...) { selection } }` with every argument passed as a variable;
    the variable types are read from the schema."""
    args = get_schema().schema.mutation_type.fields[field].args
    signature = ", ".join(f"${name}: {args[name].type}" for name in arguments)
    passed = ", ".join(f"{name}: ${name}" for name in arguments)
    return graphql(f"mutation({signature}) {{ {field}({passed}) {{ {selection} }} }}", arguments)


def one(graphql, field: str, pk: Any, selection: str) -> Any:
    """The root single query `field(id: pk) { selection }`, its data."""
    result = graphql(f"query($id: ID!) {{ {field}(id: $id) {{ {selection} }} }}", {"id": str(pk)})
    return result.ok()[field]


def test_deleting_a_patient_removes_its_person_row(graphql):
    patient = factories.patient()
    result = call(graphql, "delete_patient", id=str(patient.pk))
    assert result.ok() == {"delete_patient": {"ok": True}}
    assert not Person.objects.filter(pk=patient.pk).exists()


def test_a_patient_created_through_the_api_is_also_a_person(graphql):
    result = graphql(
        'mutation { create_patient(input: {first_name: "A", last_name: "B"}) { object { id } } }'
    )
    pk = result.ok()["create_patient"]["object"]["id"]
    person = Person.objects.get(pk=pk)
    assert (person.first_name, person.last_name) == ("A", "B")
    assert one(graphql, "person", pk, "first_name") == {"first_name": "A"}


def _post(**fields: Any) -> dict[str, Any]:
    return {"title": "T", "slug": "t", "body": "B", **fields}


def test_created_at_and_updated_at_are_set_by_django(graphql):
    author = factories.author()
    before = dt.datetime.now(dt.UTC)
    result = call(
        graphql,
        "create_post",
        "object { id created_at updated_at }",
        input=_post(author=str(author.pk)),
    )
    obj = result.ok()["create_post"]["object"]
    assert dt.datetime.fromisoformat(obj["created_at"]) >= before
    post = Post.objects.get(pk=obj["id"])
    first_update = post.updated_at
    call(graphql, "update_post", id=str(post.pk), input={"views": 3}).ok()
    post.refresh_from_db()
    assert post.updated_at > first_update
    assert post.created_at == dt.datetime.fromisoformat(obj["created_at"])


# --- PublishedPost: a proxy whose manager shows only published posts --------------------------


def test_published_post_created_published_reads_back(graphql):
    author = factories.author()
    result = call(
        graphql,
        "create_published_post",
        "ok object { id title status }",
        input=_post(title="Out", status="PUBLISHED", author=str(author.pk)),
    )
    data = result.ok()["create_published_post"]
    assert data["ok"] is True
    assert data["object"]["title"] == "Out" and data["object"]["status"] == "PUBLISHED"
    assert PublishedPost.objects.filter(pk=data["object"]["id"]).exists()


def test_published_post_created_as_draft_is_written_but_not_visible_through_the_proxy(graphql):
    """Like `PublishedPost.objects.create(...)` with the default status: the row exists (it is a
    Post), but the proxy's manager does not return it, so the payload cannot show it."""
    author = factories.author()
    result = call(
        graphql,
        "create_published_post",
        "ok errors object { id }",
        input=_post(title="Draft", author=str(author.pk)),
    )
    assert result.ok() == {"create_published_post": {"ok": True, "errors": [], "object": None}}
    post = Post.objects.get(title="Draft")
    assert post.status == Post.Status.DRAFT
    assert not PublishedPost.objects.filter(pk=post.pk).exists()
    assert one(graphql, "published_post", post.pk, "id") is None
    assert one(graphql, "post", post.pk, "title") == {"title": "Draft"}


def test_published_post_update_and_delete_do_not_reach_drafts(graphql):
    draft = factories.post(status=Post.Status.DRAFT, title="Hidden")
    pk = str(draft.pk)
    update = call(
        graphql,
        "update_published_post",
        "ok field_errors { field code }",
        id=pk,
        input={"title": "X"},
    )
    assert update.ok()["update_published_post"] == {
        "ok": False,
        "field_errors": [{"field": "id", "code": "invalid"}],
    }
    delete = call(graphql, "delete_published_post", id=pk)
    assert delete.ok()["delete_published_post"]["ok"] is False
    draft.refresh_from_db()
    assert draft.title == "Hidden"

    # Published through the concrete model, it is in reach of the proxy's mutations.
    call(graphql, "update_post", id=pk, input={"status": "PUBLISHED"}).ok()
    update = call(
        graphql, "update_published_post", "ok object { title }", id=pk, input={"title": "Out"}
    )
    assert update.ok()["update_published_post"] == {"ok": True, "object": {"title": "Out"}}
    delete = call(graphql, "delete_published_post", id=pk)
    assert delete.ok()["delete_published_post"]["ok"] is True
    assert not Post.objects.filter(pk=draft.pk).exists()


# --- update semantics of columns -------------------------------------------------------------


def _post_state(post: Post) -> dict[str, Any]:
    post = Post.objects.get(pk=post.pk)
    state = {f.attname: getattr(post, f.attname) for f in Post._meta.concrete_fields}
    state["tags"] = sorted(post.tags.values_list("pk", flat=True))
    return state


def test_update_leaves_absent_fields_untouched(graphql):
    post = factories.post(
        category=factories.category(),
        tags=[factories.tag(), factories.tag()],
        rating=2.5,
        views=11,
        reading_time=dt.timedelta(minutes=5),
        metadata={"k": "v"},
        published_at=factories.BASE_TIME,
        internal_notes="keep me",
    )
    factories.comment(post=post)
    before = _post_state(post)
    result = call(graphql, "update_post", id=str(post.pk), input={"title": "Only"})
    assert result.ok() == {"update_post": {"ok": True}}
    after = _post_state(post)
    assert after.pop("title") == "Only"
    assert after.pop("updated_at") > before.pop("updated_at")
    before.pop("title")
    assert after == before
    assert post.comments.count() == 1


def test_explicit_null_clears_nullable_fields(graphql):
    post = factories.post(
        category=factories.category(),
        rating=3.5,
        published_at=factories.BASE_TIME,
        reading_time=dt.timedelta(minutes=5),
    )
    cleared = {"rating": None, "category": None, "published_at": None, "reading_time": None}
    result = call(
        graphql,
        "update_post",
        "ok object { rating category { id } published_at reading_time }",
        id=str(post.pk),
        input=cleared,
    )
    assert result.ok() == {"update_post": {"ok": True, "object": cleared}}
    post.refresh_from_db()
    assert (post.rating, post.category_id, post.published_at, post.reading_time) == (None,) * 4


def test_null_on_a_blank_text_column_stores_the_empty_string(graphql):
    """`bio` is `blank=True` without `null=True`: Django stores "" for an empty text field."""
    author = factories.author(bio="Long story", birth_date=dt.date(1970, 1, 1))
    result = call(
        graphql,
        "update_author",
        "ok object { bio birth_date }",
        id=str(author.pk),
        input={"bio": None, "birth_date": None},
    )
    assert result.ok() == {"update_author": {"ok": True, "object": {"bio": "", "birth_date": None}}}
    author.refresh_from_db()
    assert (author.bio, author.birth_date) == ("", None)


@pytest.mark.parametrize("field", ["title", "views", "status", "author"])
def test_null_on_a_required_column_is_a_field_error(graphql, field):
    post = factories.post(views=4)
    before = _post_state(post)
    result = call(
        graphql,
        "update_post",
        "ok object { id } field_errors { field code }",
        id=str(post.pk),
        input={field: None},
    )
    assert result.ok() == {
        "update_post": {
            "ok": False,
            "object": None,
            "field_errors": [{"field": field, "code": "null"}],
        }
    }
    assert _post_state(post) == before


def test_update_validates_what_it_writes(graphql):
    author = factories.author()
    other = factories.author()
    result = call(
        graphql,
        "update_author",
        "ok field_errors { field code }",
        id=str(author.pk),
        input={"email": other.email, "website": "not a url"},
    )
    errors = result.ok()["update_author"]["field_errors"]
    assert sorted((e["field"], e["code"]) for e in errors) == [
        ("email", "unique"),
        ("website", "invalid"),
    ]
    author.refresh_from_db()
    assert author.website == ""


def test_update_does_not_revalidate_untouched_columns(graphql):
    """Like a ModelForm with only the given fields: a legacy value elsewhere does not block."""
    author = factories.author(website="not a url")  # saved without validation
    result = call(graphql, "update_author", "ok", id=str(author.pk), input={"name": "Renamed"})
    assert result.ok() == {"update_author": {"ok": True}}
    author.refresh_from_db()
    assert (author.name, author.website) == ("Renamed", "not a url")
    result = call(
        graphql,
        "update_author",
        "ok field_errors { field code }",
        id=str(author.pk),
        input={"website": "still not a url"},
    )
    assert result.ok()["update_author"]["field_errors"] == [{"field": "website", "code": "invalid"}]


def test_create_reports_every_invalid_field_with_django_codes(graphql):
    result = call(
        graphql,
        "create_author",
        "ok object { id } field_errors { field messages code }",
        input={"name": "x" * 101, "email": "no-at-sign"},
    )
    data = result.ok()["create_author"]
    assert data["ok"] is False and data["object"] is None
    assert sorted((e["field"], e["code"]) for e in data["field_errors"]) == [
        ("email", "invalid"),
        ("name", "max_length"),
    ]
    name_error = next(e for e in data["field_errors"] if e["field"] == "name")
    assert name_error["messages"] == ["Ensure this value has at most 100 characters (it has 101)."]
    assert Author.objects.count() == 0


# --- delete and on_delete ----------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """Rows in every table of the example apps, through tables included."""
    counts = {}
    for app in ("blog", "clinic"):
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            if not model._meta.proxy:
                counts[model._meta.label] = model._base_manager.count()
    return counts


def test_delete_cascades(graphql):
    author = factories.author()
    tag = factories.tag()
    posts = [factories.post(author=author, tags=[tag]) for _ in range(2)]
    for post in posts:
        factories.comment(post=post)
        factories.comment(post=post)
    bystander = factories.comment()  # another author's post and comment
    result = call(graphql, "delete_author", "ok object { name }", id=str(author.pk))
    assert result.ok() == {"delete_author": {"ok": True, "object": {"name": author.name}}}
    assert not Post.objects.filter(pk__in=[p.pk for p in posts]).exists()
    assert list(Comment.objects.values_list("pk", flat=True)) == [bystander.pk]
    assert Post.tags.through.objects.count() == 0
    assert Tag.objects.filter(pk=tag.pk).exists()  # M2M targets are not deleted


def test_delete_cascades_through_a_self_reference(graphql):
    root = factories.category()
    child = factories.category(parent=root)
    grandchild = factories.category(parent=child)
    other = factories.category()
    result = call(graphql, "delete_category", id=str(root.pk))
    assert result.ok() == {"delete_category": {"ok": True}}
    assert list(Category.objects.values_list("pk", flat=True)) == [other.pk]
    assert not Category.objects.filter(pk__in=[child.pk, grandchild.pk]).exists()


def test_delete_refused_by_protect(graphql):
    prescription = factories.prescription()
    drug = prescription.drug
    before = row_counts()
    result = call(
        graphql,
        "delete_drug",
        "ok errors object { id } field_errors { field messages code }",
        id=str(drug.pk),
    )
    assert result.status == 200 and result.codes == []
    data = result.ok()["delete_drug"]
    assert data["ok"] is False and data["object"] is None
    (error,) = data["field_errors"]
    assert error["field"] == "id" and error["code"] == "protected"
    assert "clinic.Prescription.drug" in error["messages"][0]
    assert "clinic.Prescription.drug" in data["errors"][0]
    assert row_counts() == before
    assert Drug.objects.filter(pk=drug.pk).exists()


def test_delete_sets_null(graphql):
    category = factories.category()
    posts = [factories.post(category=category) for _ in range(2)]
    result = call(graphql, "delete_category", id=str(category.pk))
    assert result.ok() == {"delete_category": {"ok": True}}
    assert Post.objects.filter(pk__in=[p.pk for p in posts], category=None).count() == 2
    assert one(graphql, "post", posts[0].pk, "category { id }") == {"category": None}


def test_delete_cascades_to_appointments_and_prescriptions(graphql):
    prescription = factories.prescription()
    patient = prescription.appointment.patient
    drug = prescription.drug
    result = call(graphql, "delete_patient", id=str(patient.pk))
    assert result.ok() == {"delete_patient": {"ok": True}}
    assert not Appointment.objects.filter(pk=prescription.appointment_id).exists()
    assert not Prescription.objects.exists()
    assert Drug.objects.filter(pk=drug.pk).exists()  # PROTECT only stops deleting the drug
    # with its prescriptions gone, the drug can go too
    assert call(graphql, "delete_drug", id=str(drug.pk)).ok() == {"delete_drug": {"ok": True}}


def test_delete_of_an_unknown_id(graphql):
    before = row_counts()
    result = call(graphql, "delete_tag", "ok object { id } field_errors { field code }", id="4242")
    assert result.ok() == {
        "delete_tag": {
            "ok": False,
            "object": None,
            "field_errors": [{"field": "id", "code": "invalid"}],
        }
    }
    assert row_counts() == before


# --- change events of single writes -----------------------------------------------------------


@pytest.fixture
def committed():
    """Every `changes_committed` send, as a list of event lists."""
    sent: list[list[ChangeEvent]] = []

    def receive(sender, events, **kwargs):
        sent.append(list(events))

    changes_committed.connect(receive)
    yield sent
    changes_committed.disconnect(receive)


def _kinds(events: list[ChangeEvent]) -> Counter:
    return Counter((e.model.__name__, e.kind) for e in events)


def test_create_sends_one_batch_with_every_created_row(
    graphql, committed, django_capture_on_commit_callbacks
):
    author = factories.author()
    data = _post(
        author=str(author.pk),
        nested_tags=[{"name": "one"}, {"name": "two"}],
        nested_comments=[{"author_name": "R", "body": "C"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = call(graphql, "create_post", "ok object { id }", input=data)
    post_pk = int(result.ok()["create_post"]["object"]["id"])
    (events,) = committed  # one send for the whole mutation
    assert _kinds(events) == {
        ("Tag", "created"): 2,
        ("Post", "created"): 1,
        ("Comment", "created"): 1,
    }
    post_event = next(e for e in events if e.model is Post)
    assert post_event.pk == post_pk
    assert {"title", "slug", "body", "author", "tags"} <= post_event.fields
    assert "views" not in post_event.fields  # not written: the default applied
    assert {e.pk for e in events if e.model is Tag} == set(
        Tag.objects.filter(name__in=["one", "two"]).values_list("pk", flat=True)
    )
    comment_event = next(e for e in events if e.model is Comment)
    assert comment_event.pk == Comment.objects.get().pk
    assert comment_event.fields == {"author_name", "body"}


def test_update_and_delete_send_their_events(
    graphql, committed, django_capture_on_commit_callbacks
):
    post = factories.post()
    tag = factories.tag()
    with django_capture_on_commit_callbacks(execute=True):
        call(
            graphql, "update_post", id=str(post.pk), input={"title": "New", "tags": [str(tag.pk)]}
        ).ok()
    assert committed == [[ChangeEvent(Post, post.pk, "updated", frozenset({"title", "tags"}))]]
    committed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call(graphql, "delete_post", id=str(post.pk)).ok()
    assert committed == [[ChangeEvent(Post, post.pk, "deleted", frozenset())]]


REFUSED = {
    "create": lambda rows: ("create_tag", {"input": {"name": "x" * 51}}),
    "update": lambda rows: ("update_post", {"id": rows["post"], "input": {"title": None}}),
    "protected-delete": lambda rows: ("delete_drug", {"id": rows["drug"]}),
    "nested": lambda rows: (
        "create_post",
        {"input": _post(author=rows["author"], nested_tags=[{"name": "fine"}, {"name": "y" * 51}])},
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_writes_send_nothing(graphql, committed, django_capture_on_commit_callbacks, case):
    prescription = factories.prescription()
    post = factories.post()
    rows = {
        "post": str(post.pk),
        "drug": str(prescription.drug_id),
        "author": str(post.author_id),
    }
    field, arguments = REFUSED[case](rows)
    before = row_counts()
    with django_capture_on_commit_callbacks(execute=True):
        result = call(graphql, field, **arguments)
    assert result.ok() == {field: {"ok": False}}
    assert committed == []
    assert row_counts() == before


@pytest.mark.django_db(transaction=True)
def test_events_follow_the_real_commit(graphql, committed):
    """Outside a test transaction: sent after the commit, never for a rolled-back write."""
    result = call(graphql, "create_tag", "ok object { id }", input={"name": "real"})
    pk = int(result.ok()["create_tag"]["object"]["id"])
    assert committed == [[ChangeEvent(Tag, pk, "created", frozenset({"name"}))]]
    committed.clear()
    data = _post(
        nested_author={"name": "A", "email": "a@example.com"}, nested_tags=[{"name": "real"}]
    )
    result = call(graphql, "create_post", input=data)
    assert result.ok() == {"create_post": {"ok": False}}
    assert committed == []
    assert not Author.objects.exists() and not Post.objects.exists()
    assert Tag.objects.count() == 1


def test_decimal_and_uuid_round_trip_exactly(graphql):
    """No float loss on Decimal; the UUID is stored as given."""
    author = factories.author()
    ref = uuid.UUID("00000000-0000-0000-0000-0000000000ff")
    result = call(
        graphql,
        "create_post",
        "object { id price uuid }",
        input=_post(author=str(author.pk), price="12345678.91", uuid=str(ref)),
    )
    obj = result.ok()["create_post"]["object"]
    assert obj["price"] == "12345678.91" and obj["uuid"] == str(ref)
    post = Post.objects.get(pk=obj["id"])
    assert post.price == Decimal("12345678.91") and post.uuid == ref


@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
        "POLICY": "tests.policies.HideAuthorEmail",
    }
)
def test_a_payload_the_caller_cannot_read_is_refused_before_writing(graphql):
    """Otherwise the row would be written and only the answer refused."""
    before = Author.objects.count()
    result = graphql(
        'mutation { create_author(input: {name: "N", email: "n@example.com"}) '
        "{ ok object { email } } }"
    )
    assert result.codes == ["FORBIDDEN"]
    assert Author.objects.count() == before
    ok = graphql(
        'mutation { create_author(input: {name: "N", email: "n@example.com"}) '
        "{ ok object { name } } }"
    )
    assert ok.ok()["create_author"] == {"ok": True, "object": {"name": "N"}}


def test_a_connected_one_to_one_clash_is_unique_on_its_field(graphql, client):
    """`user` is a OneToOneField: connecting a user who already has an author is reported as a
    ModelForm reports it (`user` / `unique`), not as a constraint failure at save time, on
    create and on update, and nothing is written."""
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    taken = User.objects.create_user("taken")
    factories.author(user=taken)
    other = factories.author()
    selection = "ok field_errors { field messages code }"
    created = graphql(
        f"mutation($i: CreateAuthorInput!) {{ create_author(input: $i) {{ {selection} }} }}",
        {"i": {"name": "N", "email": "n@example.com", "user": str(taken.pk)}},
        path="/admin-graphql/",
    ).ok()["create_author"]
    updated = graphql(
        f"mutation($i: UpdateAuthorInput!) {{ update_author(id: {other.pk}, input: $i) "
        f"{{ {selection} }} }}",
        {"i": {"user": str(taken.pk), "nested_posts": [{"title": "T", "slug": "t", "body": "B"}]}},
        path="/admin-graphql/",
    ).ok()["update_author"]
    for payload in (created, updated):
        assert payload["ok"] is False
        assert payload["field_errors"] == [
            {
                "field": "user",
                "messages": ["Author with this User already exists."],
                "code": "unique",
            }
        ]
    assert Author.objects.count() == 2
    assert not Author.objects.filter(email="n@example.com").exists()
    assert Post.objects.count() == 0
    other.refresh_from_db()
    assert other.user_id is None


def test_single_writes_fill_object_and_bulk_writes_objects(graphql):
    """§10: a single operation fills `object`, a bulk one `objects`; the other stays null."""
    tag = factories.tag()
    result = graphql(
        f"""mutation {{
          create_tag(input: {{name: "one"}}) {{ object {{ name }} objects {{ name }} }}
          update_tag(id: {tag.pk}, input: {{name: "two"}}) {{
            object {{ name }} objects {{ name }}
          }}
          bulk_create_tag(inputs: [{{name: "three"}}, {{name: "four"}}]) {{
            object {{ name }} objects {{ name }}
          }}
        }}"""
    ).ok()
    assert result == {
        "create_tag": {"object": {"name": "one"}, "objects": None},
        "update_tag": {"object": {"name": "two"}, "objects": None},
        "bulk_create_tag": {"object": None, "objects": [{"name": "three"}, {"name": "four"}]},
    }
    ids = sorted(
        str(pk) for pk in Tag.objects.filter(name__in=["one", "two"]).values_list("pk", flat=True)
    )
    deleted = graphql(
        f"""mutation {{
          delete_tag(id: {ids[0]}) {{ object {{ name }} objects {{ name }} }}
          bulk_delete_tag(ids: ["{ids[1]}"]) {{ object {{ name }} objects {{ name }} }}
        }}"""
    ).ok()
    assert deleted["delete_tag"]["objects"] is None
    assert deleted["delete_tag"]["object"] is not None
    assert deleted["bulk_delete_tag"]["object"] is None
    assert len(deleted["bulk_delete_tag"]["objects"]) == 1
