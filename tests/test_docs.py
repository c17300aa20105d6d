"""The committed docs/settings.md is exactly what docs/generate_settings.py renders.

The settings table is generated from ``django_graphql_auto.conf.SETTINGS`` (the same table the
system checks validate against), so a setting added, removed or re-described in code fails here
until the page is regenerated.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "generate_settings.py"


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate_settings", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_page_is_up_to_date():
    generator = _generator()
    committed = generator.OUTPUT.read_text(encoding="utf-8")
    assert committed == generator.render(), (
        f"docs/settings.md is out of date; regenerate it with: {generator.COMMAND}"
    )


def test_every_setting_has_a_row():
    from django_graphql_auto.conf import SETTINGS

    table = _generator().render_table()
    for name in SETTINGS:
        assert f"| `{name}` |" in table
