"""HTML sanitizing of string inputs with nh3 (SPEC §6 "Input validation").

Which inputs are cleaned is a per-model decision (settings at any level, the most specific wins):

* ``SANITIZE_FIELDS``: field names whose string input is cleaned, e.g. ``["body"]``;
* ``SANITIZE_TEXT_FIELDS``: ``True`` cleans every ``TextField`` as well. Off by default: nh3
  produces HTML, so plain text changes (``a < b`` is stored as ``a &lt; b``) and would be escaped
  twice when a template shows it. Turn it on for models whose text fields hold HTML.

The cleaner keeps nh3's default tags and attributes (no ``script``, ``style``, event handlers or
``javascript:`` URLs; links get ``rel="noopener noreferrer"``) unless ``SANITIZE_ALLOWED_TAGS``
/ ``SANITIZE_ALLOWED_ATTRIBUTES`` replace them.

The writer calls :func:`sanitize_input` for every scalar it sets (create, update, bulk and nested
inputs alike) before ``full_clean()``, so validators and ``max_length`` see the value that will
be stored. Each cleaning is reported on the security log (``input_sanitized``: model, field,
whether the value changed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import nh3

__all__ = [
    "attributes_problem",
    "cleaner",
    "fields_to_sanitize",
    "sanitize_input",
    "tags_problem",
]

#: Tags nh3 removes together with their content; it cannot also keep them.
_CONTENT_REMOVED = frozenset({"script", "style"})


def tags_problem(value: Any) -> str | None:
    """The settings check of SANITIZE_ALLOWED_TAGS: no tag whose content is code."""
    kept = sorted(_CONTENT_REMOVED.intersection(value or ()))
    if kept:
        return f"{', '.join(kept)} cannot be allowed (its content is code, removed with the tag)"
    return None


def attributes_problem(value: Any) -> str | None:
    """The settings check of SANITIZE_ALLOWED_ATTRIBUTES: tag name -> list of attribute names,
    without event handlers (``on...``)."""
    if value is None:
        return None
    for tag, names in value.items():
        if not isinstance(tag, str):
            return f"{tag!r} is not a tag name"
        if not isinstance(names, list | tuple | set | frozenset) or not all(
            isinstance(name, str) for name in names
        ):
            return f"the attributes of {tag!r} must be a list of names, not {names!r}"
        handlers = sorted(name for name in names if name.lower().startswith("on"))
        if handlers:
            return f"event handler attributes ({', '.join(handlers)}) run script: not allowed"
    return None


def cleaner(
    tags: list[str] | tuple[str, ...] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Callable[[str], str]:
    """A function that cleans one HTML fragment with nh3 and these options."""
    options: dict[str, Any] = {}
    if tags is not None:
        options["tags"] = set(tags)
    if attributes is not None:
        options["attributes"] = {tag: set(names) for tag, names in attributes.items()}
        if "rel" in options["attributes"].get("a", ()) | options["attributes"].get("*", set()):
            options["link_rel"] = None  # the project manages rel itself (nh3 refuses both)
    if hasattr(nh3, "Cleaner"):  # nh3 >= 0.3: build the sanitizer once
        return nh3.Cleaner(**options).clean
    return lambda html: nh3.clean(html, **options)


@dataclass(frozen=True)
class _Plan:
    names: frozenset[str]  # model field names whose string input is cleaned
    clean: Callable[[str], str]


def fields_to_sanitize(ms: Any) -> frozenset[str]:
    """Model field names of ``ms`` (a ModelSchema) whose string input is cleaned."""
    named = set(ms.config["SANITIZE_FIELDS"])
    every_text = ms.config["SANITIZE_TEXT_FIELDS"]
    return frozenset(
        scalar.name
        for scalar in [*ms.scalars.values(), *ms.write_only_scalars.values()]
        if scalar.kind == "string"
        and not scalar.enum
        and (scalar.name in named or (every_text and scalar.info.internal_type == "TextField"))
    )


def _plan(bundle: Any, ms: Any) -> _Plan | None:
    plans = bundle.extras.setdefault("sanitize", {})
    if ms.model not in plans:
        names = fields_to_sanitize(ms)
        config = ms.config
        clean = cleaner(config["SANITIZE_ALLOWED_TAGS"], config["SANITIZE_ALLOWED_ATTRIBUTES"])
        plans[ms.model] = _Plan(names, clean) if names else None
    return plans[ms.model]


def sanitize_input(ctx: Any, ms: Any, scalar: Any, value: Any) -> Any:
    """``value`` cleaned when the settings name ``scalar``'s field, else ``value`` unchanged.

    ``ctx`` is the request's RequestContext, ``ms`` the ModelSchema, ``scalar`` the field's
    ScalarField. The cleaning is logged: ``INFO`` when it changed the value, ``DEBUG`` when not.
    """
    if not isinstance(value, str) or not value:
        return value
    plan = _plan(ctx.bundle, ms)
    if plan is None or scalar.name not in plan.names:
        return value
    cleaned = plan.clean(value)
    changed = cleaned != value
    from django_graphql_auto.security.audit import security_event

    reason = "the HTML sanitizer changed the input" if changed else "the input was already clean"
    security_event(
        "input_sanitized",
        ctx,
        reason,
        level=logging.INFO if changed else logging.DEBUG,
        model=ms.model._meta.label,
        field=scalar.name,
        changed=changed,
        length_before=len(value),
        length_after=len(cleaned),
    )
    return cleaned
