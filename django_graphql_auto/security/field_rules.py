"""Field-level rules (`FIELD_RULES`): hidden, masked, read-only and write-only fields.

The setting is per model, field name -> one rule (a dict) or a list of rules::

    GRAPHQL_AUTO_MODELS = {
        "hr.Employee": {
            "FIELD_RULES": {
                "email": {"hidden": True},
                "salary": {"masked": None, "unless_permission": "hr.view_salary"},
                "status": {"read_only": True, "unless_role": "editor"},
                "api_token": {"write_only": True},
            }
        }
    }

For a caller a rule *applies* unless it is lifted: `unless_role` (a group name or a list of
them) and `unless_permission` (a Django permission or a list) lift it for members of any of
those groups and holders of any of those permissions (superusers hold every permission, so
conditional rules never apply to them). A rule without a condition applies to everybody.

What an applying rule does:

- `hidden`: the field does not exist for the caller: it cannot be selected, filtered, ordered,
  counted or used in a nested relation filter (FORBIDDEN naming it), nor written;
- `masked: <value>`: the field can be selected but shows `<value>` (which must be a value of
  the field's GraphQL type, or None); it cannot be filtered, ordered or counted on;
- `read_only`: the field is shown but inputs setting it are refused (FORBIDDEN); without a
  condition it is left out of the input types altogether;
- `write_only`: inputs may set it but it is never shown (nor filtered, ordered, counted);
  without a condition it is left out of the output, filter and ordering types altogether.

This module parses and checks the setting and answers per caller; the policy seam
(`security.policy.Policy`) is what the rest of the package asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

RULE_FLAGS = ("hidden", "read_only", "write_only")
CONDITIONS = ("unless_role", "unless_permission")
RULE_KEYS = (*RULE_FLAGS, "masked", *CONDITIONS)

_NOT_MASKED = object()


@dataclass(frozen=True)
class FieldRule:
    field: str
    hidden: bool = False
    read_only: bool = False
    write_only: bool = False
    masked: Any = _NOT_MASKED
    roles: frozenset[str] = frozenset()
    permissions: tuple[str, ...] = ()

    @property
    def is_masked(self) -> bool:
        return self.masked is not _NOT_MASKED

    @property
    def conditional(self) -> bool:
        return bool(self.roles or self.permissions)

    def applies(self, user: Any, roles: frozenset[str]) -> bool:
        """Whether the rule holds for this caller (it is not lifted by a role or permission)."""
        if not self.conditional:
            return True
        if user is None or not getattr(user, "is_authenticated", False):
            return True
        if getattr(user, "is_superuser", False) and getattr(user, "is_active", True):
            return False
        if self.roles & roles:
            return False
        return not any(user.has_perm(permission) for permission in self.permissions)


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _rule_dicts(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def parse(setting: Mapping[str, Any] | None) -> dict[str, tuple[FieldRule, ...]]:
    """`FIELD_RULES` (already validated) -> field name -> its rules."""
    result: dict[str, tuple[FieldRule, ...]] = {}
    for name, value in (setting or {}).items():
        rules = []
        for entry in _rule_dicts(value):
            rules.append(
                FieldRule(
                    field=name,
                    hidden=bool(entry.get("hidden", False)),
                    read_only=bool(entry.get("read_only", False)),
                    write_only=bool(entry.get("write_only", False)),
                    masked=entry.get("masked", _NOT_MASKED),
                    roles=frozenset(_names(entry.get("unless_role"))),
                    permissions=_names(entry.get("unless_permission")),
                )
            )
        result[name] = tuple(rules)
    return result


class ModelFieldRules:
    """The parsed rules of one model, with the answers that do not depend on the caller."""

    def __init__(self, setting: Mapping[str, Any] | None):
        self.rules = parse(setting)
        flat = [rule for rules in self.rules.values() for rule in rules]
        self.any_conditional = any(r.conditional for r in flat)
        #: Fields no caller may write (left out of the input types).
        self.never_written = frozenset(
            r.field for r in flat if (r.read_only or r.hidden) and not r.conditional
        )
        #: Fields no caller may read (left out of the output types).
        self.never_read = frozenset(r.field for r in flat if r.write_only and not r.conditional)
        #: Fields whose value some caller may see replaced.
        self.maskable = frozenset(r.field for r in flat if r.is_masked)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def _applying(self, user: Any, roles: frozenset[str]) -> Iterable[FieldRule]:
        for rules in self.rules.values():
            for rule in rules:
                if rule.applies(user, roles):
                    yield rule

    def unreadable(self, user: Any, roles: frozenset[str]) -> frozenset[str]:
        """Fields the caller may not select, filter, order or count on (masked included)."""
        return frozenset(
            r.field for r in self._applying(user, roles) if r.hidden or r.write_only or r.is_masked
        )

    def unwritable(self, user: Any, roles: frozenset[str]) -> frozenset[str]:
        return frozenset(r.field for r in self._applying(user, roles) if r.hidden or r.read_only)

    def masks(self, user: Any, roles: frozenset[str]) -> dict[str, Any]:
        """Field -> shown value, for masked fields that are otherwise readable."""
        masks: dict[str, Any] = {}
        hidden: set[str] = set()
        for rule in self._applying(user, roles):
            if rule.hidden or rule.write_only:
                hidden.add(rule.field)
            elif rule.is_masked:
                masks.setdefault(rule.field, rule.masked)
        return {name: value for name, value in masks.items() if name not in hidden}


# --- Checking the setting (conf.py's system checks) -------------------------------------------


def _mask_problem(model: type[models.Model], name: str, value: Any) -> str | None:
    """Why `value` cannot stand in for the field's value in a response, or None."""
    if value is None:
        return None
    from django_graphql_auto.introspection import inspect_model
    from django_graphql_auto.schema.annotations import graphql_type, reduce_hint
    from django_graphql_auto.schema.metadata import INTERNAL_TYPES
    from django_graphql_auto.schema.types import SCALAR_TYPES

    info = inspect_model(model)
    if name in info.fields:
        finfo = info.fields[name]
        if finfo.choices is not None:
            allowed = [choice for choice, _ in finfo.choices]
            if value not in allowed:
                return f"a masked value must be one of the field's choices {allowed!r} or None"
            return None
        kind = INTERNAL_TYPES.get(finfo.internal_type)
        gtype = SCALAR_TYPES.get(kind) if kind else None
    elif name in info.computed:
        computed = info.computed[name]
        where = f"{model._meta.label}.{name}"
        try:
            hint = reduce_hint(computed.return_annotation, where)
            gtype = graphql_type(hint, type("Bundle", (), {"models": {}})(), where, output=True)
        except Exception:  # the schema build reports a bad annotation itself
            return None
    else:
        return "only columns and computed fields can be masked (not relations)"
    if gtype is None:
        return None
    try:
        from graphql import get_named_type

        named = get_named_type(gtype)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if named.serialize(item) is None:
                raise ValueError
    except Exception:
        return f"the masked value {value!r} is not a valid {get_named_type(gtype).name}"
    return None


