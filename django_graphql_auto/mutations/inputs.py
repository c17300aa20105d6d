"""Input types for writes: `CreatePostInput`, `UpdatePostInput`, `BulkUpdatePostInput`.

Requiredness follows Django forms (SPEC §10): a field is required on create when it is not
`blank` and has no default; auto_now/auto_now_add, non-editable fields and automatic primary keys
are never inputs. Relations are nullable in the schema (`author: ID` or `nested_author: ...`);
"exactly one when the FK is required" is checked at run time, where the message can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import models
from django.db.models.fields import AutoFieldMixin
from graphql import (
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
)

from django_graphql_auto.naming import NameCase
from django_graphql_auto.schema import scalars
from django_graphql_auto.schema.metadata import ModelSchema, RelationField, ScalarField
from django_graphql_auto.schema.types import SCALAR_TYPES

InputKind = Literal[
    "scalar",  # a column
    "connect",  # forward FK / O2O by id
    "nested",  # forward FK / O2O created in the same operation
    "set",  # forward M2M: replace the set by ids
    "nested_many",  # forward M2M: create and add
    "add",  # forward M2M on update: add ids
    "remove",  # forward M2M on update: remove ids
    "create_children",  # reverse FK: create children pointing at this row
    "update_children",  # reverse FK on update: update children of this row
    "delete_children",  # reverse FK on update: delete children of this row
]


@dataclass(frozen=True)
class InputField:
    graphql_name: str
    kind: InputKind
    name: str  # model field or relation name
    scalar: ScalarField | None = None
    relation: RelationField | None = None
    required: bool = False  # non-null in the create input


def _auto_pk(field: models.Field) -> bool:
    return field.primary_key and isinstance(field, AutoFieldMixin)  # Small, Big and plain


def given_pk(pk: models.Field) -> bool:
    """Whether a create input gives this primary key: not one the database numbers, nor the
    link to a multi-table parent (set from the parent row)."""
    return not _auto_pk(pk) and not getattr(pk.remote_field, "parent_link", False)


def writable_scalar(scalar: ScalarField, *, update: bool = False) -> bool:
    """A primary key is given on create (unless the database numbers it) but never changed by
    an update: Django's `save()` would insert a second row under the new key, and the rows
    pointing at the old one would stay with it."""
    info = scalar.info
    field = info.field
    if update and field.primary_key:
        return False
    return info.editable and not info.auto_now and not info.auto_now_add and not _auto_pk(field)


def _has_default(info: Any) -> bool:
    return info.has_default or info.field.has_db_default()


def scalar_required(scalar: ScalarField) -> bool:
    """Django forms: required = not blank and no default (null=True alone does not relax it);
    a `db_default` is a default too, filled in by the database."""
    return not scalar.info.blank and not _has_default(scalar.info)


def relation_required(relation: RelationField) -> bool:
    info = relation.info
    return info.forward and not info.blank and not _has_default(info)


def writable_forward(relation: RelationField) -> bool:
    info = relation.info
    field = info.field
    if not info.forward or info.parent_link or not field.editable:
        return False
    return not info.many or info.through is None


def writable_children(relation: RelationField, schemas: dict[Any, ModelSchema]) -> bool:
    """A reverse FK whose children can be written from the parent (the FK is exposed there)."""
    if relation.info.kind != "reverse_foreign_key":
        return False
    child = schemas[relation.target]
    exposed = {**child.relations, **child.write_only_relations}
    return relation.info.remote_name in {r.name for r in exposed.values()}


def _writes(ms: ModelSchema) -> bool:
    return bool(ms.config["ENABLE_MUTATIONS"])


def input_fields(
    ms: ModelSchema,
    schemas: dict[Any, ModelSchema],
    case: NameCase,
    *,
    update: bool,
    not_creatable: frozenset[Any] = frozenset(),
) -> dict[str, InputField]:
    """What an input may set. Nested creates go only into models that have mutations enabled
    and can be created at all (`not_creatable`: a required field of theirs cannot be set)."""
    fields: dict[str, InputField] = {}
    never = ms.never_written  # FIELD_RULES: hidden or read_only for everybody
    for gname, scalar in {**ms.scalars, **ms.write_only_scalars}.items():
        if writable_scalar(scalar, update=update) and scalar.name not in never:
            required = not update and scalar_required(scalar)
            fields[gname] = InputField(
                gname, "scalar", scalar.name, scalar=scalar, required=required
            )
    for gname, relation in {**ms.relations, **ms.write_only_relations}.items():
        name = relation.name
        if name in never:
            continue
        nested_ok = _writes(schemas[relation.target]) and relation.target not in not_creatable
        if update and relation.info.forward and relation.info.field.primary_key:
            continue  # a one-to-one primary key: as for any primary key, never changed
        if writable_forward(relation) and not relation.many:
            fields[gname] = InputField(gname, "connect", name, relation=relation)
            if nested_ok:
                fields[case(f"nested_{name}")] = InputField(
                    case(f"nested_{name}"), "nested", name, relation=relation
                )
        elif writable_forward(relation):
            fields[gname] = InputField(gname, "set", name, relation=relation)
            if nested_ok:
                fields[case(f"nested_{name}")] = InputField(
                    case(f"nested_{name}"), "nested_many", name, relation=relation
                )
            if update:
                for kind, prefix in (("add", "add"), ("remove", "remove")):
                    key = case(f"{prefix}_{name}")
                    fields[key] = InputField(key, kind, name, relation=relation)
        elif writable_children(relation, schemas) and nested_ok:
            key = case(f"nested_{name}")
            fields[key] = InputField(key, "create_children", name, relation=relation)
            if update:
                for kind, prefix in (("update_children", "update"), ("delete_children", "delete")):
                    key = case(f"{prefix}_{name}")
                    fields[key] = InputField(key, kind, name, relation=relation)
    return fields


def _scalar_input_type(ms: ModelSchema, scalar: ScalarField, enums: dict) -> Any:
    if scalar.kind == "file":
        return scalars.Upload
    if scalar.enum:
        return enums[(ms.type_name, scalar.info.name)]
    return SCALAR_TYPES[scalar.kind]


def _relation_input_type(spec: InputField, schemas: dict[Any, ModelSchema]) -> Any:
    """Built only for the kind at hand: a target with mutations off has no input types, and
    plain ids (`connect`, `set`, ...) must not need them."""
    if spec.kind == "connect":
        return GraphQLID
    if spec.kind in ("set", "add", "remove", "delete_children"):
        return GraphQLList(GraphQLNonNull(GraphQLID))
    target = schemas[spec.relation.target]
    if spec.kind == "nested":
        return target.create_input
    if spec.kind == "update_children":
        return GraphQLList(GraphQLNonNull(target.bulk_update_input))
    return GraphQLList(GraphQLNonNull(target.create_input))  # nested_many, create_children


def build_input_types(
    ms: ModelSchema, schemas: dict[Any, ModelSchema], enums: dict, case: NameCase
) -> tuple[GraphQLInputObjectType, GraphQLInputObjectType, GraphQLInputObjectType]:
    """The create, update and bulk-update inputs of one model (fields resolved lazily)."""

    def graphql_fields(fields: dict[str, InputField], with_id: bool):
        def thunk() -> dict[str, GraphQLInputField]:
            result: dict[str, GraphQLInputField] = {}
            if with_id:
                result[ms.id_name] = GraphQLInputField(GraphQLNonNull(GraphQLID))
            for gname, spec in fields.items():
                if spec.kind == "scalar":
                    gtype = _scalar_input_type(ms, spec.scalar, enums)
                    if spec.required:
                        gtype = GraphQLNonNull(gtype)
                    description = spec.scalar.info.help_text or None
                    result[gname] = GraphQLInputField(gtype, description=description)
                    continue
                result[gname] = GraphQLInputField(_relation_input_type(spec, schemas))
            return result

        return thunk

    return (
        GraphQLInputObjectType(
            f"Create{ms.type_name}Input", graphql_fields(ms.create_fields, with_id=False)
        ),
        GraphQLInputObjectType(
            f"Update{ms.type_name}Input", graphql_fields(ms.update_fields, with_id=False)
        ),
        GraphQLInputObjectType(
            f"BulkUpdate{ms.type_name}Input", graphql_fields(ms.update_fields, with_id=True)
        ),
    )


def unsettable_required(ms: ModelSchema, create_fields: dict[str, InputField]) -> list[str]:
    """Required model fields no create input can set (excluded, or a FK to a hidden model).

    When this is not empty the model gets no create mutation: every attempt would fail.
    """
    settable = {spec.name for spec in create_fields.values()}
    missing = []
    for field in ms.model._meta.concrete_fields:
        if field.primary_key and not given_pk(field):
            continue
        if not field.editable or getattr(field, "auto_now", False):
            continue
        if getattr(field, "auto_now_add", False) or field.blank:
            continue
        if field.has_default() or field.has_db_default():
            continue
        if field.name not in settable:
            missing.append(field.name)
    return missing
