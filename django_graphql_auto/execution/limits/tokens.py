"""MAX_DOCUMENT_BYTES and MAX_TOKENS: checks on the query text, before it is parsed.

Parsing is the most expensive step a client can trigger without passing validation (tens of
microseconds per token in pure Python, and all of it before any rule runs), so the text is
measured first: its size without reading it, then its tokens with graphql-core's Lexer, which
builds no AST and stops one token past the limit.

The same pass counts aliases (a name followed by `:` outside parentheses is an alias in an
executable document; inside them it is an argument, a variable or an input field), so that a
document of thousands of aliases, a few tokens each, is refused before the parser builds them.
Comments are not tokens (as in graphql-core's own `max_tokens`); MAX_DOCUMENT_BYTES bounds them.

A text that does not lex is left to the parser, which reports the syntax error properly.
"""

from __future__ import annotations

from graphql import GraphQLError, GraphQLSyntaxError, Source
from graphql.language import Lexer, TokenKind

from django_graphql_auto.execution.limits.aliases import too_many_aliases
from django_graphql_auto.execution.limits.base import limit_error, number


def document_bytes(query: str) -> int:
    """UTF-8 size of `query`; free for ASCII text, whatever its length."""
    if query.isascii():
        return len(query)
    # "surrogatepass": JSON may decode to a lone surrogate, which plain UTF-8 refuses to encode.
    return len(query.encode("utf-8", "surrogatepass"))


def check_size(query: str, max_bytes: int) -> GraphQLError | None:
    size = document_bytes(query)
    if size <= max_bytes:
        return None
    return limit_error(
        f"The document is {number(size)} bytes; the maximum is {number(max_bytes)} "
        "(MAX_DOCUMENT_BYTES).",
        "MAX_DOCUMENT_BYTES",
        max_bytes,
        size,
    )


def check_tokens(query: str, max_tokens: int, max_aliases: int) -> list[GraphQLError]:
    """Errors for too many tokens or aliases; the text is lexed at most once, never parsed."""
    lexer = Lexer(Source(query))
    tokens = aliases = parentheses = 0
    previous = None
    complete = False
    try:
        while True:
            kind = lexer.advance().kind
            if kind is TokenKind.EOF:
                complete = True
                break
            tokens += 1
            if tokens > max_tokens:
                break
            if kind is TokenKind.PAREN_L:
                parentheses += 1
            elif kind is TokenKind.PAREN_R:
                parentheses -= 1
            elif kind is TokenKind.COLON and previous is TokenKind.NAME and parentheses == 0:
                aliases += 1
            previous = kind
    except GraphQLSyntaxError:
        complete = True  # what was counted is all there is before the syntax error
    problems = []
    if not complete:
        problems.append(
            limit_error(
                f"The document has more than {number(max_tokens)} tokens; the maximum is "
                f"{number(max_tokens)} (MAX_TOKENS).",
                "MAX_TOKENS",
                max_tokens,
                tokens,
            )
        )
    if aliases > max_aliases:
        problems.append(too_many_aliases(aliases, max_aliases, exact=complete))
    return problems
