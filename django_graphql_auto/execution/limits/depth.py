"""MAX_QUERY_DEPTH: how many fields deep an operation reaches, fragments included.

Depth is what turns a small document into a huge join: `{ posts { author { posts { author ...`
is a few hundred bytes. A root field is at depth 1, so `{ posts { title } }` has depth 2.

Fragments count where they are spread. A fragment's own depth does not depend on where it is
spread, so it is measured once and remembered: a document spreading fragments into fragments many
times over costs time in proportion to its length, not to its expansion. A fragment cycle is an
error of graphql-core's NoFragmentCyclesRule (in the same document, in a later pass); here a spread
of a fragment already being measured simply counts nothing, so the walk ends.

Introspection fields (`__schema`, `__type`) count as one level and are not descended: their
answer comes from memory, not the database, the standard introspection query is deeper than any
sensible data limit, and cyclic introspection is bounded by IntrospectionDepthRule instead.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    SKIP,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)

from django_graphql_auto.execution.limits.base import (
    MAX_NESTING,
    LimitRule,
    TooDeep,
    limit_error,
    number,
)


class MaxDepthRule(LimitRule):
    """Refuses an operation whose deepest field is deeper than `maximum`."""

    setting = "MAX_QUERY_DEPTH"

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._fragment_depths: dict[str, int] = {}
        self._measuring: set[str] = set()

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
        try:
            depth = self._depth(node.selection_set, 0)
        except (TooDeep, RecursionError):
            self.report_error(
                limit_error(
                    f"The operation nests fields and fragments more than {MAX_NESTING} levels "
                    f"deep; the maximum query depth is {number(self.maximum)} "
                    f"({self.setting}).",
                    self.setting,
                    self.maximum,
                    MAX_NESTING + 1,
                    node,
                )
            )
            return SKIP
        if depth > self.maximum:
            self.report_error(
                limit_error(
                    f"Query depth {number(depth)} exceeds the maximum of {number(self.maximum)} "
                    f"({self.setting}).",
                    self.setting,
                    self.maximum,
                    depth,
                    node,
                )
            )
        return SKIP  # the walk above saw everything this rule needs

    def enter_fragment_definition(self, _node: FragmentDefinitionNode, *_args: Any) -> Any:
        return SKIP  # measured where it is spread

    def _depth(self, selection_set: SelectionSetNode, nesting: int) -> int:
        """Depth of the deepest field of `selection_set`, its own fields being at depth 1."""
        if nesting > MAX_NESTING:
            raise TooDeep
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                depth = 1
                if selection.selection_set and not selection.name.value.startswith("__"):
                    depth += self._depth(selection.selection_set, nesting + 1)
            elif isinstance(selection, InlineFragmentNode):
                depth = self._depth(selection.selection_set, nesting + 1)
            else:
                depth = self._fragment_depth(selection.name.value, nesting + 1)
            deepest = max(deepest, depth)
        return deepest

    def _fragment_depth(self, name: str, nesting: int) -> int:
        known = self._fragment_depths.get(name)
        if known is not None:
            return known
        fragment = self.context.get_fragment(name)
        if fragment is None or name in self._measuring:
            return 0  # unknown fragment or a cycle: other rules report both
        self._measuring.add(name)
        try:
            depth = self._depth(fragment.selection_set, nesting)
        finally:
            self._measuring.discard(name)
        self._fragment_depths[name] = depth
        return depth
