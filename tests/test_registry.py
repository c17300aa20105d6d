"""Schemas are built lazily, kept, rebuilt on demand and served under their own names."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from graphql import print_schema

from django_graphql_auto.schema import registry
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_urls_builds_no_schema():
    """Nothing is built at import time: a fresh process imports the app and its URLs."""
    code = (
        "import django; django.setup();"
        "import django_graphql_auto.urls, example_project.urls;"
        "from django_graphql_auto.schema import registry;"
        "print(len(registry._bundles))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "example",
        env={"DJANGO_SETTINGS_MODULE": "example_project.settings", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert output.stdout.strip() == "0"


def test_schema_is_built_once_and_rebuilt_on_demand():
    first = registry.get_schema()
    assert registry.get_schema() is first
    registry.rebuild_schema()
    second = registry.get_schema()
    assert second is not first and second.version > first.version


def test_settings_change_rebuilds():
    before = print_schema(registry.get_schema().schema)
    assert " post_pages(" in before
    with override_settings(GRAPHQL_AUTO_MODELS={"blog.Post": {"EXPOSE": False}}):
        after = print_schema(registry.get_schema().schema)
        assert " post_pages(" not in after
        assert " published_post_pages(" in after


@pytest.mark.django_db
@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"], "INTROSPECTION": True}}
    }
)
def test_named_schemas_are_served_at_their_own_urls(graphql):
    f.author(name="Visible")
    assert graphql("{ authors { name } }").ok() == {"authors": [{"name": "Visible"}]}
    assert "type User " not in print_schema(registry.get_schema().schema)
    assert "users(" in print_schema(registry.get_schema("admin").schema)
    result = graphql('{ __type(name: "User") { fields { name } } }', path="/admin-graphql/")
    fields = {field["name"] for field in result.ok()["__type"]["fields"]}
    assert {"username", "email", "groups"} <= fields
    assert "password" not in fields


def test_unknown_schema_name_is_refused():
    with pytest.raises(Exception, match="nope"):
        registry.get_schema("nope")


def test_export_schema_writes_sdl(tmp_path, capsys):
    target = tmp_path / "schema.graphql"
    call_command("export_schema", "--schema", "admin", "--out", str(target))
    sdl = target.read_text()
    assert "type User {" in sdl
    user_type = re.search(r"^type User \{.*?^\}", sdl, re.MULTILINE | re.DOTALL).group(0)
    assert "password" not in user_type.lower()
    # The only root field named after a password is the auth flow's (SPEC §10).
    named = re.findall(r"^\s+(\w*password\w*)[:(]", sdl, re.MULTILINE | re.IGNORECASE)
    assert named == ["change_password"]
    call_command("export_schema")
    assert "type Post {" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Unknown schema"):
        call_command("export_schema", "--schema", "nope")
