"""A direct execution path for read queries over generated root fields.

graphql-core's general executor resolves every field of every row through the same generic
machinery (resolve info, awaitable checks, completion by type): for a 100-row list that is
several thousand Python calls per field. Our fields are known in advance, and the planner has
already loaded everything, so here a selection is turned once into small "writer" functions that
build the response dicts directly from the loaded rows.

Scope: query operations whose root fields are all generated single / list / page fields (plus
`__typename`). Anything else (introspection, mutations, custom fields) returns None and the
engine uses the general executor. If anything unexpected happens while writing (a value a scalar
cannot serialize, a missing slot), the request is answered by the general executor too, so both
paths always produce the same response; tests run a corpus of documents through both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import inf
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import DatabaseError
from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    get_named_type,
    get_nullable_type,
    located_error,
)

from django_graphql_auto.execution.errors import bad_input
from django_graphql_auto.execution.paths import slot_name
from django_graphql_auto.execution.planner import (
    ListPlan,
    Planner,
    lists_read_as_values,
    values_rows,
)
from django_graphql_auto.execution.selection import Selection, collect
from django_graphql_auto.permissions import VIEW
from django_graphql_auto.schema.metadata import ModelSchema, ScalarField
from django_graphql_auto.schema.scalars import json_problem
from django_graphql_auto.schema.types import (
    SCALAR_TYPES,
    column_reader,
    computed_reader,
    computed_type,
    value_transform,
)

Writer = Callable[[Any], Any]
_MISSING = object()


class Fallback(Exception):
    """The compiled path cannot answer this request exactly; use the general executor."""


def _scalar_writer(ms: ModelSchema, field: ScalarField, enums: dict) -> Writer:
    read = column_reader(field)
    gtype = enums[(ms.type_name, field.info.name)] if field.enum else SCALAR_TYPES[field.kind]
    serialize = gtype.serialize

    def write(obj: Any) -> Any:
        value = read(obj)
        return None if value is None else serialize(value)

    return write


def _computed_writer(ms: ModelSchema, computed: Any) -> Writer:
    read = computed_reader(computed)
    gtype = computed_type(ms, computed)
    many = isinstance(get_nullable_type(gtype), GraphQLList)
    serialize = get_named_type(gtype).serialize

    def write(obj: Any) -> Any:
        value = read(obj)
        if value is None:
            return None
        return [serialize(v) for v in value] if many else serialize(value)

    return write


def _to_one_writer(name: str, slot: str, inner: Writer) -> Writer:
    def write(obj: Any) -> Any:
        value = getattr(obj, slot, _MISSING)
        if value is _MISSING:
            try:
                value = getattr(obj, name)
            except ObjectDoesNotExist:
                value = None
        return None if value is None else inner(value)

    return write


def _to_many_writer(slot: str, inner: Writer) -> Writer:
    def write(obj: Any) -> list[Any]:
        return [inner(row) for row in getattr(obj, slot)]

    return write


def _attribute_writer(slot: str) -> Writer:
    def write(obj: Any) -> Any:
        return getattr(obj, slot)

    return write


def _constant(value: Any) -> Writer:
    return lambda _obj: value


def _pk(obj: Any) -> str:
    return str(obj.pk)


def object_writer(
    bundle: Any, ms: ModelSchema, children: tuple[Selection, ...], path: tuple[str, ...]
) -> Writer:
    """A function row -> response dict for this selection (same keys, same order)."""
    steps: list[tuple[str, Writer]] = []
    for selection in children:
        key, name = selection.key, selection.name
        if name == "__typename":
            steps.append((key, _constant(ms.type_name)))
        elif name == ms.id_name:
            steps.append((key, _pk))
        elif name in ms.scalars:
            steps.append((key, _scalar_writer(ms, ms.scalars[name], bundle.enums)))
        elif name in ms.relations:
            relation = ms.relations[name]
            sub_path = (*path, key)
            target = bundle.models[relation.target]
            inner = object_writer(bundle, target, selection.children, sub_path)
            if relation.many:
                steps.append((key, _to_many_writer(slot_name(sub_path), inner)))
            else:
                steps.append((key, _to_one_writer(relation.info.name, slot_name(sub_path), inner)))
        elif name in ms.counts:
            steps.append((key, _attribute_writer(slot_name((*path, key), "c"))))
        elif name in ms.computed:
            steps.append((key, _computed_writer(ms, ms.computed[name])))
        else:
            raise Fallback(name)

    def write(obj: Any) -> dict[str, Any]:
        return {key: step(obj) for key, step in steps}

    return write


def _page_writer(
    bundle: Any, ms: ModelSchema, selection: Selection, flat_row: Writer | None = None
) -> Callable[[dict], dict]:
    case = bundle.case
    steps: list[tuple[str, Callable[[dict], Any]]] = []
    for child in selection.children:
        if child.name == "__typename":
            steps.append((child.key, _constant(f"{ms.type_name}Page")))
        elif child.name == case("items"):
            rows = flat_row or object_writer(bundle, ms, child.children, (selection.key, child.key))
            key = child.key
            steps.append(
                (key, lambda page, rows=rows, key=key: [rows(r) for r in page["items"][key]])
            )
        elif child.name == case("page_info"):
            fields = []
            for info_child in child.children:
                if info_child.name == "__typename":
                    fields.append((info_child.key, None))
                else:
                    fields.append((info_child.key, _PAGE_INFO_KEYS[case][info_child.name]))
            steps.append((child.key, lambda page, fields=fields: _page_info(page, fields)))
        else:
            raise Fallback(child.name)
    return lambda page: {key: step(page) for key, step in steps}


class _PageInfoKeys(dict):
    def __missing__(self, case: Any) -> dict[str, str]:
        names = (
            "total_count",
            "page",
            "page_size",
            "total_pages",
            "has_next_page",
            "has_previous_page",
        )
        self[case] = {case(n): n for n in names}
        return self[case]


_PAGE_INFO_KEYS = _PageInfoKeys()


def _page_info(page: dict, fields: list[tuple[str, str | None]]) -> dict[str, Any]:
    info = page["page_info"]
    return {key: ("PageInfo" if name is None else info[name]) for key, name in fields}


# Flat selections: read `.values()` rows instead of model instances ------------------------------
#
# Building a model instance per row is about half the cost of a plain list (Django's from_db and
# __init__). A selection made only of columns, joinable to-one relations and counts needs no
# instance: the same shaped queryset is read with `.values()` and written from the dicts.


def _is_flat(
    ctx: Any, ms: ModelSchema, children: tuple[Selection, ...], top: bool, lists: bool = False
) -> bool:
    """`top`: the selection is a queryset of its own (counts are its annotations); `lists`:
    it may hold to-many lists whose own selection is flat (`Planner.list_values`)."""
    for selection in children:
        name = selection.name
        if name in ("__typename", ms.id_name):
            continue
        if name in ms.scalars:
            if ms.scalars[name].kind == "file":
                return False  # the URL needs the storage of a FieldFile
            continue
        if name in ms.counts and top:
            continue
        relation = ms.relations.get(name)
        if relation is None:
            return False
        target = ctx.bundle.models[relation.target]
        if relation.many:
            if not (lists and lists_read_as_values(relation.info)):
                return False
            if not _is_flat(ctx, target, selection.children, top=True, lists=True):
                return False
            continue
        if not ctx.joinable(relation.target):
            return False
        if not _is_flat(ctx, target, selection.children, False):
            return False
    return True


#: Kinds whose database values already are what the scalar would output (str, int, bool, float).
_SERIALIZED_AS_STORED = frozenset({"string", "int", "boolean", "float", "json"})

#: What graphql-core checks before writing such a value as stored (`{}` is the value): an Int
#: fits in 32 bits (SQLite stores any integer in an IntegerField), a Float is finite (PostgreSQL
#: stores Infinity and NaN; NaN fails both comparisons). Written inline in the generated code:
#: a comparison costs less than a call, and a value failing it makes the request fall back, so
#: that the general executor reports its error.
_STORED_CHECKS = {
    "int": f"{GRAPHQL_MIN_INT} <= {{}} <= {GRAPHQL_MAX_INT}",
    "float": "-_inf < {} < _inf",
    # A JSON column written around the API may hold what no response can carry (JSON.serialize).
    "json": "_json_problem({}) is None",
}


def _refuse(value: Any) -> Any:
    raise Fallback(f"{value!r} is not a value of its scalar")


_FLAT_CACHE_SIZE = 512


def _scalar_function(ms: ModelSchema, field: ScalarField, enums: dict) -> Callable | None:
    """value -> output value for one column, or None when the stored value is the output."""
    transform = value_transform(field)
    if field.enum:
        enum = enums[(ms.type_name, field.info.name)]
        names = {value.value: name for name, value in enum.values.items()}

        def enum_name(value: Any) -> Any:
            if transform is not None:
                value = transform(value)
            # A stored value outside the choices raises KeyError: the request falls back.
            return None if value is None else names[value]

        return enum_name
    if transform is None and field.kind in _SERIALIZED_AS_STORED:
        return None
    serialize = SCALAR_TYPES[field.kind].serialize

    def output(value: Any) -> Any:
        if transform is not None:
            value = transform(value)
        return None if value is None else serialize(value)

    return output


class _FlatWriterCompiler:
    """Generates `def write(row): return {...}` for one flat selection over `values_list` rows.

    One dict display per object, columns read by position: the same work a hand-written view
    does, instead of a chain of small closures per field. The source is built only from
    response keys (GraphQL names, written with repr) and column positions; values never enter
    the code.
    """

    def __init__(self, bundle: Any):
        self.bundle = bundle
        self.columns: list[str] = []
        self.helpers: dict[str, Any] = {}
        self.lists: list[tuple[str, FlatPlan, int]] = []

    def _column(self, name: str) -> int:
        if name not in self.columns:
            self.columns.append(name)
        return self.columns.index(name)

    def _helper(self, function: Callable) -> str:
        name = f"_h{len(self.helpers)}"
        self.helpers[name] = function
        return name

    def _expression(
        self, ms: ModelSchema, children: tuple[Selection, ...], path: tuple[str, ...], prefix: str
    ) -> str:
        items = []
        for selection in children:
            key, name = selection.key, selection.name
            if name == "__typename":
                value = repr(ms.type_name)
            elif name == ms.id_name:
                value = f"str(row[{self._column(prefix + 'pk')}])"
            elif name in ms.scalars:
                field = ms.scalars[name]
                reference = f"row[{self._column(prefix + field.name)}]"
                function = _scalar_function(ms, field, self.bundle.enums)
                check = _STORED_CHECKS.get(field.kind)
                if function is not None:
                    value = f"{self._helper(function)}({reference})"
                elif check is not None:
                    check = check.format("_v")
                    value = f"(_v if (_v := {reference}) is None or {check} else _refuse(_v))"
                else:
                    value = reference
            elif name in ms.counts:
                value = f"row[{self._column(slot_name((*path, key), 'c'))}]"
            elif ms.relations[name].many:
                # A to-many list: its rows come grouped by parent key in `lists[i]`, read by
                # `Planner.list_values`, written by a plan of their own; a list holding lists
                # of its own comes already written (`_read_lists`). The parent key is the
                # column the related rows point at: the primary key, or a `to_field` column.
                relation = ms.relations[name]
                target = self.bundle.models[relation.target]
                sub_path = (*path, key)
                inner = _FlatWriterCompiler(self.bundle)
                child = inner.compile_plan(target, selection.children, sub_path)
                parent = self._column(relation.info.parent_key)
                self.lists.append((slot_name(sub_path), child, parent))
                index = len(self.lists) - 1
                if child.lists:
                    value = f"(lists[{index}].get(row[{parent}]) or [])"
                else:
                    write_child = self._helper(child.write)
                    value = f"[{write_child}(r) for r in lists[{index}].get(row[{parent}], ())]"
            else:
                relation = ms.relations[name]
                target = self.bundle.models[relation.target]
                sub_prefix = f"{prefix}{relation.info.name}__"
                present = self._column(f"{sub_prefix}pk")  # None when there is no related row
                inner = self._expression(target, selection.children, (*path, key), sub_prefix)
                value = f"(None if row[{present}] is None else {inner})"
            items.append(f"{key!r}: {value}")
        return "{" + ", ".join(items) + "}"

    def compile_plan(
        self, ms: ModelSchema, children: tuple[Selection, ...], path: tuple[str, ...]
    ) -> FlatPlan:
        expression = self._expression(ms, children, path, "")
        source = f"def write(row, lists=()):\n    return {expression}\n"
        namespace = {"_refuse": _refuse, "_inf": inf, "_json_problem": json_problem}
        namespace.update(self.helpers)
        exec(compile(source, "<django_graphql_auto flat writer>", "exec"), namespace)
        return FlatPlan(list(self.columns), namespace["write"], tuple(self.lists))


@dataclass(frozen=True)
class FlatPlan:
    """What one flat selection reads (`values_list` columns, and per to-many list its slot,
    its own plan and the position of the parent key among the columns) and the generated
    function writing a row: `write(row, lists)`, where `lists[i]` maps a parent key to the
    list's rows."""

    columns: list[str]
    write: Callable[..., dict[str, Any]]
    lists: tuple[tuple[str, FlatPlan, int], ...]


