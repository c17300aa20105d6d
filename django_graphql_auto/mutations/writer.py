"""Applies one write input (and everything nested in it) to model instances.

The writer validates with Django itself (`full_clean()`), so validators, `unique`, constraints,
`max_length` and choices become `FieldError`s with Django's codes. It never commits anything on
its own: callers wrap it in one `transaction.atomic()`, so any error anywhere in a nested input
rolls the whole mutation back. Every row it touches goes through the policy: the caller needs the
model permission for the operation, a row they cannot see is reported as not existing (and a
many-to-many link to it is left alone), each row written, deleted, connected, or linked to or
unlinked from a many-to-many set must pass the object check (`allows_object`), and each input
field must be writable for the caller (`FIELD_RULES`); a refusal is FORBIDDEN.

Clearing or repointing a foreign key (`category: null`) does not ask about the row it pointed
to, as Django's admin does not: the key is a column of the row written, whose check sees the
old target on the row as found. A many-to-many link is no column of either row, so the rows
unlinked are asked like the rows linked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models
from django.db.models.fields.files import FieldFile

from django_graphql_auto.execution.filtering import within_int64
from django_graphql_auto.mutations.events import ChangeEvent
from django_graphql_auto.mutations.inputs import InputField, relation_required
from django_graphql_auto.mutations.payloads import FieldError, FieldErrors
from django_graphql_auto.mutations.uploads import check_upload
from django_graphql_auto.permissions import ADD, CHANGE, DELETE, VIEW
from django_graphql_auto.schema.metadata import ModelSchema, RelationField
from django_graphql_auto.security.sanitize import sanitize_input


def dotted(path: tuple[Any, ...], name: str | None = None) -> str:
    parts = [str(p) for p in path]
    if name is not None:
        parts.append(name)
    return ".".join(parts) or NON_FIELD_ERRORS


def _inverse_name(relation: RelationField) -> str | None:
    """The name of the relation on the target that leads back here (used to refuse cycles)."""
    info = relation.info
    if info.forward:
        return info.field.remote_field.get_accessor_name()
    return info.remote_name


MANY_KINDS = frozenset({"set", "add", "remove", "nested_many"})


def _many_written(later: list[tuple[InputField, Any]]) -> set[str]:
    """Forward many-to-many fields changed after the save: they belong in the change event."""
    return {spec.name for spec, _ in later if spec.kind in MANY_KINDS}


class Writer:
    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.bundle = ctx.bundle
        self.case = ctx.bundle.case
        self.max_depth = ctx.bundle.config["MAX_NESTED_DEPTH"]
        self.events: list[ChangeEvent] = []
        self.stored_files: list[FieldFile] = []

    # Entry points ------------------------------------------------------------------------------

    def create(
        self,
        ms: ModelSchema,
        data: dict[str, Any],
        path: tuple[Any, ...] = (),
        *,
        depth: int = 1,
        parent: tuple[str, models.Model] | None = None,
        back: str | None = None,
    ) -> models.Model:
        """Create one row; `parent` is (FK name, row) when a parent creates its children."""
        self._check_depth(depth, path)
        self.ctx.require(ms.model, ADD)
        self.check_writable(ms, data, ms.create_fields, path)
        instance = ms.model()
        if parent is not None:
            setattr(instance, parent[0], parent[1])
        later, written, resolved = self._assign(
            ms, instance, data, ms.create_fields, path, depth, parent, back
        )
        self._require_relations(ms, instance, data, path, parent)
        self.ctx.require_object(instance, ADD)  # as it would be saved
        self._save(ms, instance, path, written, resolved, creating=True)
        self._apply_later(ms, instance, later, path, depth)
        written |= _many_written(later)
        self.events.append(ChangeEvent(ms.model, instance.pk, "created", frozenset(written)))
        return instance

    def update(
        self,
        ms: ModelSchema,
        instance: models.Model,
        data: dict[str, Any],
        path: tuple[Any, ...] = (),
        *,
        depth: int = 1,
        parent: tuple[str, models.Model] | None = None,
    ) -> models.Model:
        self._check_depth(depth, path)
        self.ctx.require(ms.model, CHANGE)
        self.ctx.require_object(instance, CHANGE)
        self.check_writable(ms, data, ms.update_fields, path)
        emptied = self._empty_required_sets(ms, ms.update_fields, data, path, creating=False)
        if emptied:
            raise FieldErrors(emptied)
        later, written, resolved = self._assign(
            ms, instance, data, ms.update_fields, path, depth, parent, None
        )
        if written:
            self.ctx.require_object(instance, CHANGE)  # as it would be saved
        self._save(ms, instance, path, written, resolved, creating=False)
        self._apply_later(ms, instance, later, path, depth)
        written |= _many_written(later)
        self.events.append(ChangeEvent(ms.model, instance.pk, "updated", frozenset(written)))
        return instance

    def fetch(
        self,
        model: type[models.Model],
        ids: list[Any],
        path: str,
        operation: str = CHANGE,
        also: Iterable[str] = (),
    ) -> list[models.Model]:
        """Rows by id, in input order, among those the caller may see and `operation` (each
        row must pass the object check, except for reading). `also`: relations to load with
        them besides those their own check reads (`existing`)."""
        self.ctx.require(model, operation)
        pk_field = model._meta.pk
        pks = []
        for raw in ids:
            try:
                pks.append(pk_field.to_python(raw))
            except ValidationError:
                raise FieldErrors(
                    [FieldError(path, (f"'{raw}' is not a valid id.",), "invalid")]
                ) from None
        found = self.existing(model, pks, operation, also)
        missing = [str(raw) for raw, pk in zip(ids, pks, strict=True) if pk not in found]
        if missing:
            type_name = self.bundle.type_name(model)
            message = f"No {type_name} with id {', '.join(missing)}."
            raise FieldErrors([FieldError(path, (message,), "invalid")])
        if operation != VIEW:
            for row in found.values():
                self.ctx.require_object(row, operation)
        return [found[pk] for pk in pks]

    def existing(
        self,
        model: type[models.Model],
        pks: Iterable[Any],
        operation: str,
        also: Iterable[str] = (),
    ) -> dict[Any, models.Model]:
        """The rows among `pks` that exist for the caller, by primary key: visible and not
        concealed for `operation` (`RequestContext.conceals`). An id beyond 64 bits fits no
        column, so it matches nothing, like an unknown id (SQLite could not even bind it).

        They come with the relations their object check reads, and `also` (the relations the
        check of a row connected to them reads through them), in the same query: checking a
        whole batch then costs no query per row."""
        rows = self.ctx.visible_for_checks(model, also)
        rows = rows.filter(pk__in=within_int64("in", list(pks)))
        return {row.pk: row for row in rows if not self.ctx.conceals(row, operation)}

    def relations_through(self, model: type[models.Model], name: str) -> tuple[str, ...]:
        """What the object check of a `model` row reads beyond its foreign key `name`: for a
        comment owned through "post__author", the connected post's "author". Loaded with the
        rows connected through `name`, so the check of the row written, which reuses the very
        instances connected, costs no query either."""
        prefix = f"{name}__"
        return tuple(
            path[len(prefix) :]
            for path in self.ctx.object_relations(model)
            if path.startswith(prefix)
        )

    def check_writable(
        self,
        ms: ModelSchema,
        data: dict[str, Any],
        specs: dict[str, InputField],
        path: tuple[Any, ...],
    ) -> None:
        """Every field the input sets must be writable for the caller (FIELD_RULES)."""
        writable = self.ctx.writable(ms.model)
        if writable is None:
            return
        for key in data:
            spec = specs.get(key)
            if spec is not None:
                self.ctx.require_writable(ms.model, spec.name, dotted(path, key))

    def discard_files(self) -> None:
        """Remove files stored by a write that was rolled back: storage is not transactional."""
        for stored in self.stored_files:
            with contextlib.suppress(Exception):  # best effort: missing is what we want
                stored.storage.delete(stored.name)
        self.stored_files.clear()

    # Steps -------------------------------------------------------------------------------------

    def _check_depth(self, depth: int, path: tuple[Any, ...]) -> None:
        if depth > self.max_depth:
            raise FieldErrors(
                [
                    FieldError(
                        dotted(path),
                        (f"Nested writes may go {self.max_depth} levels deep at most.",),
                        "max_depth",
                    )
                ]
            )

    def _assign(
        self,
        ms: ModelSchema,
        instance: models.Model,
        data: dict[str, Any],
        specs: dict[str, InputField],
        path: tuple[Any, ...],
        depth: int,
        parent: tuple[str, models.Model] | None,
        back: str | None,
    ) -> tuple[list[tuple[InputField, Any]], set[str], set[str]]:
        """Set columns and to-one relations; return relation work for after the save, the
        model field names written, and the FK names already checked (not validated again)."""
        later: list[tuple[InputField, Any]] = []
        written: set[str] = set()
        resolved: set[str] = set()
        errors: list[FieldError] = []
        for key, value in data.items():
            spec = specs[key]
            where = dotted(path, key)
            relation = spec.relation
            if relation is not None and parent is not None and spec.name == parent[0]:
                message = "Set by the enclosing object; leave it out."
                errors.append(FieldError(where, (message,), "invalid"))
                continue
            if relation is not None and back is not None and spec.name == back:
                message = "Leads back to the enclosing object (a cycle); write it from there."
                errors.append(FieldError(where, (message,), "cycle"))
                continue
            if spec.kind == "scalar":
                self._set_scalar(ms, instance, spec, value, where)
                written.add(spec.name)
            elif spec.kind == "connect":
                other = self.case(f"nested_{spec.name}")
                if value is not None and data.get(other) is not None:
                    message = f"Give either {key} or {other}, not both."
                    errors.append(FieldError(where, (message,), "invalid"))
                    continue
                if value is None:  # the row it pointed to is not asked: see the module docstring
                    setattr(instance, relation.info.attname, None)
                else:
                    also = self.relations_through(ms.model, spec.name)
                    (row,) = self.fetch(relation.target, [value], where, also=also)
                    setattr(instance, spec.name, row)
                    resolved.add(spec.name)
                written.add(spec.name)
            elif spec.kind == "nested":
                if value is None:
                    continue
                target = self.bundle.models[relation.target]
                row = self.create(
                    target,
                    value,
                    (*path, key),
                    depth=depth + 1,
                    back=_inverse_name(relation),
                )
                setattr(instance, spec.name, row)
                resolved.add(spec.name)
                written.add(spec.name)
            elif value is not None:  # `tags: null` changes nothing; `tags: []` empties the set
                later.append((spec, value))
        if errors:
            raise FieldErrors(errors)
        return later, written, resolved

    def _set_scalar(
        self, ms: ModelSchema, instance: models.Model, spec: InputField, value: Any, where: str
    ) -> None:
        info = spec.scalar.info
        if spec.scalar.kind == "file":
            if value is not None:
                check_upload(ms, info, value, where)
            setattr(instance, info.name, value if value is not None else "")
            return
        if value is None and not info.null:
            if spec.scalar.kind == "string" and info.blank:
                value = ""  # "clear" for a blank-but-not-null text column
            else:
                # full_clean() skips empty values of blank fields, so say it here, not as a
                # database error at save time.
                message = f"{spec.graphql_name} cannot be null."
                raise FieldErrors([FieldError(where, (message,), "null")])
        # HTML sanitizing of the fields the settings name, before full_clean() validates.
        value = sanitize_input(self.ctx, ms, spec.scalar, value)
        setattr(instance, info.attname, value)

    def _empty_required_sets(
        self,
        ms: ModelSchema,
        fields: dict[str, InputField],
        data: dict[str, Any],
        path: tuple[Any, ...],
        *,
        creating: bool,
    ) -> list[FieldError]:
        """A required many-to-many (no blank=True) needs at least one row, as in a ModelForm:
        on create it must be given, on update `tags: []` may not empty it."""
        errors = []
        for spec in fields.values():
            if spec.kind != "set" or spec.relation.info.blank:
                continue
            if not creating and data.get(spec.graphql_name) is None:
                continue  # not given (or null, which an update ignores): left as it is
            other = self.case(f"nested_{spec.name}")
            if not data.get(spec.graphql_name) and not data.get(other):
                message = f"Give {spec.graphql_name} or {other} (at least one)."
                errors.append(FieldError(dotted(path, spec.graphql_name), (message,), "required"))
        return errors

    def _require_relations(
        self,
        ms: ModelSchema,
        instance: models.Model,
        data: dict[str, Any],
        path: tuple[Any, ...],
        parent: tuple[str, models.Model] | None,
    ) -> None:
        errors = self._empty_required_sets(ms, ms.create_fields, data, path, creating=True)
        for spec in ms.create_fields.values():
            if spec.kind != "connect" or (parent and spec.name == parent[0]):
                continue
            info = spec.relation.info
            if not relation_required(spec.relation) or getattr(instance, info.attname) is not None:
                continue
            other = self.case(f"nested_{spec.name}")
            errors.append(
                FieldError(
                    dotted(path, spec.graphql_name),
                    (f"Give {spec.graphql_name} or {other}.",),
                    "required",
                )
            )
        if errors:
            raise FieldErrors(errors)

    def _save(
        self,
        ms: ModelSchema,
        instance: models.Model,
        path: tuple[Any, ...],
        written: set[str],
        resolved: set[str],
        *,
        creating: bool,
    ) -> None:
        untouched: set[str] = set()
        if not creating:
            # Like a ModelForm: validate what this input wrote, not the untouched columns.
            untouched = {f.name for f in instance._meta.concrete_fields} - written
        self._validate(ms, instance, path, untouched, resolved)
        try:
            # No savepoint of its own: an IntegrityError aborts the whole write anyway (the
            # caller's atomic block rolls everything back), and a savepoint costs two statements.
            instance.save()
        except IntegrityError:
            message = "The row conflicts with existing data (a constraint was violated)."
            raise FieldErrors([FieldError(dotted(path), (message,), "invalid")]) from None
        for field in instance._meta.concrete_fields:
            if isinstance(field, models.FileField) and field.name in written:
                stored = getattr(instance, field.name)
                if stored:
                    self.stored_files.append(stored)

    def _validate(
        self,
        ms: ModelSchema,
        instance: models.Model,
        path: tuple[Any, ...],
        untouched: set[str],
        resolved: set[str],
    ) -> None:
        """Django's `full_clean`, except that a to-one this input connected is not looked up
        again (the writer found it among the rows the caller may see) but still takes part in
        uniqueness and constraints: a second author for the same user is `unique` on `user`,
        as in a ModelForm, not a constraint failure at save time."""
        errors: dict[str, list] = {}
        try:
            instance.full_clean(
                exclude=untouched | resolved, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # As in `full_clean`: a field that failed its own checks is left out of the rest.
        skipped = untouched | {name for name in errors if name != NON_FIELD_ERRORS}
        for check in (instance.validate_unique, instance.validate_constraints):
            try:
                check(exclude=skipped)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise FieldErrors(self._field_errors(ms, ValidationError(errors), path))

    def _field_errors(
        self, ms: ModelSchema, error: ValidationError, path: tuple[Any, ...]
    ) -> list[FieldError]:
        # A FK has two inputs (`author`, `nested_author`): errors on the column name the first.
        names: dict[str, str] = {}
        for fields in (ms.create_fields, ms.update_fields):
            for key, spec in fields.items():
                names.setdefault(spec.name, key)
        result = []
        for name, problems in error.error_dict.items():
            key = NON_FIELD_ERRORS if name == NON_FIELD_ERRORS else names.get(name, name)
            for problem in problems:
                messages = tuple(str(m) for m in problem.messages)
                result.append(FieldError(dotted(path, key), messages, problem.code or "invalid"))
        return result

    def _apply_later(
        self,
        ms: ModelSchema,
        instance: models.Model,
        later: list[tuple[InputField, Any]],
        path: tuple[Any, ...],
        depth: int,
    ) -> None:
        for spec, value in later:
            relation = spec.relation
            target = self.bundle.models[relation.target]
            key = spec.graphql_name
            where = dotted(path, key)
            manager = getattr(instance, spec.name)
            if spec.kind == "set":
                self._replace_links(
                    manager, relation.target, self.fetch(relation.target, value, where)
                )
            elif spec.kind == "add":
                manager.add(*self.fetch(relation.target, value, where))
            elif spec.kind == "remove":
                manager.remove(*self.fetch(relation.target, value, where))
            elif spec.kind == "nested_many":
                back = _inverse_name(relation)
                rows = [
                    self.create(target, item, (*path, key, i), depth=depth + 1, back=back)
                    for i, item in enumerate(value)
                ]
                manager.add(*rows)
            elif spec.kind == "create_children":
                fk = relation.info.remote_name
                for i, item in enumerate(value):
                    self.create(
                        target, item, (*path, key, i), depth=depth + 1, parent=(fk, instance)
                    )
            elif spec.kind == "update_children":
                self._update_children(target, relation, instance, value, path, key, depth)
            elif spec.kind == "delete_children":
                rows = self._children(target, relation, instance, value, where, DELETE)
                for row in {row.pk: row for row in rows}.values():  # an id given twice: once
                    pk = row.pk
                    row.delete()
                    self.events.append(ChangeEvent(target.model, pk, "deleted", frozenset()))

    def _replace_links(
        self, manager: Any, model: type[models.Model], rows: list[models.Model]
    ) -> None:
        """`tags: [...]`: the links to the rows that exist for the caller become `rows`. A link
        to a row they cannot see stays, as for `remove_tags`, which answers that such a row does
        not exist. Unlinking a row changes it as much as linking: each one passes the check."""
        kept = {row.pk for row in rows}
        linked = self.ctx.visible_for_checks(model)
        linked = linked.filter(pk__in=manager.values("pk"))  # one query
        dropped = [
            row for row in linked if row.pk not in kept and not self.ctx.conceals(row, CHANGE)
        ]
        for row in dropped:
            self.ctx.require_object(row, CHANGE)
        manager.remove(*dropped)
        manager.add(*rows)

    def _children(self, target, relation, instance, ids, where, operation):
        """The rows `ids` names, each of which must point at `instance`. The comparison is
        the foreign key's own: its column against the value it targets, which is not the
        primary key for a `to_field` key (`City.country` holds `Country.iso`)."""
        fk = relation.info.field.field  # the reverse relation's foreign key, on the child
        parent = getattr(instance, fk.target_field.attname)
        rows = self.fetch(relation.target, ids, where, operation)
        foreign = [str(r.pk) for r in rows if getattr(r, fk.attname, None) != parent]
        if foreign:
            message = f"Not children of this object: {', '.join(foreign)}."
            raise FieldErrors([FieldError(where, (message,), "invalid")])
        return rows

    def _update_children(self, target, relation, instance, items, path, key, depth):
        ids = [item[target.id_name] for item in items]
        rows = self._children(target, relation, instance, ids, dotted(path, key), CHANGE)
        fk = relation.info.remote_name
        for i, (row, item) in enumerate(zip(rows, items, strict=True)):
            data = {k: v for k, v in item.items() if k != target.id_name}
            self.update(target, row, data, (*path, key, i), depth=depth + 1, parent=(fk, instance))
