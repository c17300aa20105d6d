"""Method mutations: `post_publish(id: ID!, at: DateTime)` from `@graphql_mutation` methods.

The GraphQL signature is derived from the type hints, so the method stays the single source of
truth. A hint we cannot map makes the build fail loudly with the method named, rather than
exposing an argument we cannot check.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ImproperlyConfigured,
    PermissionDenied,
    ValidationError,
)
from django.db import transaction
from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLNonNull,
    GraphQLObjectType,
)

from django_graphql_auto.execution.errors import forbidden
from django_graphql_auto.execution.planner import Planner
from django_graphql_auto.execution.selection import field_selection
from django_graphql_auto.introspection import MethodInfo
from django_graphql_auto.mutations.crud import lookup
from django_graphql_auto.mutations.events import ChangeEvent, dispatch
from django_graphql_auto.mutations.payloads import FieldError, FieldErrors, outcome_fields
from django_graphql_auto.mutations.writer import Writer
from django_graphql_auto.permissions import VIEW
from django_graphql_auto.schema.annotations import Hint, graphql_type, is_model, reduce_hint
from django_graphql_auto.schema.metadata import ModelSchema

EMPTY = inspect.Parameter.empty


@dataclass
class MethodPayload:
    ok: bool
    errors: list[str] = field(default_factory=list)
    field_errors: list[FieldError] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


def _arguments(ms: ModelSchema, method: MethodInfo, bundle: Any) -> dict[str, GraphQLArgument]:
    args = {ms.id_name: GraphQLArgument(GraphQLNonNull(GraphQLID))}
    for name, annotation, default in method.parameters:
        where = f"{ms.info.label}.{method.name}({name})"
        if annotation is EMPTY:
            raise ImproperlyConfigured(f"{where}: annotate the argument's type.")
        hint = reduce_hint(annotation, where)
        gtype = graphql_type(hint, bundle, where, output=False)
        if default is EMPTY or not isinstance(gtype, GraphQLNonNull):
            args[bundle.case(name)] = GraphQLArgument(gtype)
        elif isinstance(default, bool | int | float | str) and not hint.many:
            # `minutes: int = 30` -> `minutes: Int! = 30`: may be left out, never null.
            args[bundle.case(name)] = GraphQLArgument(gtype, default_value=default)
        else:
            # A default GraphQL cannot print (a Decimal, a datetime): optional, and an explicit
            # null means "use the method's default" (the resolver leaves it out).
            args[bundle.case(name)] = GraphQLArgument(gtype.of_type)
    return args


def _result_type(ms: ModelSchema, method: MethodInfo, bundle: Any) -> tuple[Any, Hint | None]:
    annotation = method.return_annotation
    if annotation in (None, type(None), EMPTY):
        return GraphQLBoolean, None
    where = f"{ms.info.label}.{method.name}() -> result"
    hint = reduce_hint(annotation, where)
    gtype = graphql_type(hint, bundle, where, output=True)
    return (gtype.of_type if isinstance(gtype, GraphQLNonNull) else gtype), hint


def _errors_from(error: ValidationError, case: Any) -> list[FieldError]:
    if hasattr(error, "error_dict"):
        result = []
        for name, problems in error.error_dict.items():
            key = NON_FIELD_ERRORS if name == NON_FIELD_ERRORS else case(name)
            for problem in problems:
                messages = tuple(str(m) for m in problem.messages)
                result.append(FieldError(key, messages, problem.code or "invalid"))
        return result
    return [
        FieldError(NON_FIELD_ERRORS, (str(message),), problem.code or "invalid")
        for problem in error.error_list
        for message in problem.messages
    ]


def method_field(ms: ModelSchema, method: MethodInfo, bundle: Any, field_error: Any):
    options = method.options
    case = bundle.case
    result_type, result_hint = _result_type(ms, method, bundle)
    payload = GraphQLObjectType(
        f"{ms.type_name}{''.join(p.title() for p in options['name'].split('_'))}Payload",
        outcome_fields(
            field_error,
            case,
            {
                "result": GraphQLField(
                    result_type, resolve=lambda p, info: p.result.get(info.path.key)
                )
            },
        ),
    )
    parameters = {case(name): (name, annotation) for name, annotation, _ in method.parameters}
    arguments_type = _arguments(ms, method, bundle)
    # Arguments whose null stands for "the method's own default" (see _arguments).
    defaults_only = {
        case(name)
        for name, annotation, default in method.parameters
        if default is not EMPTY
        and not reduce_hint(annotation, name).optional
        and not isinstance(arguments_type[case(name)].type, GraphQLNonNull)
    }

    # A parameter without a default is a nullable argument only when its type allows None, and
    # graphql-core leaves an argument the client did not give out of the resolver's arguments.
    without_default = [name for name, _, default in method.parameters if default is EMPTY]

    def convert(ctx: Any, gname: str, value: Any) -> Any:
        name, annotation = parameters[gname]
        hint = reduce_hint(annotation, name)
        if value is None or not is_model(hint.base):
            return value
        rows = Writer(ctx).fetch(hint.base, value if hint.many else [value], gname, VIEW)
        return rows if hint.many else rows[0]

    def resolve(root: Any, info: Any, **arguments: Any) -> MethodPayload:
        ctx = info.context
        raw_id = arguments[ms.id_name]
        row = lookup(ctx, ms, raw_id, options["operation"])
        if row is None:
            message = f"No {ms.type_name} with id {raw_id}."
            return MethodPayload(False, [message], [FieldError(ms.id_name, (message,), "invalid")])
        ctx.require_object(row, options["operation"])
        permission = options["permission"]
        has_perm = getattr(ctx.user, "has_perm", lambda *a: False)
        # The model-wide permission, or the permission on this row (django-guardian, -rules):
        # Django's ModelBackend answers only the first, object backends the second.
        if permission and not (has_perm(permission) or has_perm(permission, row)):
            raise forbidden(f"You may not {options['name']} this {ms.type_name}.")
        try:
            kwargs = {
                parameters[key][0]: convert(ctx, key, value)
                for key, value in arguments.items()
                if key != ms.id_name and not (value is None and key in defaults_only)
            }
        except FieldErrors as error:
            return MethodPayload(False, [error.message], list(error.errors))
        for name in without_default:  # `note: str | None` left out by the client: None
            kwargs.setdefault(name, None)

        def call() -> Any:
            value = getattr(row, method.name)(**kwargs)
            dispatch([ChangeEvent(ms.model, row.pk, "updated", frozenset())])
            return value

        try:
            if options["atomic"]:
                with transaction.atomic():
                    value = call()
            else:
                value = call()
        except ValidationError as error:
            return MethodPayload(
                False, ["The method refused the input."], _errors_from(error, case)
            )
        except PermissionDenied as error:
            raise forbidden(str(error) or "Not allowed.") from None
        payload_value = MethodPayload(True)
        for child in field_selection(info, arguments).child("result"):
            payload_value.result[child.key] = _read_back(ctx, info, child, result_hint, value)
        return payload_value

    return GraphQLField(
        payload,
        args=arguments_type,
        resolve=resolve,
        description=options["description"] or method.doc or None,
    )


def _read_back(ctx: Any, info: Any, child: Any, hint: Hint | None, value: Any) -> Any:
    if hint is None:
        return True
    if not is_model(hint.base) or value is None:
        return value
    target = ctx.bundle.models[hint.base]
    if not ctx.allows(hint.base, VIEW):
        return None
    rows = list(value) if hint.many else [value]
    path = (info.path.key, child.key)
    loaded = Planner(ctx).rows_by_pk(target, [r.pk for r in rows], child.children, path)
    return loaded if hint.many else (loaded[0] if loaded else None)