def _shape_key(children: tuple[Selection, ...]) -> tuple:
    return tuple((s.key, s.name, _shape_key(s.children)) for s in children)


def _flat_plan(
    bundle: Any, ms: ModelSchema, children: tuple[Selection, ...], path: tuple[str, ...]
) -> FlatPlan:
    """The `values_list` columns this selection reads, and the function writing one row.

    Compiled once per selection shape (aliases and names, not argument values) and kept with
    the schema bundle, so a repeated document costs a dictionary lookup.
    """
    cache = bundle.extras.setdefault("flat_writers", {})
    key = (ms.type_name, path, _shape_key(children))
    plan = cache.get(key)
    if plan is None:
        if len(cache) >= _FLAT_CACHE_SIZE:
            cache.clear()
        plan = cache[key] = _FlatWriterCompiler(bundle).compile_plan(ms, children, path)
    return plan


def _write_rows(plan: FlatPlan, rows: list[tuple], lists: Any) -> list[dict[str, Any]]:
    """Rows written while loading, that is inside `_load_root`, where a GraphQLError counts
    as the root field's own error (a bad argument, a refused model). A value the writer cannot
    produce must make the request fall back instead, as it does when writing comes after."""
    write = plan.write
    try:
        return [write(row, lists) for row in rows]
    except Exception as error:
        raise Fallback(str(error)) from error


