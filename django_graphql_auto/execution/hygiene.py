"""Input checks that hold for every operation before anything runs.

A NUL byte in a string input is refused (SPEC §10): PostgreSQL rejects it with a server error
halfway through a write, and Django does not check for it, so it is stopped at the door.
"""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, StringValueNode, Visitor, visit


class _NullByteFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> Any:
        if "\x00" in node.value:
            self.found = True
            return self.BREAK
        return None


def _value_has_null_byte(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_value_has_null_byte(k) or _value_has_null_byte(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_value_has_null_byte(v) for v in value)
    return False


def has_null_byte(query: str, document: DocumentNode, variables: dict[str, Any] | None) -> bool:
    if variables and _value_has_null_byte(variables):
        return True
    # A NUL in a literal needs a raw NUL or an escape in the text: skip the walk when neither is.
    if "\x00" not in query and "\\u0000" not in query and "\\u{" not in query:
        return False
    finder = _NullByteFinder()
    visit(document, finder)
    return finder.found
