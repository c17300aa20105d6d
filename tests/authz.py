"""Helpers shared by the authorization tests: users, permissions, settings and assertions."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test.utils import override_settings

FORBIDDEN = "FORBIDDEN"
P = "django_graphql_auto.permissions."
# The example project's schemas and Post exclusion, repeated so a test changes only its keys.
SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}
OPEN_APPS = {
    "blog": {"PERMISSION_CLASSES": [P + "AllowAny"]},
    "clinic": {"PERMISSION_CLASSES": [P + "AllowAny"]},
}


def perm(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def user(username: str, *perms: str, groups: tuple[str, ...] = (), **fields: Any):
    created = get_user_model().objects.create_user(username, f"{username}@example.com", **fields)
    if perms:
        created.user_permissions.add(*(perm(p) for p in perms))
    for name in groups:
        created.groups.add(Group.objects.get_or_create(name=name)[0])
    return created


def settings_with(models: dict[str, dict] | None = None, apps: dict | None = None, **extra: Any):
    """override_settings: the example project's settings with these model/app entries."""
    model_entries = {"blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]}}
    for label, values in (models or {}).items():
        model_entries[label] = {**model_entries.get(label, {}), **values}
    return override_settings(
        DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, **extra},
        GRAPHQL_AUTO_APPS={**OPEN_APPS, **(apps or {})},
        GRAPHQL_AUTO_MODELS=model_entries,
    )


def assert_forbidden(result, naming: str | None = None, leaked: tuple[str, ...] = ()) -> None:
    assert result.errors, result.body
    assert set(result.codes) == {FORBIDDEN}, result.errors
    if naming is not None:
        assert any(naming in e["message"] for e in result.errors), result.errors
    text = json.dumps(result.body)
    for value in leaked:
        assert value not in text, result.body


def payload(result, field: str) -> dict[str, Any]:
    data = result.ok()
    return data[field]


def mutate(graphql, field: str, selection: str = "ok errors", **arguments: Any):
    """`mutation { field(...) { selection } }` with every argument passed as a variable; the
    variable types are read from the schema."""
    from django_graphql_auto.schema.registry import get_schema

    args = get_schema().schema.mutation_type.fields[field].args
    signature = ", ".join(f"${name}: {args[name].type}" for name in arguments)
    passed = ", ".join(f"{name}: ${name}" for name in arguments)
    return graphql(f"mutation({signature}) {{ {field}({passed}) {{ {selection} }} }}", arguments)
