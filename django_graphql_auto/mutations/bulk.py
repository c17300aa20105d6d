"""`bulk_create_post`, `bulk_update_post`, `bulk_delete_post`: all or nothing.

Flat inputs (columns, to-one ids, to-many id sets) take the ORM's bulk paths with the same
validation as single writes: `full_clean()` per row for everything that needs no query, and the
checks that do need one (related ids, unique values) run once per field for the whole batch.
So 1,000 rows cost a handful of statements, not thousands. Inputs with nested writes or files
fall back to the single-row writer, row by row, still inside one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from django_graphql_auto.execution.errors import bad_input
from django_graphql_auto.mutations.crud import (
    payload_selection,
    protected_message,
    read_back,
    refused,
    run_write,
)
from django_graphql_auto.mutations.events import ChangeEvent
from django_graphql_auto.mutations.inputs import given_pk
from django_graphql_auto.mutations.payloads import FieldError, FieldErrors, Payload
from django_graphql_auto.mutations.writer import Writer, dotted
from django_graphql_auto.permissions import ADD, CHANGE, DELETE
from django_graphql_auto.schema.metadata import ModelSchema

FLAT_KINDS = frozenset({"scalar", "connect", "set"})


def _check_size(ms: ModelSchema, items: list, argument: str) -> None:
    limit = ms.config["BULK_MAX_ITEMS"]
    if len(items) > limit:
        raise bad_input(
            f"'{argument}' holds {len(items)} items; at most {limit} are accepted.", argument
        )


def _flat(ms: ModelSchema, items: list[dict], specs: dict) -> bool:
    model = ms.model
    if model._meta.concrete_model._meta.parents:
        return False  # Django cannot bulk-insert multi-table children
    for item in items:
        for key in item:
            spec = specs.get(key)
            if spec is None:
                continue  # the id of a bulk update item
            if spec.kind not in FLAT_KINDS or (spec.scalar and spec.scalar.kind == "file"):
                return False
    return True


def _many_set(item: dict, specs: dict) -> set[str]:
    """The many-to-many fields an item replaced (`tags: [...]`), for its change event."""
    return {
        spec.name for key, spec in specs.items() if spec.kind == "set" and item.get(key) is not None
    }


def _without_conflicts(write: Any) -> None:
    """Run a bulk statement; a constraint the checks could not foresee is a field error."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        raise FieldErrors(
            [FieldError("__all__", ("A row conflicts with existing data.",), "invalid")]
        ) from None