def _read_lists(
    planner: Planner, plan: FlatPlan, lists: list[ListPlan], rows: list[tuple]
) -> list[dict[Any, list[Any]]]:
    """For each list of `plan`, its rows grouped by parent key: one statement per list,
    whatever the number of parents (`rows`). The rows of a list holding lists of its own are
    written here, once their own lists are read (one statement per list and level)."""
    by_slot = {entry.slot: entry for entry in lists}
    fetched = []
    for slot, child, parent in plan.lists:
        entry = by_slot[slot]
        # A row of a many-to-many list may come under several parents: ask for it once.
        parents = list(dict.fromkeys(row[parent] for row in rows))
        grouped = planner.list_values(entry, parents, child.columns)
        if child.lists:
            children = [r for g in grouped.values() for r in g]
            nested = _read_lists(planner, child, entry.lists, children)
            grouped = {k: _write_rows(child, rows, nested) for k, rows in grouped.items()}
        fetched.append(grouped)
    return fetched


def _values_loader(
    planner: Planner, plan: FlatPlan, lists: list[ListPlan]
) -> Callable[[Any], list[Any]]:
    """Rows as `values_list` tuples; when the plan holds lists, rows already written (the
    lists are read once all parents are known, one statement each)."""
    if not plan.lists:
        return lambda queryset: values_rows(queryset, plan.columns)

    def load(queryset: Any) -> list[Any]:
        rows = values_rows(queryset, plan.columns)
        fetched = _read_lists(planner, plan, lists, rows)
        return _write_rows(plan, rows, fetched)

    return load


