"""Input checks that hold for every operation before anything runs.

A NUL byte in a string input is refused (SPEC §10): PostgreSQL rejects it with a server error
halfway through a write, and Django does not check for it, so it is stopped at the door.

Variables nested deeper than MAX_VARIABLE_DEPTH are refused too: no input type nests that deep
(filters stop at MAX_FILTER_DEPTH, JSON values at MAX_JSON_DEPTH), and deeper values would
reach code that walks them recursively.

A Float literal beyond the range of a double (`1e400`) is refused at validation: graphql-core
reads it as infinity, which a float column would store. A variable cannot carry one (JSON has no
infinity, and graphql-core's Float refuses it).
"""

from __future__ import annotations

import math
from typing import Any

from graphql import (
    DocumentNode,
    FloatValueNode,
    GraphQLError,
    GraphQLFloat,
    IntValueNode,
    StringValueNode,
    ValidationRule,
    Visitor,
    get_named_type,
    visit,
)

from django_graphql_auto.schema.scalars import MAX_JSON_DEPTH

#: The deepest a variable's value may nest (lists and objects), its own level being 1.
MAX_VARIABLE_DEPTH = MAX_JSON_DEPTH

NUL_REFUSED = "String inputs may not contain NUL (\\u0000) characters."


class _NullByteFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> Any:
        if "\x00" in node.value:
            self.found = True
            return self.BREAK
        return None


def _variables_problem(variables: dict[str, Any]) -> str | None:
    """Walked with a stack: the values come straight from the client's JSON, which may nest
    far past Python's recursion limit."""
    stack = [(value, 1) for value in variables.values()]
    stack.extend((key, 1) for key in variables)
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return NUL_REFUSED
        elif isinstance(value, dict | list):
            if depth > MAX_VARIABLE_DEPTH:
                return f"Variables may nest at most {MAX_VARIABLE_DEPTH} levels deep."
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return None


def input_problem(
    query: str, document: DocumentNode, variables: dict[str, Any] | None
) -> str | None:
    """The message refusing this request's input (BAD_USER_INPUT), or None when it may run."""
    if variables:
        problem = _variables_problem(variables)
        if problem is not None:
            return problem
    # A NUL in a literal needs a raw NUL or an escape in the text: skip the walk when neither is.
    if "\x00" not in query and "\\u0000" not in query and "\\u{" not in query:
        return None
    finder = _NullByteFinder()
    visit(document, finder)
    return NUL_REFUSED if finder.found else None


class FiniteFloatRule(ValidationRule):
    """Refuses a Float literal that overflows a double (graphql-core would read it as inf)."""

    def enter_float_value(self, node: FloatValueNode, *_args: Any) -> None:
        self._check(node)

    def enter_int_value(self, node: IntValueNode, *_args: Any) -> None:
        self._check(node)  # an integer literal is a Float too, and may have 400 digits

    def _check(self, node: FloatValueNode | IntValueNode) -> None:
        if get_named_type(self.context.get_input_type()) is not GraphQLFloat:
            return  # a Decimal keeps the literal's text; JSON checks its own values
        if not math.isfinite(float(node.value)):
            self.report_error(
                GraphQLError(f"Float cannot represent {node.value}: not a finite number.", node)
            )
