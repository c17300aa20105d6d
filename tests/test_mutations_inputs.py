"""Input types of writes against rules derived from the Django models themselves.

For every model and field the expected `Create*Input` entry is worked out here from `_meta`
(Django forms' rule: required iff not `blank` and no default; never auto_now/auto_now_add, an
automatic primary key or a non-editable field; relations always nullable; excluded and sensitive
fields absent) and compared with the generated type field by field. `Update*Input` has the same
fields (plus add/remove/update/delete variants of relations), all optional; `BulkUpdate*Input`
adds `id: ID!`.
"""

from __future__ import annotations

from typing import Any

import pytest
from blog.models import Author, Post
from django.conf import settings
from django.core import checks
from django.db import models
from django.test.utils import override_settings
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    get_named_type,
    is_non_null_type,
)

from django_graphql_auto.schema.registry import get_schema
from tests import factories

pytestmark = pytest.mark.django_db

SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}
EXAMPLE_MODELS = {"blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]}}


def _sensitive(name: str) -> bool:
    """SPEC §2 secure defaults: passwords, `*token*` and `*secret*` are never exposed."""
    lowered = name.lower()
    return any(word in lowered for word in ("password", "token", "secret"))


def _excluded(model: type[models.Model]) -> set[str]:
    """EXCLUDE_FIELDS from settings; a proxy inherits its concrete model's exclusions."""
    entries = getattr(settings, "GRAPHQL_AUTO_MODELS", {})
    labels = {model._meta.label, model._meta.concrete_model._meta.label}
    return {name for label in labels for name in entries.get(label, {}).get("EXCLUDE_FIELDS", [])}


def _hidden(model: type[models.Model], name: str) -> bool:
    return name in _excluded(model) or _sensitive(name)


def _auto_pk(field: models.Field) -> bool:
    return field.primary_key and isinstance(field, models.AutoField | models.BigAutoField)


def expected_fields(
    model: type[models.Model], bundle: Any, *, update: bool
) -> dict[str, tuple[bool, str]]:
    """GraphQL input field → (non-null?, kind), derived from the model alone.

    Kinds name the target type of relations: `id`, `ids`, `nested:Author`, `nested_list:Tag`,
    `update_list:Comment`; the bundle is asked only what the target types are called.
    """
    exposed = set(bundle.models)
    # nested creates only into models that have mutations (auth.Permission has none)
    writable = {m for m, ms in bundle.models.items() if ms.config["ENABLE_MUTATIONS"]}
    # ... and only into models that can be created at all (auth.User: password is no input)
    skipped = bundle.extras.get("skipped_creates", {})
    creatable = {m for m in writable if m._meta.label not in skipped}
    fields: dict[str, tuple[bool, str]] = {}
    for field in model._meta.get_fields():
        if field.auto_created and not field.concrete:  # the reverse side of a relation
            child = field.related_model
            if (
                field.one_to_many
                and child in creatable
                and not _hidden(model, field.name)
                and not _hidden(child, field.field.name)
            ):
                name, target = field.get_accessor_name(), bundle.type_name(child)
                fields[f"nested_{name}"] = (False, f"nested_list:{target}")
                if update:
                    fields[f"update_{name}"] = (False, f"update_list:{target}")
                    fields[f"delete_{name}"] = (False, "ids")
            continue
        if _hidden(model, field.name):
            continue
        if field.many_to_many:
            target = field.related_model
            if field.remote_field.through._meta.auto_created and target in exposed:
                fields[field.name] = (False, "ids")
                if target in creatable:
                    nested = f"nested_list:{bundle.type_name(target)}"
                    fields[f"nested_{field.name}"] = (False, nested)
                if update:
                    fields[f"add_{field.name}"] = (False, "ids")
                    fields[f"remove_{field.name}"] = (False, "ids")
            continue
        if field.is_relation:
            if field.remote_field.parent_link or field.related_model not in exposed:
                continue
            fields[field.name] = (False, "id")
            if field.related_model in creatable:
                fields[f"nested_{field.name}"] = (
                    False,
                    f"nested:{bundle.type_name(field.related_model)}",
                )
            continue
        if _auto_pk(field) or not field.editable:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        required = not field.blank and not field.has_default()
        fields[field.name] = (required and not update, "scalar")
    return fields


def _type_kind(name: str, gtype: Any) -> str:
    inner = gtype.of_type if is_non_null_type(gtype) else gtype
    named = get_named_type(inner)
    if isinstance(inner, GraphQLList):
        assert isinstance(inner.of_type, GraphQLNonNull), name  # no null items
        if named.name == "ID":
            return "ids"
        if named.name.startswith("BulkUpdate"):
            return f"update_list:{named.name.removeprefix('BulkUpdate').removesuffix('Input')}"
        return f"nested_list:{named.name.removeprefix('Create').removesuffix('Input')}"
    if isinstance(named, GraphQLInputObjectType):
        return f"nested:{named.name.removeprefix('Create').removesuffix('Input')}"
    if named.name == "ID":
        return "id"
    return "scalar"


def actual_fields(input_type: GraphQLInputObjectType) -> dict[str, tuple[bool, str]]:
    return {
        name: (is_non_null_type(field.type), _type_kind(name, field.type))
        for name, field in input_type.fields.items()
    }


def _model_schemas(name: str = "default") -> list[Any]:
    bundle = get_schema(name)
    return [ms for ms in bundle.models.values() if ms.config["ENABLE_MUTATIONS"]]


def _check_inputs(name: str = "default") -> int:
    bundle = get_schema(name)
    type_map = bundle.schema.type_map
    checked = 0
    skipped = bundle.extras.get("skipped_creates", {})
    for ms in _model_schemas(name):
        if ms.info.label in skipped:  # no create mutation, and nothing nests a create into it
            assert f"Create{ms.type_name}Input" not in type_map
        else:
            create = type_map[f"Create{ms.type_name}Input"]
            expected = expected_fields(ms.model, bundle, update=False)
            assert actual_fields(create) == expected, ms.info.label
        expected_update = expected_fields(ms.model, bundle, update=True)
        update = type_map[f"Update{ms.type_name}Input"]
        assert actual_fields(update) == expected_update, ms.info.label
        assert not any(is_non_null_type(f.type) for f in update.fields.values())
        bulk = type_map[f"BulkUpdate{ms.type_name}Input"]
        bulk_fields = dict(bulk.fields)
        id_field = bulk_fields.pop("id")
        assert str(id_field.type) == "ID!"
        assert {k: str(v.type) for k, v in bulk_fields.items()} == {
            k: str(v.type) for k, v in update.fields.items()
        }
        checked += 1
    return checked


def test_create_update_and_bulk_inputs_follow_the_models():
    assert _check_inputs() == 13


def test_relation_inputs_name_their_target_types():
    type_map = get_schema().schema.type_map
    create = type_map["CreatePostInput"].fields
    assert str(create["author"].type) == "ID"
    assert str(create["nested_author"].type) == "CreateAuthorInput"
    assert str(create["tags"].type) == "[ID!]"
    assert str(create["nested_tags"].type) == "[CreateTagInput!]"
    assert str(create["nested_comments"].type) == "[CreateCommentInput!]"
    update = type_map["UpdatePostInput"].fields
    assert str(update["update_comments"].type) == "[BulkUpdateCommentInput!]"
    assert str(update["delete_comments"].type) == "[ID!]"
    assert str(update["add_tags"].type) == "[ID!]"
    appointment = type_map["CreateAppointmentInput"].fields
    assert str(appointment["nested_prescriptions"].type) == "[CreatePrescriptionInput!]"
    assert str(appointment["priority"].type) == "AppointmentPriority"
    assert str(appointment["fee"].type) == "Decimal!"
    assert str(appointment["starts_at"].type) == "DateTime!"


def test_specific_rules_hold_in_the_generated_inputs():
    """The rules spelled out on real fields, in case the derivation above shares a blind spot."""
    type_map = get_schema().schema.type_map

    def types(name: str) -> dict[str, str]:
        return {k: str(v.type) for k, v in type_map[name].fields.items()}

    post = types("CreatePostInput")
    assert post["title"] == "String!"  # no blank, no default
    assert post["status"] == "PostStatus"  # has a default
    assert post["rating"] == "Float"  # null and blank
    assert post["metadata"] == "JSON"  # default=dict
    assert post["uuid"] == "UUID"  # default=uuid4, still settable
    assert not {"id", "created_at", "updated_at", "internal_notes"} & set(post)
    assert types("CreatePublishedPostInput").keys() == post.keys()  # proxy inherits exclusions
    comment = types("CreateCommentInput")
    assert comment["created_at"] == "DateTime"  # default=timezone.now: an input, optional
    clinic = types("CreateClinicInput")
    assert clinic["opening_time"] == "Time!"
    author = types("CreateAuthorInput")
    assert not {"api_token", "password_hash", "user", "nested_user"} & set(author)
    assert author["bio"] == "String"  # blank=True
    patient = types("CreatePatientInput")
    assert "person_ptr" not in patient and patient["first_name"] == "String!"  # parent fields
    doctor = types("CreateDoctorInput")
    assert "patients" not in doctor  # M2M through a model with its own data: write the through
    assert "doctors" not in patient  # reverse M2M
    assert "posts" not in types("CreateTagInput")  # reverse M2M


def test_input_descriptions_come_from_help_text():
    fields = get_schema().schema.type_map["CreatePostInput"].fields
    assert fields["title"].description == "Headline, shown in listings"
    assert fields["body"].description is None


# --- other schemas and settings ---------------------------------------------------------------


def test_admin_schema_inputs_follow_the_models():
    """With `auth` exposed, Author.user is an input; the schema with auth models builds."""
    _check_inputs("admin")
    author = get_schema("admin").schema.type_map["CreateAuthorInput"].fields
    assert str(author["user"].type) == "ID"
    type_map = get_schema("admin").schema.type_map
    # No create_user (its password is no input), so no nested user creates either.
    assert "CreateUserInput" not in type_map and "nested_user" not in author
    assert "password" not in type_map["UpdateUserInput"].fields


@override_settings(GRAPHQL_AUTO_MODELS={**EXAMPLE_MODELS, "blog.Tag": {"ENABLE_MUTATIONS": False}})
def test_relation_to_a_model_without_mutations_connects_but_does_not_nest(graphql):
    fields = get_schema().schema.mutation_type.fields
    assert not {"create_tag", "update_tag", "delete_tag", "bulk_create_tag"} & set(fields)
    post = get_schema().schema.type_map["UpdatePostInput"].fields
    assert {"tags", "add_tags", "remove_tags"} <= set(post)
    assert "nested_tags" not in post
    assert _check_inputs() == 12  # every other model's inputs, minus nested tags
    tag = factories.tag()
    author = factories.author()
    result = graphql(
        "mutation($input: CreatePostInput!) { create_post(input: $input) "
        "{ ok object { tags { name } } } }",
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
    assert result.ok()["create_post"] == {"ok": True, "object": {"tags": [{"name": tag.name}]}}


@override_settings(GRAPHQL_AUTO_MODELS={**EXAMPLE_MODELS, "blog.Tag": {"EXCLUDE_FIELDS": ["name"]}})
def test_required_field_excluded_means_no_create_mutation_and_a_warning():
    fields = get_schema().schema.mutation_type.fields
    assert "create_tag" not in fields and "bulk_create_tag" not in fields
    # `name` was Tag's only input: with nothing to update, no update mutation either (its input
    # type would have no fields, which GraphQL does not allow).
    assert "update_tag" not in fields and "bulk_update_tag" not in fields
    assert {"delete_tag", "bulk_delete_tag"} <= set(fields)
    warnings = [m for m in checks.run_checks() if m.id == "django_graphql_auto.W101"]
    assert any("create_tag" in m.msg and "name" in m.msg for m in warnings), warnings


@override_settings(
    GRAPHQL_AUTO_MODELS={**EXAMPLE_MODELS, "blog.Author": {"EXCLUDE_FIELDS": ["bio", "posts"]}}
)
def test_excluded_fields_are_absent_from_every_input():
    type_map = get_schema().schema.type_map
    for name in ("CreateAuthorInput", "UpdateAuthorInput", "BulkUpdateAuthorInput"):
        fields = set(type_map[name].fields)
        assert not {"bio", "nested_posts", "update_posts", "delete_posts"} & fields, name
    assert "email" in type_map["CreateAuthorInput"].fields
    # the other side of an excluded relation keeps its own forward field
    assert "author" in type_map["CreatePostInput"].fields


def test_an_excluded_field_cannot_be_written_by_its_name(graphql):
    author = factories.author()
    # a literal naming the field fails validation ...
    result = graphql(
        'mutation($author: ID!) { create_post(input: {title: "T", slug: "t", body: "B", '
        'author: $author, internal_notes: "sneaky"}) { ok } }',
        {"author": str(author.pk)},
    )
    assert result.status == 400 and result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    # ... and a variable carrying it fails coercion
    result = graphql(
        "mutation($id: ID!, $input: UpdateAuthorInput!) { update_author(id: $id, input: $input) "
        "{ ok } }",
        {"id": str(author.pk), "input": {"api_token": "t"}},
    )
    assert result.status == 400 and result.codes == ["BAD_USER_INPUT"]
    assert not Post.objects.exists()
    assert Author.objects.get().api_token == ""


@override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "NAME_CASE": "camel"})
def test_camel_case_inputs_and_error_paths(graphql):
    type_map = get_schema().schema.type_map
    create = type_map["CreatePostInput"].fields
    assert {"nestedAuthor", "publishedAt", "nestedComments", "isFeatured"} <= set(create)
    assert {"addTags", "removeTags", "updateComments"} <= set(type_map["UpdatePostInput"].fields)
    result = graphql(
        'mutation { createPost(input: {title: "T", slug: "t", body: "B", '
        'nestedAuthor: {name: "A", email: "a@example.com"}, '
        'nestedComments: [{authorName: "%s", body: "C"}]}) { ok fieldErrors { field code } } }'
        % ("x" * 101)
    )
    assert result.ok() == {
        "createPost": {
            "ok": False,
            "fieldErrors": [{"field": "nestedComments.0.authorName", "code": "max_length"}],
        }
    }
    assert not Author.objects.exists()
