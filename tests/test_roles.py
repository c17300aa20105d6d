"""Roles (issue 5 point 4): `ROLES` declares Django groups and their permissions,
`manage.py sync_roles` creates and updates them idempotently, `me { roles permissions }` shows
the caller's, and field rules' `unless_role` follows group membership."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from django_graphql_auto.conf import find_problems
from tests import factories
from tests.authz import SCHEMAS, assert_forbidden, perm, settings_with, user

pytestmark = pytest.mark.django_db

ROLES = {
    "editor": {
        "permissions": ["blog.view_post", "blog.change_post"],
        "description": "Edits everybody's posts.",
    },
    "moderator": {"permissions": ["blog.view_comment", "blog.delete_comment"]},
}


def with_roles(roles: dict):
    return override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "ROLES": roles})


def sync(*args: str) -> list[str]:
    out = StringIO()
    call_command("sync_roles", *args, stdout=out)
    return out.getvalue().splitlines()


def group_permissions() -> dict[str, list[str]]:
    return {
        group.name: sorted(
            f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
        )
        for group in Group.objects.order_by("name")
    }


def test_sync_creates_the_groups_then_changes_nothing():
    with with_roles(ROLES):
        assert sync() == [
            "editor: created; added blog.change_post, blog.view_post",
            "moderator: created; added blog.delete_comment, blog.view_comment",
            "2 role(s), 2 changed.",
        ]
        assert group_permissions() == {
            "editor": ["blog.change_post", "blog.view_post"],
            "moderator": ["blog.delete_comment", "blog.view_comment"],
        }
        assert sync() == ["editor: unchanged", "moderator: unchanged", "2 role(s), 0 changed."]


def test_sync_makes_the_permissions_exactly_the_declared_ones():
    other = Group.objects.create(name="not-a-role")
    other.permissions.add(perm("blog.add_tag"))
    editor = Group.objects.create(name="editor")
    editor.permissions.add(perm("blog.view_post"), perm("blog.delete_post"))
    with with_roles({"editor": ROLES["editor"]}):
        assert sync() == [
            "editor: updated; added blog.change_post; removed blog.delete_post",
            "1 role(s), 1 changed.",
        ]
    assert group_permissions() == {
        "editor": ["blog.change_post", "blog.view_post"],
        "not-a-role": ["blog.add_tag"],  # groups that are not declared are left alone
    }


def test_dry_run_reports_and_writes_nothing():
    with with_roles(ROLES):
        lines = sync("--dry-run")
    assert lines[0] == "[dry run] editor: created; added blog.change_post, blog.view_post"
    assert lines[-1] == "[dry run] 2 role(s), 2 would change."
    assert not Group.objects.exists()


def test_unknown_permissions_change_nothing():
    roles = {**ROLES, "broken": {"permissions": ["blog.fly_post", "nope.view_nothing"]}}
    with (
        with_roles(roles),
        pytest.raises(CommandError, match=r"blog\.fly_post, nope\.view_nothing"),
    ):
        sync()
    assert not Group.objects.exists()


def test_no_roles_declared():
    with with_roles({}):
        assert sync() == ["No roles are declared (DJANGO_GRAPHQL_AUTO['ROLES'] is empty)."]


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ({"editor": ["blog.view_post"]}, "role 'editor' must be a dict"),
        ({"editor": {"perms": []}}, "unknown key 'perms'"),
        ({"editor": {"permissions": ["view_post"]}}, '"app_label.codename"'),
        ({"editor": {"permissions": "blog.view_post"}}, "permissions must be a list of str"),
        ({"": {}}, "a role name must be a non-empty str"),
    ],
)
def test_malformed_roles_are_system_check_errors(roles, message):
    with with_roles(roles):
        (problem,) = [p for p in find_problems() if p.is_error]
        with pytest.raises(CommandError, match="ROLES"):
            sync()
    assert problem.id == "E008" and message in problem.message


def test_roles_are_global_only():
    with override_settings(
        DJANGO_GRAPHQL_AUTO={"SCHEMAS": {**SCHEMAS, "x": {"ROLES": {}}}},
    ):
        (problem,) = [p for p in find_problems() if p.is_error]
    assert problem.id == "E003"


# --- The caller's roles and permissions ------------------------------------------------------


ME = "{ me { username roles permissions } }"


def test_me_shows_roles_and_permissions(graphql, client):
    with with_roles(ROLES):
        sync()
        alice = user("alice", "blog.add_tag", groups=("editor", "newsletter"))
        client.force_login(alice)
        assert graphql(ME).ok() == {
            "me": {
                "username": "alice",
                # Every group is a role; declared ones have their permissions managed.
                "roles": ["editor", "newsletter"],
                "permissions": ["blog.add_tag", "blog.change_post", "blog.view_post"],
            }
        }


def test_a_synced_role_grants_its_permissions_through_the_api(graphql, client):
    factories.post(title="Guarded")
    apps = {
        "blog": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.DjangoModelPermissions"]}
    }
    with with_roles(ROLES):
        sync()
    client.force_login(user("reader"))
    with settings_with(apps=apps):
        assert_forbidden(graphql("{ posts { title } }"), leaked=("Guarded",))
    client.force_login(user("ed", groups=("editor",)))
    with settings_with(apps=apps):
        assert graphql("{ posts { title } }").ok() == {"posts": [{"title": "Guarded"}]}


def test_unless_role_follows_group_membership(graphql, client):
    factories.author(name="Ann", email="ann@example.com")
    rules = {"blog.Author": {"FIELD_RULES": {"email": {"hidden": True, "unless_role": "editor"}}}}
    member = user("member", groups=("editor",))
    with settings_with(models=rules, ROLES=ROLES):
        client.force_login(user("outsider"))
        assert_forbidden(graphql("{ authors { email } }"), naming="email")
        client.force_login(member)
        assert graphql("{ authors { email } }").ok() == {"authors": [{"email": "ann@example.com"}]}
        member.groups.clear()
        assert_forbidden(graphql("{ authors { email } }"), naming="email")
