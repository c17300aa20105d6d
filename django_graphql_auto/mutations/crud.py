"""Root resolvers of `create_post`, `update_post` and `delete_post`."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, RestrictedError

from django_graphql_auto.execution.planner import Planner
from django_graphql_auto.execution.selection import Selection, field_selection
from django_graphql_auto.mutations.events import ChangeEvent, dispatch
from django_graphql_auto.mutations.payloads import FieldError, FieldErrors, Payload
from django_graphql_auto.mutations.writer import Writer
from django_graphql_auto.permissions import ADD, CHANGE, DELETE, VIEW
from django_graphql_auto.schema.metadata import ModelSchema


def _own_columns_only(ms: ModelSchema, children: tuple) -> bool:
    """The selection reads nothing but the row's own columns (no relation, count or file)."""
    for selection in children:
        name = selection.name
        if name in ms.relations or name in ms.counts:
            return False
        if name in ms.scalars and ms.scalars[name].kind == "file":
            return False
    return True


@cache
def _manager_filters(model: type[models.Model]) -> bool:
    """Whether the default manager narrows its rows (like a "published only" proxy)."""
    return model._default_manager.get_queryset().query.has_filters()


def _written_rows_are_current(ctx: Any, ms: ModelSchema, children: tuple) -> bool:
    """Whether the instances just saved can answer the selection without reading them again:
    only their own columns are asked for, no row rule or manager could hide them, and no
    column is computed by the database (`db_default`)."""
    if not ctx.joinable(ms.model) or not _own_columns_only(ms, children):
        return False
    if _manager_filters(ms.model):
        return False  # the manager may hide the row
    return not any(
        getattr(f, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED
        for f in ms.model._meta.concrete_fields
    )


def read_back(
    ctx: Any,
    ms: ModelSchema,
    selection: Selection | None,
    rows: list[models.Model],
    *,
    many: bool = False,
) -> Payload:
    """A successful payload showing the written rows as the client selected them
    (`selection` from `payload_selection`): a single operation fills `object`, a bulk one
    `objects`; the other stays null. The saved instances answer themselves when they can,
    else they are read again through the planner (so relations and counts cost a constant
    number of queries)."""
    payload = Payload(ok=True)
    if selection is None:
        return payload  # written, but the caller may not read it back: nulls, not an error
    planner = Planner(ctx)
    key = "objects" if many else "object"
    for child in selection.child(key):
        if _written_rows_are_current(ctx, ms, child.children):
            loaded = list(rows)
        else:
            pks = [row.pk for row in rows]
            loaded = planner.rows_by_pk(ms, pks, child.children, (selection.key, child.key))
        if many:
            payload.objects[child.key] = loaded
        else:
            payload.object[child.key] = loaded[0] if loaded else None
    return payload


def payload_selection(ctx: Any, ms: ModelSchema, info: Any, arguments: dict) -> Selection | None:
    """The payload's selection, for `read_back`; None when the caller may not view the model
    (the payload then shows no rows).

    A selection the caller could not read back (a hidden field, a model they may not view
    through a relation) is refused here, before anything is written: otherwise the write
    would commit and only the answer would fail. Planning runs no SQL."""
    if not ctx.allows(ms.model, VIEW):
        return None
    selection = field_selection(info, arguments)
    planner = Planner(ctx)
    for key in ("object", "objects"):
        for child in selection.child(key):
            planner.check(ms, child.children, (selection.key, child.key))
    return selection


def refused(error: FieldErrors) -> Payload:
    return Payload(ok=False, errors=[error.message], field_errors=list(error.errors))


def not_found(ms: ModelSchema, raw_id: Any, where: str = "id") -> Payload:
    message = f"No {ms.type_name} with id {raw_id}."
    return Payload(
        ok=False, errors=[message], field_errors=[FieldError(where, (message,), "invalid")]
    )


#: A constraint the database checks only at commit (PostgreSQL defers foreign keys): changing
#: the column a `to_field` key points at while rows still point at the old value.
COMMIT_CONFLICT = "The write conflicts with rows that point at it (a constraint was violated)."


def run_write(ctx: Any, write) -> tuple[Writer, Any]:
    """Run `write(writer)` in one transaction; files of a rolled-back write are removed. A
    constraint violated at commit is a field error of the write, not a server error."""
    writer = Writer(ctx)
    try:
        with transaction.atomic():
            result = write(writer)
            dispatch(writer.events)
    except (ProtectedError, RestrictedError):  # IntegrityErrors the delete resolvers explain
        writer.discard_files()
        raise
    except IntegrityError:
        writer.discard_files()
        raise FieldErrors([FieldError(NON_FIELD_ERRORS, (COMMIT_CONFLICT,), "invalid")]) from None
    except BaseException:
        writer.discard_files()
        raise
    return writer, result


def lookup(ctx: Any, ms: ModelSchema, raw_id: Any, operation: str):
    """The visible row with this id, or None (unknown, invisible and concealed look the same:
    `RequestContext.conceals`)."""
    ctx.require(ms.model, operation)
    try:
        pk = ms.model._meta.pk.to_python(raw_id)
    except ValidationError:
        return None
    row = ctx.visible_for_checks(ms.model).filter(pk=pk).first()
    return None if row is None or ctx.conceals(row, operation) else row


def create_resolver(ms: ModelSchema):
    def resolve_create(root: Any, info: Any, **arguments: Any) -> Payload:
        ctx = info.context
        ctx.require(ms.model, ADD)
        selection = payload_selection(ctx, ms, info, arguments)
        data = arguments["input"]
        try:
            _, row = run_write(ctx, lambda writer: writer.create(ms, data))
        except FieldErrors as error:
            return refused(error)
        return read_back(ctx, ms, selection, [row])

    return resolve_create


def update_resolver(ms: ModelSchema):
    def resolve_update(root: Any, info: Any, **arguments: Any) -> Payload:
        ctx = info.context
        raw_id = arguments[ms.id_name]
        row = lookup(ctx, ms, raw_id, CHANGE)
        selection = payload_selection(ctx, ms, info, arguments)
        if row is None:
            return not_found(ms, raw_id, ms.id_name)
        try:
            run_write(ctx, lambda writer: writer.update(ms, row, arguments["input"]))
        except FieldErrors as error:
            return refused(error)
        return read_back(ctx, ms, selection, [row])

    return resolve_update


def protected_message(ms: ModelSchema, error: ProtectedError | RestrictedError, pk: Any) -> str:
    blocking = sorted(
        {
            f"{obj._meta.label}.{field.name}"
            for obj in (error.protected_objects if isinstance(error, ProtectedError) else [])
            or getattr(error, "restricted_objects", ())
            for field in obj._meta.concrete_fields
            if field.is_relation
            and field.related_model is not None
            and issubclass(ms.model._meta.concrete_model, field.related_model)
        }
    )
    kind = "protected" if isinstance(error, ProtectedError) else "restricted"
    return f"Cannot delete {ms.type_name} {pk}: {kind} by {', '.join(blocking) or 'related rows'}."


def delete_resolver(ms: ModelSchema):
    def resolve_delete(root: Any, info: Any, **arguments: Any) -> Payload:
        ctx = info.context
        raw_id = arguments[ms.id_name]
        row = lookup(ctx, ms, raw_id, DELETE)
        selection = payload_selection(ctx, ms, info, arguments)
        if row is None:
            return not_found(ms, raw_id, ms.id_name)
        ctx.require_object(row, DELETE)
        pk = row.pk
        payload = read_back(ctx, ms, selection, [row])  # shown before the row is gone

        def delete(writer: Writer) -> None:
            row.delete()
            row.pk = pk  # Django clears it; the payload still shows the row as it was
            writer.events.append(ChangeEvent(ms.model, pk, "deleted", frozenset()))

        try:
            run_write(ctx, delete)
        except (ProtectedError, RestrictedError) as error:
            message = protected_message(ms, error, pk)
            return Payload(
                ok=False,
                errors=[message],
                field_errors=[FieldError(ms.id_name, (message,), "protected")],
            )
        return payload

    return resolve_delete
