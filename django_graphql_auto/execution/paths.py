"""Attribute names under which the planner stores what it loaded for one response path.

The planner and the field resolvers must agree on a name without talking to each other: both
derive it from the response path (aliases included, list indices left out), so two aliases of
the same relation with different arguments never share a slot.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import blake2b
from typing import Any


def response_keys(path: Any) -> tuple[str, ...]:
    """Response keys of a graphql-core `Path`, root first, without list indices."""
    keys: list[str] = []
    while path is not None:
        if isinstance(path.key, str):
            keys.append(path.key)
        path = path.prev
    keys.reverse()
    return tuple(keys)


@lru_cache(maxsize=4096)
def slot_name(keys: tuple[str, ...], kind: str = "r") -> str:
    """A valid Python/SQL identifier without `__` (Django's lookup separator)."""
    digest = blake2b(".".join(keys).encode(), digest_size=8).hexdigest()
    return f"gqa{kind}{digest}"
