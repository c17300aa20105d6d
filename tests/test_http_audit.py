"""GraphQL-over-HTTP conformance, measured by the ``graphql-http`` npm package's server audits.

``make test`` runs ``npm ci`` in ``tests/http_audit`` first. Without ``node`` the test is skipped
on a developer machine but fails in CI (``CI`` set), so conformance cannot silently go unchecked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

AUDIT_DIR = Path(__file__).resolve().parent / "http_audit"

# What every level must score: all of them (the reference server's 13/23/25).
EXPECTED = {"MUST": 13, "SHOULD": 23, "MAY": 25}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is required in CI to run the graphql-http audits")
        pytest.skip("node is not installed")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        pytest.fail("run `npm ci` in tests/http_audit (make test does it)")
    return node


def _summary(output: str) -> dict[str, tuple[int, int]]:
    """``{"MUST": (passed, total), ...}`` from the runner's summary lines."""
    return {
        level: (int(passed), int(total))
        for level, passed, total in re.findall(r"^(MUST|SHOULD|MAY) (\d+)/(\d+)$", output, re.M)
    }


@pytest.mark.django_db(transaction=True)
def test_graphql_http_server_audits(live_server, settings):
    node = _node()
    # Several audits query `__type(name: ...)`, so introspection must be on for them to pass.
    settings.DJANGO_GRAPHQL_AUTO = {**settings.DJANGO_GRAPHQL_AUTO, "INTROSPECTION": True}
    result = subprocess.run(
        [node, "run_audits.mjs", f"{live_server.url}/graphql/"],
        cwd=AUDIT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    scores = _summary(result.stdout)
    assert scores == {level: (total, total) for level, total in EXPECTED.items()}, output
    assert re.search(r"^61 passed, 0 failed$", result.stdout, re.M), output
    assert result.returncode == 0, output
