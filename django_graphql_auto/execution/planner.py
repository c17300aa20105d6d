"""Turns a selection tree into querysets whose SQL count depends on the query's shape only.

For each level of the selection:
- to-one relations become `select_related` joins when the policy does not restrict the target's
  rows and the level needs no annotations; otherwise a `Prefetch` over the visible rows;
- to-many relations become a `Prefetch` carrying the level's own filters, ordering, row rules
  and window (Django slices prefetched querysets per parent with a window function);
- `<relation>_count` fields become one correlated COUNT subquery annotation (on a windowed
  reverse-FK prefetch, computed for the rows the window keeps only: `late_annotations`);
- only the selected columns are loaded (`only()`), plus the keys the joins need.
Prefetched rows are stored under a slot named after the response path (`paths.slot_name`), which
is where the field resolvers read them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from math import ceil
from operator import itemgetter
from typing import Any

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, RowNumber
from django.db.models.query import ModelIterable

from django_graphql_auto.execution.errors import bad_input
from django_graphql_auto.execution.filtering import FilterCompiler
from django_graphql_auto.execution.late_annotations import annotate_chosen, annotated_after_window
from django_graphql_auto.execution.ordering import compile_ordering
from django_graphql_auto.execution.paths import slot_name
from django_graphql_auto.execution.selection import Selection
from django_graphql_auto.schema.metadata import ModelSchema, RelationField

#: Evaluates a shaped queryset: `list` for model rows; the compiled path may read `.values()`.
Loader = Callable[[QuerySet], list[Any]]


@dataclass(frozen=True)
class ListPlan:
    """A to-many list of one level, read by the caller instead of prefetched (see `shape`).

    `rows` are the visible, filtered and ordered related rows, not yet narrowed to the
    parents; `annotations` (counts) are kept apart so that they can be computed after the
    per-parent window, for the rows it keeps only."""

    slot: str
    rows: QuerySet
    remote: str
    start: int
    stop: int
    annotations: dict[str, Any]
    lists: list[ListPlan] = field(default_factory=list)  # the rows' own lists (values only)
    parent: str = (
        "pk"  # the parent's attribute `remote` compares with (`RelationshipInfo.parent_key`)
    )

    def for_parent(self, key: Any) -> QuerySet:
        """One parent's rows: WHERE parent = key LIMIT n, which is what the per-parent window
        amounts to for a single parent, without the cost of compiling one."""
        rows = self.rows.annotate(**self.annotations) if self.annotations else self.rows
        if key is None:  # a `to_field` key may be NULL: no row points at it (not IS NULL)
            return rows.none()
        return rows.filter(**{self.remote: key})[self.start : self.stop]


@dataclass
class _Level:
    only: set[str] = field(default_factory=set)
    select_related: set[str] = field(default_factory=set)
    prefetches: list[Prefetch] = field(default_factory=list)
    annotations: dict[str, Any] = field(default_factory=dict)
    lists: list | None = None  # see Planner.shape
    values: bool = False


def lists_read_as_values(info: Any) -> bool:
    """Whether `Planner.list_values` can read this to-many relation: a reverse foreign key,
    grouped by its own column, which holds the parent's key (`RelationshipInfo.parent_key`:
    the primary key or a `to_field` column, which the caller reads as the parent key), or a
    many-to-many whose join table points at primary keys (a `to_field` join table is left to
    the prefetch)."""
    if info.kind == "reverse_foreign_key":
        return True
    if info.kind in ("many_to_many", "reverse_many_to_many"):
        field = info.field if info.kind == "many_to_many" else info.field.field
        through = field.remote_field.through._meta
        return all(
            f.target_field.primary_key
            for f in through.concrete_fields
            if f.is_relation and f.related_model in (field.model, field.related_model)
        )
    return False


#: (model, names) -> (the names to ask for, a getter putting a row back in `names` order), or
#: None when every name is a column of its own. Depends on the models only; bounded anyway.
_DISTINCT_NAMES: dict[tuple, tuple[tuple[str, ...], Callable] | None] = {}
_DISTINCT_NAMES_SIZE = 512


def _distinct_names(
    model: Any, names: tuple[str, ...], annotations: Any
) -> tuple[tuple[str, ...], Callable] | None:
    """See `values_rows`. Columns are compared as Django's window filter compares them: the
    expressions the names resolve to (the same table alias and column are equal)."""
    key = (model, names)
    if key in _DISTINCT_NAMES:
        return _DISTINCT_NAMES[key]
    fields = [name for name in names if name not in annotations]
    select = QuerySet(model=model).values_list(*fields).query.select
    columns = {}
    if len(select) == len(fields):  # else a name stands for several columns: keep them all
        columns = dict(zip(fields, select, strict=True))
    first: dict[Any, int] = {}
    asked: list[str] = []
    positions = []
    for name in names:
        column = columns.get(name, ("name", name))  # annotations are distinct by name
        if column not in first:
            first[column] = len(asked)
            asked.append(name)
        positions.append(first[column])
    found = None if len(asked) == len(names) else (tuple(asked), itemgetter(*positions))
    if len(_DISTINCT_NAMES) >= _DISTINCT_NAMES_SIZE:
        _DISTINCT_NAMES.clear()
    _DISTINCT_NAMES[key] = found
    return found


def values_rows(queryset: QuerySet, names: Sequence[str]) -> list[tuple]:
    """`queryset.values_list(*names)` rows, asking the database for each column once.

    Two names may be one column: `author_id` and `author__pk` both resolve to the row's own
    foreign key, with no join. Django's window filter (the QUALIFY emulation behind
    `list_values` and a sliced prefetch) selects each distinct column once in its outer query,
    so such a row came back one value short, every later value in the wrong place. Names are
    told apart by the column Django resolves them to, and each row is put back in `names`
    order."""
    names = tuple(names)
    distinct = _distinct_names(queryset.model, names, queryset.query.annotations)
    if distinct is None:
        return list(queryset.values_list(*names))
    asked, order = distinct
    return [order(row) for row in queryset.values_list(*asked)]


class _PrefetchingAfterLoad(ModelIterable):
    """The rows of `inner` (the queryset's own iterable), then its `lookups` run on them."""

    inner: type[ModelIterable] = ModelIterable
    lookups: tuple = ()

    def __iter__(self) -> Iterator[Any]:
        rows = list(self.inner(self.queryset, self.chunked_fetch, self.chunk_size))
        prefetch_related_objects(rows, *self.lookups)
        return iter(rows)


def prefetched_once(rows: QuerySet) -> QuerySet:
    """`rows` (a reverse foreign key's prefetch queryset), running its own prefetches once.

    Django's reverse-FK prefetcher evaluates the queryset itself (which runs its prefetches),
    then hands those lookups back to the outer `prefetch_related_objects`, which walks them
    again. A to-one stored under a slot (`to_attr`) counts as fetched there, so Django reads
    the relation's own attribute instead, which is not loaded: one SELECT per row
    (`authors { posts(limit: 2) { category { children_count } } }`; a joined to-one has its
    attribute loaded, a to-many's attribute is a manager, which runs nothing). Here the lookups
    are run by the iterable, after loading the rows, and the queryset shows none to hand back."""
    lookups = rows._prefetch_related_lookups
    if not lookups:
        return rows
    iterable = type(
        "PrefetchingAfterLoad",
        (_PrefetchingAfterLoad,),
        {"inner": rows._iterable_class, "lookups": lookups},
    )
    rows = rows.prefetch_related(None)
    rows._iterable_class = iterable
    return rows


def _size(value: Any, argument: str, default: int, maximum: int) -> int:
    if value is None:
        return default
    if value < 1 or value > maximum:
        raise bad_input(f"'{argument}' must be between 1 and {maximum} (got {value}).", argument)
    return value


def _prefetch_keep(info: Any) -> tuple[str, ...]:
    """The columns a prefetched to-one's rows need besides their primary key: Django matches
    them to their parents by the key the foreign key holds (the reverse side's own foreign
    key, or a forward key's `to_field` target), which would otherwise be deferred and loaded
    with one SELECT per row."""
    if info.kind == "reverse_one_to_one":
        return (info.remote_name,)
    if info.forward and not info.field.target_field.primary_key:
        return (info.target_field,)
    return ()


def _back_reference(
    relation: RelationField, target: ModelSchema, ms: ModelSchema
) -> RelationField | None:
    """The relation of `target` leading back to `ms` through the same one-to-one as
    `relation` (`User.author_profile` for `Author.user`, and the other way round), if exposed;
    None for any other relation. A one-to-one inherited from a parent model leads back to the
    parent model, not to `ms`: not a back-reference here."""
    info = relation.info
    if info.kind == "one_to_one":
        other = info.field.remote_field
    elif info.kind == "reverse_one_to_one":
        other = info.field.field
    else:
        return None
    for candidate in target.relations.values():
        if candidate.info.field is other and candidate.target is ms.model:
            return candidate
    return None


def _split_back_reference(
    relation: RelationField, target: ModelSchema, ms: ModelSchema, children: tuple[Selection, ...]
) -> tuple[Any, tuple[Selection, ...], tuple[Selection, ...]]:
    """(the back-reference of `relation` or None, the selections of `children` read on the
    related row, the selections reading the back-reference: see `Planner._read_back`)."""
    back = _back_reference(relation, target, ms)
    if back is None:
        return None, children, ()
    own = tuple(child for child in children if child.name != back.name)
    returning = tuple(child for child in children if child.name == back.name)
    return back, own, returning


class Planner:
    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.bundle = ctx.bundle
        self.case = ctx.bundle.case

    # Arguments ---------------------------------------------------------------------------------

    def _arg(self, arguments: dict[str, Any], name: str) -> Any:
        return arguments.get(self.case(name))

    def filtered(self, ms: ModelSchema, queryset: QuerySet, arguments: dict[str, Any]) -> QuerySet:
        """Visible rows narrowed by `filters` and ordered by `order_by` (tiebreak on pk)."""
        filters = self._arg(arguments, "filters")
        if filters:
            queryset = queryset.filter(
                FilterCompiler(self.ctx, self.case("filters")).compile(ms, filters)
            )
        ordering = compile_ordering(
            self.ctx, ms, self._arg(arguments, "order_by"), self.case("order_by")
        )
        return queryset.order_by(*ordering)

    def window(self, ms: ModelSchema, arguments: dict[str, Any]) -> tuple[int, int]:
        config = ms.config
        limit_name, offset_name = self.case("limit"), self.case("offset")
        limit = _size(
            arguments.get(limit_name),
            limit_name,
            config["DEFAULT_PAGE_SIZE"],
            config["MAX_PAGE_SIZE"],
        )
        offset = arguments.get(offset_name) or 0
        if offset < 0:
            raise bad_input(f"'{offset_name}' may not be negative (got {offset}).", offset_name)
        return offset, offset + limit

    # Root operations ---------------------------------------------------------------------------

    def single(
        self,
        ms: ModelSchema,
        pk: Any,
        selection: Selection,
        load: Loader = list,
        lists: list[ListPlan] | None = None,
    ) -> Any:
        """One row; its to-many lists are read with a plain WHERE parent = pk LIMIT n each,
        which is what a window function per parent amounts to for a single parent, without
        the cost of compiling one. A caller passing `lists` reads them itself (`load`)."""
        queryset = self.ctx.visible(ms.model).filter(pk=pk)
        own = [] if lists is None else None
        queryset = self.shape(
            ms,
            queryset,
            selection.children,
            (selection.key,),
            lists=lists if own is None else own,
            values=own is None,
        )
        rows = load(queryset[:1])
        if not rows:
            return None
        row = rows[0]
        for plan in own or ():
            setattr(row, plan.slot, list(plan.for_parent(getattr(row, plan.parent))))
        return row

    def list_values(
        self, plan: ListPlan, parents: list[Any], columns: list[str]
    ) -> dict[Any, list[tuple]]:
        """`values_list(*columns)` rows of a to-many list (`lists_read_as_values`), grouped by
        parent key: what the prefetch of `shape` reads, without model instances. One
        statement: the window picks each parent's rows (and, with counts, an outer query
        annotates only those). A many-to-many list reads the parent key from the join table,
        where one row may come once per parent, as Django's prefetch gives it, and computes its
        counts inside the window."""
        if not parents:
            return {}
        remote = plan.rows.model._meta.get_field(plan.remote)
        column = plan.remote if remote.many_to_many else remote.attname
        if len(parents) == 1:
            return {parents[0]: values_rows(plan.for_parent(parents[0]), columns)}
        rows = plan.rows
        if plan.annotations and remote.many_to_many:
            # A related row may belong to several parents, each keeping it in its window or
            # not: an outer query over the kept ids would lose which parent kept it, so the
            # counts are computed inside, for every related row of these parents.
            rows = rows.annotate(**plan.annotations)
        chosen = rows.filter(**{f"{column}__in": parents})
        order_by = chosen.query.order_by
        if any(isinstance(item, str) for item in order_by):
            # Meta.ordering names: resolved as Django's prefetch resolves them (a relation
            # name orders by the related model's own ordering).
            compiler = chosen.query.get_compiler(using=chosen.db)
            order_by = [expression for expression, _ in compiler.get_order_by()]
        window = Window(RowNumber(), partition_by=F(column), order_by=list(order_by))
        rank = {"gqa_rank__lte": plan.stop}
        if plan.start:
            rank["gqa_rank__gt"] = plan.start
        chosen = chosen.annotate(gqa_rank=window).filter(**rank)
        if plan.annotations and not remote.many_to_many:
            chosen = annotate_chosen(chosen, plan.annotations, plan.rows.query.order_by)
        grouped: dict[Any, list[tuple]] = {}
        for values in values_rows(chosen, (column, *columns)):
            grouped.setdefault(values[0], []).append(values[1:])
        return grouped

    def rows_by_pk(
        self,
        ms: ModelSchema,
        pks: list[Any],
        children: tuple[Selection, ...],
        path: tuple[str, ...],
    ) -> list[Any]:
        """Visible rows with these primary keys, in the given order (mutation read-back)."""
        queryset = self.shape(ms, self.ctx.visible(ms.model).filter(pk__in=pks), children, path)
        found = {row.pk: row for row in queryset}
        return [found[pk] for pk in pks if pk in found]

    def many(
        self,
        ms: ModelSchema,
        selection: Selection,
        load: Loader = list,
        lists: list[ListPlan] | None = None,
    ) -> list[Any]:
        """The rows of a list field; `lists`: see `shape`."""
        start, stop = self.window(ms, selection.arguments)
        queryset = self.filtered(ms, self.ctx.visible(ms.model), selection.arguments)
        queryset = self.shape(
            ms,
            queryset,
            selection.children,
            (selection.key,),
            lists=lists,
            values=lists is not None,
        )
        return load(queryset[start:stop])

    def page(
        self,
        ms: ModelSchema,
        selection: Selection,
        load: Loader = list,
        lists: list[ListPlan] | None = None,
    ) -> dict[str, Any]:
        config = ms.config
        page_name, size_name = self.case("page"), self.case("page_size")
        page = selection.arguments.get(page_name)
        page = 1 if page is None else page
        if page < 1:
            raise bad_input(f"'{page_name}' counts from 1 (got {page}).", page_name)
        size = _size(
            selection.arguments.get(size_name),
            size_name,
            config["DEFAULT_PAGE_SIZE"],
            config["MAX_PAGE_SIZE"],
        )
        base = self.filtered(ms, self.ctx.visible(ms.model), selection.arguments)
        start = (page - 1) * size
        items: dict[str, list[Any]] = {}
        for items_selection in selection.child(self.case("items")):
            path = (selection.key, items_selection.key)
            queryset = self.shape(
                ms, base, items_selection.children, path, lists=lists, values=lists is not None
            )
            items[items_selection.key] = load(queryset[start : start + size])
        page_info = None
        if selection.child(self.case("page_info")):
            total = base.order_by().count()
            pages = ceil(total / size)
            page_info = {
                "total_count": total,
                "page": page,
                "page_size": size,
                "total_pages": pages,
                "has_next_page": page < pages,
                "has_previous_page": page > 1 and pages > 0,
            }
        return {"items": items, "page_info": page_info}

    # Shaping one level ---------------------------------------------------------------------------

    def shape(
        self,
        ms: ModelSchema,
        queryset: QuerySet,
        children: tuple[Selection, ...],
        path: tuple[str, ...],
        keep: tuple[str, ...] = (),
        lists: list | None = None,
        late: dict[str, Any] | None = None,
        values: bool = False,
    ) -> QuerySet:
        """`lists`: collect this level's to-many lists there instead of prefetching them (the
        caller loads them itself; used for a single row). `late`: put the level's annotations
        there instead of applying them (the caller applies them after a prefetch window).
        `values`: the caller reads the queryset (and its lists) with `values_list`, which names
        its own columns and joins, so `only()` and `select_related()` would be work for nothing."""
        level = _Level(only={ms.info.pk_name, *keep}, lists=lists, values=values)
        self._collect(ms, children, path, "", level)
        if level.annotations:
            if late is None:
                queryset = queryset.annotate(**level.annotations)
            else:
                late.update(level.annotations)
        if values:
            return queryset
        if level.select_related:
            queryset = queryset.select_related(*sorted(level.select_related))
        if level.prefetches:
            queryset = queryset.prefetch_related(*level.prefetches)
        return queryset.only(*sorted(level.only))

    def check(
        self, ms: ModelSchema, children: tuple[Selection, ...], path: tuple[str, ...]
    ) -> None:
        """Raise what `shape` would raise for this selection (a field or model the caller may
        not read, a bad nested argument), without building the level's queryset."""
        self._collect(ms, children, path, "", _Level())

    def _collect(
        self,
        ms: ModelSchema,
        children: tuple[Selection, ...],
        path: tuple[str, ...],
        prefix: str,
        level: _Level,
    ) -> None:
        for selection in children:
            name = selection.name
            if name == ms.id_name:
                continue
            if name in ms.scalars:
                scalar = ms.scalars[name]
                self.ctx.require_field(ms.model, scalar.name)
                level.only.add(prefix + scalar.name)
            elif name in ms.relations:
                self._relation(ms, ms.relations[name], selection, path, prefix, level)
            elif name in ms.computed:
                computed = ms.computed[name]
                self.ctx.require_field(ms.model, computed.name)
                for column in computed.info.requires:
                    level.only.add(prefix + column)
                    if "__" in column:  # through a to-one relation: join it
                        level.select_related.add(prefix + column.rsplit("__", 1)[0])
                        level.only.add(prefix + column.split("__", 1)[0])
            elif name in ms.counts:
                relation = ms.counts[name].relation
                self.ctx.require_field(ms.model, relation.name, "count")
                self.ctx.require_relation(relation)
                slot = slot_name((*path, selection.key), "c")
                level.annotations[slot] = self._count(relation, selection.arguments)

    def _relation(
        self,
        ms: ModelSchema,
        relation: RelationField,
        selection: Selection,
        path: tuple[str, ...],
        prefix: str,
        level: _Level,
    ) -> None:
        self.ctx.require_field(ms.model, relation.name)
        self.ctx.require_relation(relation)
        target = self.bundle.models[relation.target]
        info = relation.info
        sub_path = (*path, selection.key)
        lookup = prefix + info.name
        if info.forward and not info.many:
            level.only.add(lookup)  # the FK column the join or prefetch matches on
        parent = info.parent_key
        if parent != "pk":  # a `to_field` key the related rows hold: loaded, not deferred
            level.only.add(prefix + parent)
        if relation.many:
            start, stop = self.window(target, selection.arguments)
            rows = self.filtered(target, self.ctx.visible(relation.target), selection.arguments)
            reverse_fk = info.kind == "reverse_foreign_key"
            keep = (info.remote_name,) if reverse_fk else ()
            if level.lists is not None and not prefix:
                late: dict[str, Any] = {}
                # Read as values, the rows' own lists are read by the caller too; as model
                # instances (a single row's lists), they are prefetched on them.
                nested: list[ListPlan] | None = [] if level.values else None
                rows = self.shape(
                    target,
                    rows,
                    selection.children,
                    sub_path,
                    keep,
                    lists=nested,
                    late=late,
                    values=level.values,
                )
                plan = ListPlan(
                    slot_name(sub_path),
                    rows,
                    info.remote_name,
                    start,
                    stop,
                    late,
                    nested or [],
                    parent,
                )
                level.lists.append(plan)
                return
            late = {} if reverse_fk else None
            rows = self.shape(target, rows, selection.children, sub_path, keep, late=late)
            rows = rows[start:stop]
            if late:
                rows._iterable_class = annotated_after_window(late)
            if reverse_fk:
                rows = prefetched_once(rows)
            level.prefetches.append(Prefetch(lookup, rows, to_attr=slot_name(sub_path)))
            return
        back, children, returning = _split_back_reference(relation, target, ms, selection.children)
        if self.ctx.joinable(relation.target) and not self._annotates(target, children):
            level.select_related.add(lookup)
            level.only.add(f"{lookup}__{target.info.pk_name}")
            self._collect(target, children, sub_path, f"{lookup}__", level)
        else:
            keep = _prefetch_keep(info)
            rows = self.shape(target, self.ctx.visible(relation.target), children, sub_path, keep)
            level.prefetches.append(Prefetch(lookup, rows, to_attr=slot_name(sub_path)))
        for child in returning:
            self._read_back(ms, target, back, child, sub_path, prefix, level)

    def _read_back(
        self,
        ms: ModelSchema,
        target: ModelSchema,
        back: RelationField,
        selection: Selection,
        path: tuple[str, ...],
        prefix: str,
        level: _Level,
    ) -> None:
        """A one-to-one read back through itself (`author.user.author_profile`) is the parent
        row, and Django caches it as such on the related row (its one-to-one prefetchers and
        `select_related` both set the back-reference to the parent instance). So its selection
        is collected on the parent's level: the parent row carries its columns, counts and
        lists, under the slots of the back-reference's path. Left to its own level, the cached
        parent (loaded with a few columns only) loaded the others with one SELECT per row."""
        self.ctx.require_field(target.model, back.name)
        self.ctx.require_relation(back)
        self._collect(ms, selection.children, (*path, selection.key), prefix, level)

    def _annotates(self, ms: ModelSchema, children: tuple[Selection, ...]) -> bool:
        """Whether collecting `children` on a level of `ms` adds annotations (counts, its own
        or those of a one-to-one read back through itself, collected on this level too): such
        a level must be a queryset of its own, not a join."""
        for selection in children:
            if selection.name in ms.counts:
                return True
            relation = ms.relations.get(selection.name)
            if relation is None or relation.many:
                continue
            target = self.bundle.models[relation.target]
            returning = _split_back_reference(relation, target, ms, selection.children)[2]
            if any(self._annotates(ms, child.children) for child in returning):
                return True
        return False

    def _count(self, relation: RelationField, arguments: dict[str, Any]) -> Any:
        target = self.bundle.models[relation.target]
        rows = self.ctx.visible(relation.target)
        filters = self._arg(arguments, "filters")
        if filters:
            rows = rows.filter(
                FilterCompiler(self.ctx, self.case("filters")).compile(target, filters)
            )
        remote = relation.info.remote_name
        # No DISTINCT: our own filters use subqueries and a row rule's joins stay inside one
        # (`RequestContext.visible`), so a row repeats only as the list shows it (once per link
        # of a many-to-many through model).
        counted = (
            rows.filter(**{remote: OuterRef(relation.info.parent_key)})
            .order_by()
            .values(remote)
            .annotate(gqa_n=Count("pk"))
            .values("gqa_n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
