"""MAX_ROOT_FIELDS: how many root fields one operation may select.

Each root field is planned and loaded on its own, so their number is the number of independent
database round trips. Root fields are counted as written, through inline fragments and fragment
spreads: a field written twice counts twice, because graphql-core's overlap check compares every
pair of same-named fields and would otherwise be the slow part of a document repeating one field
thousands of times. A fragment counts once per operation (spreading it again adds nothing new).
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
)

from django_graphql_auto.execution.limits.base import LimitRule, limit_error, number


class MaxRootFieldsRule(LimitRule):
    """Refuses an operation selecting more than `maximum` root fields."""

    setting = "MAX_ROOT_FIELDS"

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
        count = self._count(node.selection_set)
        if count > self.maximum:
            self.report_error(
                limit_error(
                    f"The operation selects {number(count)} root fields; the maximum is "
                    f"{number(self.maximum)} ({self.setting}).",
                    self.setting,
                    self.maximum,
                    count,
                    node,
                )
            )
        return SKIP

    def enter_fragment_definition(self, _node: FragmentDefinitionNode, *_args: Any) -> Any:
        return SKIP

    def _count(self, root: SelectionSetNode) -> int:
        """An explicit stack, not recursion: a long chain of spreads is not nested text."""
        count = 0
        stack = [root]
        spread: set[str] = set()
        while stack:
            for selection in stack.pop().selections:
                if isinstance(selection, FieldNode):
                    count += 1
                elif isinstance(selection, InlineFragmentNode):
                    stack.append(selection.selection_set)
                elif selection.name.value not in spread:
                    spread.add(selection.name.value)
                    fragment = self.context.get_fragment(selection.name.value)
                    if fragment is not None:
                        stack.append(fragment.selection_set)
        return count
