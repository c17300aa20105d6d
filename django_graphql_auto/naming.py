"""Every generated GraphQL name comes from here, so snake/camel switching is one decision.

Names are built in snake_case first; `NameCase.apply()` converts them when `NAME_CASE` is
"camel". Type names are always PascalCase.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_IRREGULAR = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "goose": "geese",
    "foot": "feet",
    "tooth": "teeth",
    "datum": "data",
    "criterion": "criteria",
    "analysis": "analyses",
}
# Most words ending in -f/-fe just add -s (roof, chief, safe); these are the common exceptions.
_F_TO_VES = {
    "calf",
    "elf",
    "half",
    "knife",
    "leaf",
    "life",
    "loaf",
    "self",
    "shelf",
    "thief",
    "wife",
    "wolf",
}
_UNCOUNTABLE = {"series", "species", "news", "information", "equipment", "data", "sheep", "fish"}


def pluralize(word: str) -> str:
    """English plural of a snake_case word (only the last part is inflected)."""
    head, _, last = word.rpartition("_")
    prefix = f"{head}_" if head else ""
    lower = last.lower()
    if lower in _UNCOUNTABLE:
        plural = last
    elif lower in _IRREGULAR:
        plural = _IRREGULAR[lower]
    elif re.search(r"[^aeiou]y$", lower):
        plural = last[:-1] + "ies"
    elif re.search(r"[aeiou]z$", lower):
        plural = last + "zes"  # quiz -> quizzes, fez -> fezzes
    elif re.search(r"(s|x|z|ch|sh)$", lower):
        plural = last + "es"
    elif lower in _F_TO_VES:
        plural = last[: -2 if lower.endswith("fe") else -1] + "ves"
    else:
        plural = last + "s"
    return prefix + plural


def snake_case(name: str) -> str:
    """`BlogPost` -> `blog_post`, `HTTPLog` -> `http_log`."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


def camel_case(name: str) -> str:
    """`total_count` -> `totalCount`; leading underscores are kept."""
    stripped = name.lstrip("_")
    lead = name[: len(name) - len(stripped)]
    first, *rest = stripped.split("_")
    return lead + first + "".join(part[:1].upper() + part[1:] for part in rest)


def pascal_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


#: GraphQL's Name production; names starting with `__` are also reserved (introspection).
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def is_graphql_name(name: str) -> bool:
    """Whether GraphQL accepts `name` for a type, field or enum value (ASCII, no `__` start)."""
    return bool(_GRAPHQL_NAME.fullmatch(name)) and not name.startswith("__")


def enum_value_name(value: object) -> str:
    """SPEC §10: stored value upper-cased, non-alphanumerics to `_`, a leading digit prefixed.

    Where the rule alone gives a name GraphQL forbids, the least is changed: an empty name is
    `_`, and a name that would start with `__` (reserved for introspection: `"--"`, `"__x"`)
    keeps a single `_` (`"_"`, `"_X"`).
    """
    # Accented letters keep their base letter (GraphQL names are ASCII): "Ünïcode" -> "UNICODE".
    ascii_text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    name = re.sub(r"[^0-9A-Za-z]", "_", ascii_text).upper()
    if not name or name[0].isdigit():
        name = "_" + name
    if name.startswith("__"):
        name = "_" + name.lstrip("_")
    return name


def enum_value_names(values: Iterable[object]) -> list[str]:
    """One name per value, in order: a name already taken gets `_2`, `_3`, ... (never a drop);
    after a name of underscores only (`_`) the number comes without one more (`_2`), so that
    no name starts with `__`."""
    taken: set[str] = set()
    names: list[str] = []
    for value in values:
        base = enum_value_name(value)
        separator = "" if not base.strip("_") else "_"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}{separator}{n}", n + 1
        taken.add(name)
        names.append(name)
    return names


@dataclass(frozen=True)
class NameCase:
    """Field and argument names as the schema's `NAME_CASE` wants them."""

    camel: bool = False

    def __call__(self, snake_name: str) -> str:
        return camel_case(snake_name) if self.camel else snake_name