def _identity(row: Any) -> Any:
    return row


def _rows_of(
    ctx: Any,
    planner: Planner,
    ms: ModelSchema,
    children: tuple[Selection, ...],
    path: tuple[str, ...],
) -> tuple[Any, Writer, list[ListPlan] | None]:
    """(loader, writer, lists) for one list of rows: `values_list` tuples when flat (the
    loader writes them itself when the selection holds lists), else model instances."""
    if _is_flat(ctx, ms, children, top=True, lists=True):
        plan = _flat_plan(ctx.bundle, ms, children, path)
        lists: list[ListPlan] = []
        write = plan.write if not plan.lists else _identity
        return _values_loader(planner, plan, lists), write, lists
    return list, object_writer(ctx.bundle, ms, children, path), None


def _load_root(ctx: Any, kind: str, ms: ModelSchema, selection: Selection) -> tuple[Any, Writer]:
    """Load what the root resolver would (raising GraphQLError like it does) and return it with
    the function that writes it; writing happens outside, where an error means "fall back"."""
    planner = Planner(ctx)
    ctx.require(ms.model, VIEW)
    if kind == "pages":
        items = selection.child(ctx.bundle.case("items"))
        if len(items) == 1:
            path = (selection.key, items[0].key)
            load, write_row, lists = _rows_of(ctx, planner, ms, items[0].children, path)
            if lists is not None:
                page = planner.page(ms, selection, load, lists)
                return page, _page_writer(ctx.bundle, ms, selection, write_row)
        page = planner.page(ms, selection)
        return page, _page_writer(ctx.bundle, ms, selection)
    load, write, lists = _rows_of(ctx, planner, ms, selection.children, (selection.key,))
    if kind == "single":
        raw = selection.arguments[ms.id_name]
        try:
            pk = ms.model._meta.pk.to_python(raw)
        except ValidationError:
            raise bad_input(f"'{raw}' is not a valid {ms.type_name} id.", ms.id_name) from None
        row = planner.single(ms, pk, selection, load, lists)
        return row, (lambda row: None if row is None else write(row))
    rows = planner.many(ms, selection, load, lists)
    return rows, (lambda rows: [write(row) for row in rows])