def problems(model: type[models.Model], setting: Any) -> list[tuple[str, list[str]]]:
    """Everything wrong with one model's `FIELD_RULES`: (message, close names) pairs; a message
    names the field (the close names are for a "did you mean" hint)."""
    from django_graphql_auto.introspection import inspect_model

    if not isinstance(setting, Mapping):
        return [(f"must be a dict of field name to rule, not {type(setting).__name__}", [])]
    info = inspect_model(model)
    known = {*info.fields, *info.relationships, *info.computed}
    pk_name = model._meta.pk.name
    found: list[tuple[str, list[str]]] = []
    for name, value in setting.items():
        if not isinstance(name, str) or name not in known:
            found.append((f"{name!r} is not a field of {model._meta.label}", sorted(known)))
            continue
        if name == pk_name:
            found.append((f"{name!r} is the primary key; it cannot have field rules", []))
            continue
        entries = _rule_dicts(value)
        if not entries:
            found.append((f"{name!r}: give at least one rule", []))
        for entry in entries:
            found.extend(
                (f"{name!r}: {problem}", []) for problem in _entry_problems(info, name, entry)
            )
    return found


def _entry_problems(info: Any, name: str, entry: Any) -> list[str]:
    if not isinstance(entry, Mapping):
        return [f"a rule is a dict, not {type(entry).__name__}"]
    found = []
    for key in entry:
        if key not in RULE_KEYS:
            allowed = ", ".join(RULE_KEYS)
            found.append(f"unknown rule {key!r} (rules: {allowed})")
    for key in RULE_FLAGS:
        if key in entry and not isinstance(entry[key], bool):
            found.append(f"{key} must be True or False, not {entry[key]!r}")
    for key in CONDITIONS:
        if key not in entry:
            continue
        names = entry[key]
        listed = [names] if isinstance(names, str) else names
        if not isinstance(listed, list | tuple) or not all(
            isinstance(n, str) and n for n in listed
        ):
            found.append(f"{key} must be a name or a list of names, not {names!r}")
        elif key == "unless_permission":
            for permission in listed:
                if permission.count(".") != 1:
                    found.append(
                        f'{key}: {permission!r} is not "app_label.codename" (e.g. "hr.view_salary")'
                    )
    if found:
        return found
    flags = {key for key in RULE_FLAGS if entry.get(key)}
    if "masked" in entry:
        flags.add("masked")
    if not flags:
        found.append("the rule sets none of hidden, masked, read_only, write_only")
    for first, second in (
        ("hidden", "masked"),
        ("write_only", "masked"),
        ("hidden", "write_only"),
        ("read_only", "write_only"),
    ):
        if {first, second} <= flags:
            found.append(f"{first} and {second} contradict each other")
    if name in info.relationships and "masked" in flags:
        found.append("a relation cannot be masked (hide it instead)")
    if name in info.computed and flags & {"read_only", "write_only"}:
        found.append("a computed field is never written; only hidden or masked apply")
    if "masked" in flags and not found:
        problem = _mask_problem(info.model, name, entry["masked"])
        if problem:
            found.append(problem)
    return found
