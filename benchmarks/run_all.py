"""Run every benchmark: schema build, then the database benchmarks on SQLite and PostgreSQL.

    python -m benchmarks.run_all [--pg-url postgres://postgres@127.0.0.1:5432/gqa_bench]

This is what ``make bench`` runs. Each benchmark runs in its own process and writes
``benchmarks/results/<benchmark>[-<database>].json``; the Markdown tables are printed as they
come. SQLite uses a fresh file (``benchmarks/results/bench.sqlite3``, demo data loaded by the
first benchmark); PostgreSQL a scratch database created for the run and dropped afterwards
(``scratch_db.py``), skipped when the server is not reachable unless ``REQUIRE_POSTGRES`` is set.
``benchmarks/hostile.py`` (rejection cost of hostile documents; it touches no database) runs
once, when it exists. A benchmark that fails, or reports a missed budget through its exit status,
does not stop the others; ``run_all`` exits non-zero at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from benchmarks import common, scratch_db

RESULTS = common.ROOT / "benchmarks" / "results"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/gqa_bench"


FAILED: list[str] = []


def _run(module: str, args: list[str], env: dict[str, str] | None = None) -> None:
    command = [sys.executable, "-m", f"benchmarks.{module}", *args]
    print(f"\n$ python {' '.join(command[1:])}", flush=True)
    completed = subprocess.run(command, cwd=common.ROOT, env=env, check=False)
    if completed.returncode != 0:
        FAILED.append(f"{module} {' '.join(args)} (exit status {completed.returncode})")


def database_benchmarks(label: str, url: str, results: Path, extra: list[str]) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    print(f"\n== {label}: {url}", flush=True)
    _run("queries", [*extra, "--json", str(results / f"queries-{label}.json")], env)
    _run("big_list", ["--json", str(results / f"big_list-{label}.json")], env)


def hostile(results: Path) -> None:
    script = common.ROOT / "benchmarks" / "hostile.py"
    if not script.exists():
        return
    # Written separately; pass --json only if it takes it.
    takes_json = '"--json"' in script.read_text()
    _run("hostile", ["--json", str(results / "hostile.json")] if takes_json else [])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--skip-schema", action="store_true", help="skip schema_build.py")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--queries-args", default="", help="extra arguments for queries.py, e.g. '-n 500'"
    )
    args = parser.parse_args(argv)
    results: Path = args.results
    results.mkdir(parents=True, exist_ok=True)
    extra = args.queries_args.split()

    try:
        run(args, results, extra)
    finally:
        if FAILED:
            print("\nFailed:\n  " + "\n  ".join(FAILED))
    if FAILED:
        raise SystemExit(1)


def run(args: argparse.Namespace, results: Path, extra: list[str]) -> None:
    if not args.skip_schema:
        _run("schema_build", ["--json", str(results / "schema_build.json")])
    hostile(results)

    sqlite_file = results / "bench.sqlite3"
    sqlite_file.unlink(missing_ok=True)  # fresh every run: the same demo data, nothing left over
    database_benchmarks("sqlite", f"sqlite:///{sqlite_file}", results, extra)

    if args.skip_postgres:
        return
    created = subprocess.run(
        [sys.executable, "-m", "benchmarks.scratch_db", "create", args.pg_url],
        cwd=common.ROOT,
        check=False,
    )
    if created.returncode == scratch_db.UNREACHABLE and not os.environ.get("REQUIRE_POSTGRES"):
        print(f"\nPostgreSQL not reachable at {args.pg_url}: skipped")
        return
    if created.returncode != 0:
        FAILED.append(f"creating the scratch database at {args.pg_url}")
        return
    try:
        database_benchmarks("postgresql", args.pg_url, results, extra)
    finally:
        subprocess.run(
            [sys.executable, "-m", "benchmarks.scratch_db", "drop", args.pg_url],
            cwd=common.ROOT,
            check=False,
        )


if __name__ == "__main__":
    main()