def _selects_masked(ctx: Any, ms: ModelSchema, children: tuple[Selection, ...]) -> bool:
    """Whether the selection shows a field the caller sees masked. Writers are cached per
    selection shape, so a per-caller value cannot be built into them: such a request is left
    to the general executor, whose resolvers apply the mask."""
    maskable = ctx.bundle.extras.get("maskable", {}).get(ms.model)
    for selection in children:
        name = selection.name
        if maskable:
            field = ms.scalars.get(name) or ms.computed.get(name)
            if field is not None and field.name in maskable and field.name in ctx.masks(ms.model):
                return True
        relation = ms.relations.get(name)
        if relation is not None and _selects_masked(
            ctx, ctx.bundle.models[relation.target], selection.children
        ):
            return True
    return False


def execute_compiled(
    bundle: Any, document: Any, operation: Any, variables: dict[str, Any], ctx: Any
) -> dict[str, Any] | None:
    """The response `{"data": ..., "errors": [...]}` or None when the general executor must run.

    Errors carry the raw `GraphQLError`s (formatted by the engine like any other).
    """
    if operation.operation.value != "query":
        return None
    roots = bundle.extras.get("root_fields", {})
    query_type = bundle.schema.query_type
    fragments = {
        d.name.value: d
        for d in document.definitions
        if d.__class__.__name__ == "FragmentDefinitionNode"
    }
    selections = collect(query_type, [operation.selection_set], fragments, variables)
    if any(s.name != "__typename" and s.name not in roots for s in selections):
        return None
    if bundle.extras.get("maskable"):
        for selection in selections:
            if selection.name == "__typename":
                continue
            kind, ms = roots[selection.name]
            children = selection.children
            if kind == "pages":
                items = selection.child(bundle.case("items"))
                children = tuple(c for item in items for c in item.children)
            if _selects_masked(ctx, ms, children):
                return None
    data: dict[str, Any] | None = {}
    errors: list[GraphQLError] = []
    try:
        for selection in selections:
            if selection.name == "__typename":
                data[selection.key] = query_type.name
                continue
            kind, ms = roots[selection.name]
            try:
                loaded, write = _load_root(ctx, kind, ms, selection)
            except (GraphQLError, DatabaseError) as error:
                # A database error is the field's error, as the general executor reports it:
                # running the document again there would only repeat the failing statement
                # (or, inside a transaction, hide it behind "transaction is aborted").
                errors.append(located_error(error, list(selection.nodes), [selection.key]))
                if isinstance(query_type.fields[selection.name].type, GraphQLNonNull):
                    data = None
                    break
                data[selection.key] = None
                continue
            data[selection.key] = write(loaded)
    except Exception:
        # A selection we cannot write (Fallback) or a value a scalar refused: the general
        # executor answers instead and reports it exactly as it always does.
        return None
    return {"data": data, "errors": errors}
