"""A bound on cyclic introspection, for schemas where introspection is allowed.

Depth and cost do not descend into `__schema` and `__type` (see `depth.py`), so something else
must stop `__schema { types { fields { type { fields { type { fields ...`, whose answer grows
by the number of fields at each turn. Like graphql-core's MaxIntrospectionDepthRule (a specified
rule from graphql-core 3.3, absent from early 3.2 releases, hence this copy with our error code),
it refuses more than two nested `fields`, `interfaces`, `possibleTypes` or `inputFields` below an
introspection field; the standard introspection query nests one.

Where introspection is off, NoSchemaIntrospectionCustomRule refuses these fields outright and this
rule is not used.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    SKIP,
    FieldNode,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationContext,
)

from django_graphql_auto.execution.limits.base import MAX_NESTING, LimitRule, TooDeep, limit_error

#: Introspection fields that list types' members: each nesting multiplies the answer.
LIST_FIELDS = frozenset({"fields", "interfaces", "possibleTypes", "inputFields"})
#: The most list fields one path may nest, as in graphql-core.
MAX_LISTS = 2


class IntrospectionDepthRule(LimitRule):
    """Refuses introspection nesting more than MAX_LISTS member lists."""

    setting = "INTROSPECTION"
    maximum = MAX_LISTS

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._fragment_lists: dict[str, int] = {}
        self._measuring: set[str] = set()

    def enter_field(self, node: FieldNode, *_args: Any) -> Any:
        if node.name.value not in ("__schema", "__type") or node.selection_set is None:
            return None
        try:
            lists = self._lists(node.selection_set, 0)
        except (TooDeep, RecursionError):
            lists = MAX_NESTING
        if lists > self.maximum:
            self.report_error(
                limit_error(
                    f"Introspection nests {lists} lists of fields, interfaces, possible types "
                    f"or input fields; the maximum is {self.maximum}.",
                    self.setting,
                    self.maximum,
                    lists,
                    node,
                )
            )
        return SKIP

    def _lists(self, selection_set: SelectionSetNode, nesting: int) -> int:
        """The most member lists nested on one path below `selection_set`."""
        if nesting > MAX_NESTING:
            raise TooDeep
        most = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                lists = 1 if selection.name.value in LIST_FIELDS else 0
                if selection.selection_set:
                    lists += self._lists(selection.selection_set, nesting + 1)
            elif isinstance(selection, InlineFragmentNode):
                lists = self._lists(selection.selection_set, nesting + 1)
            else:
                lists = self._fragment(selection.name.value, nesting + 1)
            most = max(most, lists)
        return most

    def _fragment(self, name: str, nesting: int) -> int:
        known = self._fragment_lists.get(name)
        if known is not None:
            return known
        fragment = self.context.get_fragment(name)
        if fragment is None or name in self._measuring:
            return 0
        self._measuring.add(name)
        try:
            lists = self._lists(fragment.selection_set, nesting)
        finally:
            self._measuring.discard(name)
        self._fragment_lists[name] = lists
        return lists