class BulkWriter:
    def __init__(self, writer: Writer, ms: ModelSchema):
        self.writer = writer
        self.ctx = writer.ctx
        self.ms = ms
        self.errors: list[FieldError] = []

    # Related ids, one query per field for the whole batch ------------------------------------

    def _related(
        self,
        items: list[dict],
        key: str,
        target: type[models.Model],
        many: bool,
        also: tuple[str, ...] = (),
    ):
        """The rows the items connect through `key`, by primary key; `also`: what the check of
        the rows written reads through them (`Writer.relations_through`)."""
        self.ctx.require(target, CHANGE)
        pk_field = target._meta.pk
        wanted: dict[Any, list[tuple[int, Any]]] = defaultdict(list)
        for i, item in enumerate(items):
            raw = item.get(key)
            if raw is None:
                continue
            for value in raw if many else [raw]:
                try:
                    wanted[pk_field.to_python(value)].append((i, value))
                except ValidationError:
                    self.errors.append(
                        FieldError(dotted((i,), key), (f"'{value}' is not a valid id.",), "invalid")
                    )
        found = self.writer.existing(target, wanted, CHANGE, also)
        for row in found.values():  # connecting a row changes it: its object check
            self.ctx.require_object(row, CHANGE)
        type_name = self.writer.bundle.type_name(target)
        for pk, places in wanted.items():
            if pk not in found:
                for i, value in places:
                    message = f"No {type_name} with id {value}."
                    self.errors.append(FieldError(dotted((i,), key), (message,), "invalid"))
        return found

    # Uniqueness, one query per unique field or field set ---------------------------------------

    def _unique_sets(self) -> list[tuple[str, ...]]:
        opts = self.ms.model._meta
        sets = [(f.name,) for f in opts.concrete_fields if f.unique and not f.primary_key]
        if given_pk(opts.pk):
            sets.append((opts.pk.name,))  # a key the input gives: two items may give the same
        sets += [tuple(fields) for fields in opts.unique_together]
        for constraint in opts.total_unique_constraints:
            sets.append(tuple(constraint.fields))
        return sets

    def _check_unique(self, rows: list[models.Model], touched: list[set[str]]) -> None:
        model = self.ms.model
        for names in self._unique_sets():
            fields = [model._meta.get_field(n) for n in names]
            keys: dict[tuple, list[int]] = defaultdict(list)
            for i, row in enumerate(rows):
                if not touched[i] & set(names):
                    continue
                key = tuple(getattr(row, f.attname) for f in fields)
                if any(v is None for v in key):
                    continue  # NULLs never clash
                keys[key].append(i)
            if not keys:
                continue
            # One query per set, whatever the batch size: `IN` on the first column (an OR of
            # 1,000 conditions overflows SQLite's expression depth), the rest compared here.
            # A key held by any other row clashes, also by a row of this batch that changes
            # it: the database checks each row as it is written, so a swap would fail there.
            holders: dict[tuple, set] = defaultdict(set)
            first = fields[0].attname
            query = model._base_manager.filter(**{f"{first}__in": {k[0] for k in keys}})
            for pk, *values in query.values_list("pk", *[f.attname for f in fields]):
                holders[tuple(values)].add(pk)
            own_key = names == (model._meta.pk.name,)  # each created row holds only itself
            for key, places in keys.items():
                others = holders.get(key, set())
                if own_key:
                    clashes = places if others else places[1:]
                else:
                    clashes = [i for i in places if others - {rows[i].pk}] or places[1:]
                for i in clashes:
                    error = rows[i].unique_error_message(model, names)
                    field = self.writer.case(names[0]) if len(names) == 1 else "__all__"
                    self.errors.append(
                        FieldError(dotted((i,), field), tuple(error.messages), error.code)
                    )

    def _clean(self, i: int, row: models.Model, exclude: set[str]) -> None:
        try:
            row.full_clean(
                exclude=sorted(exclude), validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            self.errors.extend(self.writer._field_errors(self.ms, error, (i,)))

    def _raise(self) -> None:
        if self.errors:
            self.errors.sort(key=lambda e: int(e.field.split(".", 1)[0]))
            raise FieldErrors(self.errors)

    def _connected(self, items: list[dict], key: str, spec: Any) -> dict[Any, models.Model]:
        """The rows a to-one (`author`) or to-many (`tags`) input names; a to-one brings what
        the rows written reach through it for their own check (`post.author` of a comment)."""
        target = spec.relation.target
        if spec.kind == "set":
            return self._related(items, key, target, many=True)
        also = self.writer.relations_through(self.ms.model, spec.name)
        return self._related(items, key, target, many=False, also=also)

    def _assign(self, items: list[dict], rows: list[models.Model], specs: dict) -> list[set[str]]:
        """Columns and to-one ids onto `rows`; returns the model field names each row wrote."""
        related = {
            key: self._connected(items, key, spec)
            for key, spec in specs.items()
            if spec.kind in ("connect", "set") and any(item.get(key) is not None for item in items)
        }
        touched = []
        for i, (item, row) in enumerate(zip(items, rows, strict=True)):
            written: set[str] = set()
            for key, value in item.items():
                spec = specs.get(key)
                if spec is None or spec.kind == "set":
                    continue
                if spec.kind == "scalar":
                    self.writer._set_scalar(self.ms, row, spec, value, dotted((i,), key))
                elif value is None:
                    setattr(row, spec.relation.info.attname, None)
                else:
                    try:
                        pk = spec.relation.target._meta.pk.to_python(value)
                    except ValidationError:
                        pk = None  # reported by `_related` as "not a valid id"
                    if pk in related[key]:
                        setattr(row, spec.name, related[key][pk])
                written.add(spec.name)
            touched.append(written)
        return touched

    def _set_many(
        self, items: list[dict], rows: list[models.Model], specs: dict, *, created: bool
    ) -> None:
        """`tags: [...]` of every item, a few statements per relation for the whole batch, with
        the rules of a single write (`Writer._replace_links`): only links to rows that exist
        for the caller are replaced, and each row linked (`_related`) or unlinked passes the
        object check."""
        for key, spec in specs.items():
            if spec.kind != "set" or not any(item.get(key) is not None for item in items):
                continue
            model = spec.relation.target
            field = spec.relation.info.field
            through = field.remote_field.through
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            related = self._related(items, key, model, many=True)
            self._raise()
            wanted = {
                row.pk: dict.fromkeys(related[model._meta.pk.to_python(v)].pk for v in item[key])
                for item, row in zip(items, rows, strict=True)
                if item.get(key) is not None
            }
            links = through._default_manager.filter(**{f"{source}__in": list(wanted)})
            if not created:  # new rows have no links yet
                pairs = list(links.values_list(f"{source}_id", f"{target}_id"))
                shown = self.writer.existing(model, {other for _, other in pairs}, CHANGE)
                unlinked = dict.fromkeys(
                    other for pk, other in pairs if other in shown and other not in wanted[pk]
                )
                for other in unlinked:  # unlinking a row changes it as much as linking
                    self.ctx.require_object(shown[other], CHANGE)
                if shown:
                    links.filter(**{f"{target}__in": list(shown)}).delete()
            through._default_manager.bulk_create(
                through(**{f"{source}_id": pk, f"{target}_id": other})
                for pk, others in wanted.items()
                for other in others
            )

    def _rows(self, items: list[dict]) -> list[models.Model]:
        """The rows of a bulk update, one query; errors name the item: `3.id`."""
        ms = self.ms
        self.ctx.require(ms.model, CHANGE)
        pk_field = ms.model._meta.pk
        pks: list[Any] = []
        for i, item in enumerate(items):
            raw = item[ms.id_name]
            try:
                pks.append(pk_field.to_python(raw))
            except ValidationError:
                pks.append(None)
                message = f"'{raw}' is not a valid id."
                self.errors.append(FieldError(dotted((i,), ms.id_name), (message,), "invalid"))
        found = self.writer.existing(ms.model, [pk for pk in pks if pk is not None], CHANGE)
        seen: set[Any] = set()
        for i, (item, pk) in enumerate(zip(items, pks, strict=True)):
            if pk is None:
                continue
            where = dotted((i,), ms.id_name)
            if pk not in found:
                message = f"No {ms.type_name} with id {item[ms.id_name]}."
                self.errors.append(FieldError(where, (message,), "invalid"))
            elif pk in seen:
                self.errors.append(FieldError(where, ("An id appears more than once.",), "invalid"))
            seen.add(pk)
        self._raise()
        for row in found.values():  # loaded already: the object check costs no query
            self.ctx.require_object(row, CHANGE)
        return [found[pk] for pk in pks]

    # Operations --------------------------------------------------------------------------------

    def create(self, items: list[dict]) -> list[models.Model]:
        ms = self.ms
        self.ctx.require(ms.model, ADD)
        if not _flat(ms, items, ms.create_fields):
            return [self.writer.create(ms, item, (i,)) for i, item in enumerate(items)]
        for i, item in enumerate(items):
            self.writer.check_writable(ms, item, ms.create_fields, (i,))
        rows = [ms.model() for _ in items]
        touched = self._assign(items, rows, ms.create_fields)
        connected = {s.name: s for s in ms.create_fields.values() if s.kind == "connect"}
        for i, (item, row) in enumerate(zip(items, rows, strict=True)):
            try:
                self.writer._require_relations(ms, row, item, (i,), None)
            except FieldErrors as error:
                # An unknown id already left the FK empty and was reported: say it once.
                reported = {e.field for e in self.errors}
                self.errors.extend(e for e in error.errors if e.field not in reported)
            # Checked above: connected ids, and empty FKs (optional, or reported as required).
            empty = {
                name
                for name, spec in connected.items()
                if getattr(row, spec.relation.info.attname) is None
            }
            self._clean(i, row, (set(connected) & touched[i]) | empty)
        self._check_unique(
            rows, [set(t) | {f.name for f in ms.model._meta.fields} for t in touched]
        )
        self._raise()
        for row in rows:  # as they would be saved
            self.ctx.require_object(row, ADD)
        _without_conflicts(lambda: ms.model._default_manager.bulk_create(rows))
        return self._finish(items, rows, touched, ms.create_fields, "created")

    def update(self, items: list[dict]) -> list[models.Model]:
        ms = self.ms
        rows = self._rows(items)
        for i, item in enumerate(items):
            self.writer.check_writable(ms, item, ms.update_fields, (i,))
        if not _flat(ms, items, ms.update_fields):
            for i, (row, item) in enumerate(zip(rows, items, strict=True)):
                data = {k: v for k, v in item.items() if k != ms.id_name}
                self.writer.update(ms, row, data, (i,))
            return rows
        touched = self._assign(items, rows, ms.update_fields)
        for i, item in enumerate(items):
            self.errors.extend(
                self.writer._empty_required_sets(ms, ms.update_fields, item, (i,), creating=False)
            )
        all_fields = {f.name for f in ms.model._meta.concrete_fields}
        connected = {s.name for s in ms.update_fields.values() if s.kind == "connect"}
        for i, row in enumerate(rows):
            self._clean(i, row, (all_fields - touched[i]) | (connected & touched[i]))
        self._check_unique(rows, touched)
        self._raise()
        for row, written in zip(rows, touched, strict=True):
            if written:  # as they would be saved
                self.ctx.require_object(row, CHANGE)
        columns = set().union(*touched) - {
            s.name for s in ms.update_fields.values() if s.kind == "set"
        }
        now = timezone.now()
        for field in ms.model._meta.concrete_fields:
            if getattr(field, "auto_now", False):
                columns.add(field.name)
                for row in rows:
                    setattr(row, field.attname, now)
        if columns:
            _without_conflicts(lambda: ms.model._base_manager.bulk_update(rows, sorted(columns)))
        return self._finish(items, rows, touched, ms.update_fields, "updated")

    def _finish(
        self, items: list[dict], rows: list[models.Model], touched: list, specs: dict, kind: str
    ) -> list[models.Model]:
        """To-many sets after the rows exist, then one change event per row."""
        self._set_many(items, rows, specs, created=kind == "created")
        for row, item, written in zip(rows, items, touched, strict=True):
            written = written | _many_set(item, specs)
            self.writer.events.append(ChangeEvent(self.ms.model, row.pk, kind, frozenset(written)))
        return rows


def _bulk_write_resolver(ms: ModelSchema, operation: str, write: str):
    """`bulk_create_x` / `bulk_update_x`: the same steps around `BulkWriter.create/update`."""

    def resolve_bulk_write(root: Any, info: Any, **arguments: Any) -> Payload:
        ctx = info.context
        ctx.require(ms.model, operation)
        selection = payload_selection(ctx, ms, info, arguments)
        items = arguments["inputs"]
        _check_size(ms, items, "inputs")
        try:
            _, rows = run_write(ctx, lambda writer: getattr(BulkWriter(writer, ms), write)(items))
        except FieldErrors as error:
            return refused(error)
        return read_back(ctx, ms, selection, rows, many=True)

    return resolve_bulk_write


def bulk_create_resolver(ms: ModelSchema):
    return _bulk_write_resolver(ms, ADD, "create")


def bulk_update_resolver(ms: ModelSchema):
    return _bulk_write_resolver(ms, CHANGE, "update")


def bulk_delete_resolver(ms: ModelSchema):
    def resolve_bulk_delete(root: Any, info: Any, **arguments: Any) -> Payload:
        ctx = info.context
        ctx.require(ms.model, DELETE)
        selection = payload_selection(ctx, ms, info, arguments)
        ids = arguments["ids"]
        _check_size(ms, ids, "ids")

        try:
            fetched = Writer(ctx).fetch(ms.model, ids, "ids", DELETE)
        except FieldErrors as error:
            return refused(error)
        rows = list({row.pk: row for row in fetched}.values())  # an id given twice: once
        pks = [row.pk for row in rows]
        payload = read_back(ctx, ms, selection, rows, many=True)  # shown before they go

        def delete(writer: Writer) -> None:
            ms.model._base_manager.filter(pk__in=pks).delete()
            for pk in pks:
                writer.events.append(ChangeEvent(ms.model, pk, "deleted", frozenset()))

        try:
            run_write(ctx, delete)
        except FieldErrors as error:
            return refused(error)
        except (models.ProtectedError, models.RestrictedError) as error:
            message = protected_message(ms, error, ", ".join(str(pk) for pk in pks))
            return Payload(
                ok=False,
                errors=[message],
                field_errors=[FieldError("ids", (message,), "protected")],
            )
        return payload

    return resolve_bulk_delete
