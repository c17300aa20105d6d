"""MAX_ALIASES: how many aliases one document may write.

Aliases are how one request runs the same field many times (a thousand `login` attempts, a
thousand copies of an expensive list), which rate limits per request do not see. Every alias
written in the document counts, in operations and fragments alike; a fragment's aliases count
once however often it is spread, since spreading it twice at the same place yields the same
response keys, and spreading it in many places is paid for in cost.

The same count is taken from the tokens before parsing (see `tokens.py`), so a document with
thousands of aliases is refused before the parser builds them; this rule is the definition, and
what applies when a document arrives already parsed.
"""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, FieldNode, GraphQLError, ValidationContext

from django_graphql_auto.execution.limits.base import LimitRule, limit_error, number

SETTING = "MAX_ALIASES"


def too_many_aliases(
    count: int, maximum: int, node: Any = None, *, exact: bool = True
) -> GraphQLError:
    """The error both counts share, so a client sees one message whichever caught it."""
    counted = number(count) if exact else f"at least {number(count)}"
    return limit_error(
        f"The document has {counted} aliases; the maximum is {number(maximum)} ({SETTING}).",
        SETTING,
        maximum,
        count,
        node,
    )


class MaxAliasesRule(LimitRule):
    """Refuses a document that writes more than `maximum` aliases."""

    setting = SETTING

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._count = 0

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.alias is not None:
            self._count += 1

    def leave_document(self, node: DocumentNode, *_args: Any) -> None:
        if self._count > self.maximum:
            self.report_error(too_many_aliases(self._count, self.maximum))
