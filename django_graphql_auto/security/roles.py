"""Roles: Django groups declared in the `ROLES` setting, with the permissions they grant.

    DJANGO_GRAPHQL_AUTO = {
        "ROLES": {
            "editor": {
                "permissions": ["blog.view_post", "blog.change_post"],
                "description": "Edits everybody's posts.",
            },
        },
    }

A role *is* a Django group of the same name: `manage.py sync_roles` creates the groups and
makes each group's permissions exactly the declared ones (idempotent: a second run changes
nothing). Membership stays where Django keeps it (`user.groups`, the admin). Field rules'
`unless_role`, `MFA_REQUIRED_ROLES` and `me { roles }` all speak of group names, declared in
`ROLES` or not; declaring a role only means its permissions are managed from settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROLE_KEYS = ("permissions", "description")


def roles_problem(value: Any) -> str | None:
    """Why a `ROLES` value is malformed (the system check's message), or None."""
    for name, role in value.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 150:
            return f"a role name must be a non-empty str of at most 150 characters, not {name!r}"
        if not isinstance(role, Mapping):
            return f"role {name!r} must be a dict, not {type(role).__name__}"
        unknown = [key for key in role if key not in ROLE_KEYS]
        if unknown:
            return f"role {name!r}: unknown key {unknown[0]!r} (keys: {', '.join(ROLE_KEYS)})"
        permissions = role.get("permissions", [])
        if not isinstance(permissions, list | tuple) or not all(
            isinstance(p, str) for p in permissions
        ):
            return f"role {name!r}: permissions must be a list of str"
        for permission in permissions:
            if permission.count(".") != 1 or not all(permission.split(".")):
                return (
                    f'role {name!r}: {permission!r} is not "app_label.codename" '
                    '(e.g. "blog.change_post")'
                )
        if not isinstance(role.get("description", ""), str):
            return f"role {name!r}: description must be a str"
    return None


def declared_roles() -> dict[str, dict[str, Any]]:
    """The `ROLES` setting, checked (ImproperlyConfigured when malformed)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    roles = getattr(settings, "DJANGO_GRAPHQL_AUTO", {}).get("ROLES") or {}
    if not isinstance(roles, Mapping):
        raise ImproperlyConfigured("DJANGO_GRAPHQL_AUTO['ROLES'] must be a dict.")
    problem = roles_problem(roles)
    if problem is not None:
        raise ImproperlyConfigured(f"DJANGO_GRAPHQL_AUTO['ROLES']: {problem}.")
    return dict(roles)


@dataclass
class RoleChange:
    role: str
    created: bool = False
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.added or self.removed)

    def describe(self) -> str:
        if not self.changed:
            return f"{self.role}: unchanged"
        parts = ["created" if self.created else "updated"]
        if self.added:
            parts.append("added " + ", ".join(self.added))
        if self.removed:
            parts.append("removed " + ", ".join(self.removed))
        return f"{self.role}: " + "; ".join(parts)


class UnknownPermissions(Exception):
    """Declared permissions that do not exist in the database (run migrate first?)."""

    def __init__(self, missing: dict[str, list[str]]):
        self.missing = missing
        listed = "; ".join(f"{role}: {', '.join(names)}" for role, names in missing.items())
        super().__init__(f"Unknown permissions in ROLES ({listed}).")


def _permission_index() -> dict[str, Any]:
    from django.contrib.auth.models import Permission

    return {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }


def sync_roles(roles: Mapping[str, Mapping[str, Any]] | None = None, *, dry_run: bool = False):
    """Create the declared groups and set their permissions to exactly the declared ones.

    All or nothing, in one transaction; with `dry_run` nothing is written. Returns one
    `RoleChange` per role, in declaration order. Raises `UnknownPermissions` (and changes
    nothing) when a declared permission does not exist.
    """
    from django.contrib.auth.models import Group
    from django.db import transaction

    roles = declared_roles() if roles is None else dict(roles)
    index = _permission_index()
    missing = {
        name: [p for p in role.get("permissions", ()) if p not in index]
        for name, role in roles.items()
    }
    missing = {name: names for name, names in missing.items() if names}
    if missing:
        raise UnknownPermissions(missing)
    changes = []
    with transaction.atomic():
        existing = {g.name: g for g in Group.objects.filter(name__in=list(roles))}
        for name, role in roles.items():
            wanted = set(role.get("permissions", ()))
            group = existing.get(name)
            change = RoleChange(name, created=group is None)
            if group is None:
                current: set[str] = set()
                if not dry_run:
                    group = Group.objects.create(name=name)
            else:
                current = {
                    f"{p.content_type.app_label}.{p.codename}"
                    for p in group.permissions.select_related("content_type")
                }
            change.added = sorted(wanted - current)
            change.removed = sorted(current - wanted)
            if not dry_run and group is not None:
                if change.added:
                    group.permissions.add(*(index[p] for p in change.added))
                if change.removed:
                    group.permissions.remove(*(index[p] for p in change.removed))
            changes.append(change)
    return changes
