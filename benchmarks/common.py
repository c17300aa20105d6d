"""What every benchmark script shares: Django set-up, the database, timing and reporting.

Run the scripts from the repository root as modules (``python -m benchmarks.queries``): the
example project (``example/``) is put on ``sys.path`` here, and ``DJANGO_SETTINGS_MODULE``
defaults to ``benchmarks.settings``.

Timing is deliberately simple: ``time.perf_counter`` around one call, a warm-up first, and the
implementations being compared are *interleaved* (one call of each per round, in a rotating
order), so a burst of load from another process on a shared machine hits all of them alike and
their ratios stay meaningful even when the absolute figures move. Each measurement is repeated
(``--rounds``, default 2) and the quietest round is reported (``measure``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example"


def setup_django(settings_module: str = "benchmarks.settings") -> None:
    for path in (str(ROOT), str(EXAMPLE)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def prepare_database(verbose: bool = True) -> None:
    """Migrate, and load the demo data set when the database has no posts yet."""
    from blog.models import Post
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if not Post.objects.exists():
        if verbose:
            print("Empty database: loading the demo data (manage.py load_demo_data)...")
        call_command("load_demo_data", verbosity=1 if verbose else 0)
        # Fresh tables have no planner statistics yet (PostgreSQL's autovacuum would gather
        # them some time later): gather them now so the first run plans like the later ones.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
        return f"PostgreSQL {version}"
    return connection.vendor


def _git(*args: str) -> str:
    import subprocess

    try:
        completed = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=10
        )
    except OSError:
        return ""
    return completed.stdout.strip()


def environment() -> dict[str, Any]:
    import django
    import graphql

    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "python": platform.python_version(),
        "django": django.get_version(),
        "graphql_core": graphql.__version__,
        "database": database_label(),
        # BENCH_DJANGO_PREPARED (benchmarks/settings.py): Django's own prepared statements for all.
        "django_prepared_statements": bool(os.environ.get("BENCH_DJANGO_PREPARED")),
        "nproc": os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.system(),
    }


# --- timing ------------------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p90 of 200 samples is the 180th smallest)."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[index]


def summarize(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "median_ms": statistics.median(ms),
        "p25_ms": percentile(ms, 0.25),
        "p90_ms": percentile(ms, 0.9),
        "min_ms": min(ms),
        "n": len(ms),
    }


def interleaved(
    calls: dict[str, Callable[[], Any]], repetitions: int, warmup: int
) -> dict[str, list[float]]:
    """Time each call `repetitions` times, one call of each per round in a rotating order."""
    names = list(calls)
    for _ in range(warmup):
        for name in names:
            calls[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    clock = time.perf_counter
    for round_number in range(repetitions):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            call = calls[name]
            start = clock()
            call()
            samples[name].append(clock() - start)
    return samples


def measure(
    calls: dict[str, Callable[[], Any]], repetitions: int, warmup: int, rounds: int
) -> tuple[dict[str, dict[str, float]], list[dict[str, dict[str, float]]]]:
    """`rounds` interleaved measurements; returns the quietest one (the lowest sum of medians,
    i.e. the round least disturbed by other processes) and all of them.

    The implementations of one round are always reported together, never mixed across rounds,
    so their ratios come from the same stretch of time.
    """
    measured = []
    for _ in range(rounds):
        samples = interleaved(calls, repetitions, warmup)
        measured.append({name: summarize(samples[name]) for name in calls})
    quietest = min(measured, key=lambda stats: sum(s["median_ms"] for s in stats.values()))
    return quietest, measured


def count_queries(call: Callable[[], Any]) -> int:
    """SQL statements one call runs (savepoints and transaction control included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


# --- output ------------------------------------------------------------------------------------


def markdown_table(headers: list[str], rows: Iterable[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(path: str | None, payload: dict[str, Any]) -> None:
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    print(f"\nResults written to {target}")
