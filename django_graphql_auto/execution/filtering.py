"""Compiles `filters` input values into Django `Q` objects.

Relation conditions become subqueries over the rows the caller may see, never plain joins:
- everything inside one relation filter object must hold for the same related row, while
  separate items of `and: [...]` may be matched by different rows (SPEC §10): one `Exists`
  per relation object gives exactly that, and no duplicate parent rows;
- a row the caller may not see can never make a parent match.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q

from django_graphql_auto.execution.errors import bad_input
from django_graphql_auto.schema.metadata import ModelSchema

MIN_YEAR, MAX_YEAR = 1, 9999  # what Python's datetime (so Django) can represent
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def within_int64(lookup: str, values: list[Any]) -> list[Any]:
    """Integer `in`/`range` values the database can bind, with the same meaning.

    No column holds an integer beyond 64 bits, so such an `in` value can never match and a
    `range` bound can be clamped. Django guards exact/gt/lt against overflow but not these two
    (SQLite raises OverflowError when binding them). The writer looks ids up through it too.
    """
    if lookup == "in":
        return [v for v in values if not isinstance(v, int) or INT64_MIN <= v <= INT64_MAX]
    return [min(max(v, INT64_MIN), INT64_MAX) if isinstance(v, int) else v for v in values]


class FilterCompiler:
    def __init__(self, ctx: Any, argument: str = "filters"):
        self.ctx = ctx
        self.bundle = ctx.bundle
        self.case = ctx.bundle.case
        self.argument = argument
        self.max_depth = ctx.bundle.config["MAX_FILTER_DEPTH"]
        self.max_conditions = ctx.bundle.config["MAX_FILTER_CONDITIONS"]
        self.conditions = 0

    def compile(self, ms: ModelSchema, value: dict[str, Any] | None) -> Q:
        if not value:
            return Q()
        return self._object(ms, value, 1, self.argument)

    def _count(self, where: str) -> None:
        self.conditions += 1
        if self.conditions > self.max_conditions:
            raise bad_input(
                f"'{self.argument}' has more than {self.max_conditions} conditions (at {where}).",
                self.argument,
            )

    def _object(self, ms: ModelSchema, value: dict[str, Any], depth: int, where: str) -> Q:
        if depth > self.max_depth:
            raise bad_input(
                f"'{self.argument}' nests deeper than {self.max_depth} levels (at {where}).",
                self.argument,
            )
        result = Q()
        for key, item in value.items():
            path = f"{where}.{key}"
            if item is None:
                raise bad_input(f"Filter value at {path} may not be null.", self.argument)
            if key == "and":
                for index, sub in enumerate(item):
                    result &= self._object(ms, sub, depth + 1, f"{path}.{index}")
            elif key == "or":
                # An empty Q is "no condition", i.e. true: Django would drop it from `|`
                # (`Q() | x` is `x`), so one empty alternative must make the whole `or` true.
                alternatives = [
                    self._object(ms, sub, depth + 1, f"{path}.{index}")
                    for index, sub in enumerate(item)
                ]
                if alternatives and all(alternatives):
                    result &= functools.reduce(operator.or_, alternatives)
            elif key == "not":
                inner = self._object(ms, item, depth + 1, path)
                # `not` of an empty filter (true) matches no row; Django would drop `~Q()`.
                result &= ~inner if inner else Q(pk__in=[])
            elif key == ms.id_name:
                result &= self._primary_key(ms, item, path)
            elif key in ms.scalars:
                field = ms.scalars[key]
                self.ctx.require_field(ms.model, field.name, "filter on")
                result &= self._operators(ms, key, field.name, item, path)
            elif key in ms.relations:
                result &= self._relation(ms, key, item, depth, path)
            else:  # schema validation makes this unreachable; keep the guard explicit
                raise bad_input(f"Unknown filter field at {path}.", self.argument)
        return result

    def _primary_key(self, ms: ModelSchema, ops: dict[str, Any], where: str) -> Q:
        pk = ms.model._meta.pk
        result = Q()
        for op, value in ops.items():
            if value is None:
                raise bad_input(f"Filter value at {where}.{op} may not be null.", self.argument)
            self._count(where)
            try:
                if op == "in":
                    result &= Q(pk__in=within_int64("in", [pk.to_python(v) for v in value]))
                else:
                    result &= Q(pk=pk.to_python(value))
            except ValidationError:
                raise bad_input(f"Invalid id at {where}.{op}.", self.argument) from None
        return result

    def _operators(self, ms: ModelSchema, key: str, field: str, ops: dict, where: str) -> Q:
        spec = ms.filter_ops[key]
        scalar = ms.scalars[key]
        result = Q()
        for gname, value in ops.items():
            path = f"{where}.{gname}"
            if value is None:
                raise bad_input(
                    f"Filter value at {path} may not be null; use isnull.", self.argument
                )
            lookup = spec.lookups[gname]
            if gname in spec.parts:
                for part_op, part_value in value.items():
                    if part_value is None:
                        raise bad_input(f"Filter value at {path} may not be null.", self.argument)
                    self._count(path)
                    if part_op == "range" and len(part_value) != 2:
                        raise bad_input(f"{path}.range takes exactly two values.", self.argument)
                    if lookup == "year":
                        # Django turns year comparisons into datetime bounds: outside 1..9999
                        # they raise instead of matching nothing.
                        years = part_value if isinstance(part_value, list) else [part_value]
                        if any(not MIN_YEAR <= year <= MAX_YEAR for year in years):
                            raise bad_input(
                                f"{path}.{part_op}: a year is between {MIN_YEAR} and {MAX_YEAR}.",
                                self.argument,
                            )
                    result &= Q(**{f"{field}__{lookup}__{part_op}": part_value})
                continue
            self._count(path)
            if scalar.kind in ("int", "bigint") and lookup in ("in", "range"):
                value = within_int64(lookup, value)
            if lookup == "isnull" and scalar.enum and not scalar.info.null:
                empty = Q(**{field: ""})  # a blank choice is stored as ""
                result &= empty if value else ~empty
            elif lookup == "range":
                if len(value) != 2:
                    raise bad_input(f"{path} takes exactly two values.", self.argument)
                result &= Q(**{f"{field}__range": tuple(value)})
            elif lookup == "exact":
                result &= Q(**{field: value})
            else:
                result &= Q(**{f"{field}__{lookup}": value})
        return result

    def _relation(self, ms: ModelSchema, key: str, value: dict, depth: int, where: str) -> Q:
        relation = ms.relations[key]
        self.ctx.require_field(ms.model, relation.name, "filter on")
        self.ctx.require_relation(relation)
        target = self.bundle.models[relation.target]
        conditions = dict(value)
        isnull_name = self.case("isnull")
        if isnull_name in conditions and conditions[isnull_name] is None:
            raise bad_input(
                f"Filter value at {where}.{isnull_name} may not be null.", self.argument
            )
        isnull = conditions.pop(isnull_name, None)
        if isnull is not None or not conditions:
            self._count(where)  # the relation itself is a leaf: "has (no) related row"
        inner = self._object(target, conditions, depth + 1, where) if conditions else Q()
        rows = self.ctx.visible(relation.target).filter(inner)
        info = relation.info
        if info.forward and not info.many:
            matched = Q(**{f"{info.name}__in": rows.values(info.target_field)})
        else:
            parent = OuterRef(info.parent_key)
            matched = Q(Exists(rows.filter(**{info.remote_name: parent})))
        return ~matched if isnull else matched
