"""`PostPayload { ok object objects errors field_errors }` and `FieldError`.

The objects in a payload are read back through the planner after the write, with the selection
the client asked for, so nested fields of a mutation result cost the same few queries as a query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from django_graphql_auto.naming import NameCase
from django_graphql_auto.schema.metadata import ModelSchema


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path, list indices as numbers: "nested_prescriptions.1.drug"
    messages: tuple[str, ...]
    code: str  # Django's ValidationError code: required, unique, max_length, invalid, ...


class FieldErrors(Exception):
    """The input is invalid; carries every error found for the object being written."""

    def __init__(self, errors: list[FieldError], message: str = "The input is not valid."):
        super().__init__(message)
        self.errors = errors
        self.message = message


@dataclass
class Payload:
    ok: bool
    errors: list[str] = field(default_factory=list)
    field_errors: list[FieldError] = field(default_factory=list)
    # Read-back rows keyed by the response key of each `object` / `objects` selection.
    object: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, list[Any] | None] = field(default_factory=dict)


def build_field_error_type(case: NameCase) -> GraphQLObjectType:
    string = GraphQLNonNull(GraphQLString)
    return GraphQLObjectType(
        "FieldError",
        {
            "field": GraphQLField(string, resolve=lambda e, _: e.field),
            "messages": GraphQLField(
                GraphQLNonNull(GraphQLList(string)), resolve=lambda e, _: list(e.messages)
            ),
            "code": GraphQLField(string, resolve=lambda e, _: e.code),
        },
        description="A validation failure of one input field, by dotted path.",
    )


def field_error_type(bundle: Any) -> GraphQLObjectType:
    """The schema's one `FieldError` type, shared by every payload (type names are unique)."""
    existing = bundle.extras.get("field_error_type")
    if existing is None:
        existing = bundle.extras["field_error_type"] = build_field_error_type(bundle.case)
    return existing


def _by_key(attribute: str):
    def resolve(payload: Payload, info: Any) -> Any:
        return getattr(payload, attribute).get(info.path.key)

    return resolve


def outcome_fields(
    field_error: GraphQLObjectType, case: NameCase, results: dict[str, GraphQLField]
) -> dict[str, GraphQLField]:
    """`ok`, the result fields, `errors`, `field_errors`: the shape every write answers with."""
    return {
        "ok": GraphQLField(GraphQLNonNull(GraphQLBoolean), resolve=lambda p, _: p.ok),
        **results,
        "errors": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(GraphQLString))),
            resolve=lambda p, _: p.errors,
        ),
        case("field_errors"): GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(field_error))),
            resolve=lambda p, _: p.field_errors,
        ),
    }


def build_payload_type(ms: ModelSchema, field_error: GraphQLObjectType, case: NameCase):
    return GraphQLObjectType(
        f"{ms.type_name}Payload",
        lambda: outcome_fields(
            field_error,
            case,
            {
                "object": GraphQLField(ms.object_type, resolve=_by_key("object")),
                "objects": GraphQLField(
                    GraphQLList(GraphQLNonNull(ms.object_type)), resolve=_by_key("objects")
                ),
            },
        ),
        description=f"Result of a write to {ms.type_name}: `ok` or the reasons it was refused.",
    )
