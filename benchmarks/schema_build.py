"""Schema build time for 50, 200 and 500 generated models.

    python -m benchmarks.schema_build [--sizes 50,200,500] [--builds 3] [--json out.json]

Each size runs in a fresh interpreter (``BENCH_MODEL_COUNT=<n>``, settings
``benchmarks.schema_settings``), so no size profits from another's imports or caches. In it,
the schema is built ``--builds`` times: the first build is what a server pays on its first
request (cold: graphql-core and our modules meet these types for the first time), the later
ones what ``rebuild_schema()`` costs. A build is ``load_schema_config()`` (reading and checking
the settings of every model) plus ``build_schema()`` (types, filters, ordering, pages,
mutation inputs and payloads), i.e. exactly what ``get_schema()`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from benchmarks import common


def child(builds: int) -> dict[str, Any]:
    """Runs inside the fresh interpreter: build the schema `builds` times, return timings."""
    started = time.perf_counter()
    common.setup_django("benchmarks.schema_settings")
    setup_seconds = time.perf_counter() - started

    from django.apps import apps

    from django_graphql_auto.conf import load_schema_config
    from django_graphql_auto.schema.builder import build_schema

    runs = []
    for _ in range(builds):
        start = time.perf_counter()
        config = load_schema_config("default")
        configured = time.perf_counter()
        bundle = build_schema(config)
        done = time.perf_counter()
        runs.append(
            {
                "config_s": configured - start,
                "build_s": done - configured,
                "total_s": done - start,
            }
        )
    schema = bundle.schema
    return {
        "models": len(list(apps.get_app_config("bench_models").get_models())),
        "exposed": len(bundle.models),
        "graphql_types": len(schema.type_map),
        "query_fields": len(schema.query_type.fields),
        "mutation_fields": len(schema.mutation_type.fields) if schema.mutation_type else 0,
        "django_setup_s": setup_seconds,
        "runs": runs,
    }


def measure(size: int, builds: int, shape: str) -> dict[str, Any]:
    env = {**os.environ, "BENCH_MODEL_COUNT": str(size), "BENCH_MODEL_SHAPE": shape}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.schema_build", "--child", "--builds", str(builds)],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        last_line = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else ""
        return {"models": size, "error": last_line, "stderr": completed.stderr[-4000:]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _ms_per_model(seconds: float, models: int) -> str:
    return f"{1000 * seconds / models:.2f}"


def render(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [
        f"### Schema build ({report['shape']} of models): Python {env['python']}, Django "
        f"{env['django']}, graphql-core {env['graphql_core']}, {env['nproc']} CPUs "
        f"({report['processes']} fresh processes per size; first build: median, rebuild: best)",
        "",
    ]
    rows = []
    for result in report["sizes"]:
        if "error" in result:
            rows.append([result["models"], "-", "**failed**", result["error"][:120], "", "", ""])
            continue
        first, rebuild = result["first"], result["rebuild"]
        rows.append(
            [
                result["models"],
                result["graphql_types"],
                f"{first['total_s']:.3f}",
                f"{first['config_s']:.3f} + {first['build_s']:.3f}",
                _ms_per_model(first["total_s"], result["models"]),
                f"{rebuild['total_s']:.3f}" if rebuild else "-",
                _ms_per_model(rebuild["total_s"], result["models"]) if rebuild else "-",
            ]
        )
    lines.append(
        common.markdown_table(
            [
                "models",
                "GraphQL types",
                "first build s",
                "settings + types s",
                "ms / model",
                "rebuild s",
                "rebuild ms / model",
            ],
            rows,
        )
    )
    ok = [result for result in report["sizes"] if "error" not in result]
    if len(ok) >= 2:
        small, large = ok[0], ok[-1]
        growth = (large["first"]["total_s"] / large["models"]) / (
            small["first"]["total_s"] / small["models"]
        )
        lines += [
            "",
            f"Per-model cost at {large['models']} models / at {small['models']} models: "
            f"{growth:.2f} (1.0 = exactly linear).",
        ]
    for result in ok:
        if result["models"] >= 500:
            verdict = "met" if result["first"]["total_s"] < 5 else "NOT met"
            lines.append(
                f"Acceptance (500 models under 5 s): {verdict} "
                f"({result['first']['total_s']:.2f} s for {result['models']} models)."
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200,500")
    parser.add_argument("--builds", type=int, default=3, help="builds per process (first: cold)")
    parser.add_argument("--processes", type=int, default=3, help="fresh processes per size")
    parser.add_argument(
        "--shape",
        choices=("tree", "chain"),
        default="tree",
        help="how the generated models point to each other (see bench_models/models.py)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.builds)))
        return

    sizes = [int(size) for size in args.sizes.split(",")]
    common.setup_django("benchmarks.schema_settings")
    environment = common.environment()
    environment.pop("database")
    report: dict[str, Any] = {
        "benchmark": "schema_build",
        "environment": environment,
        "shape": args.shape,
        "processes": args.processes,
        "builds": args.builds,
    }
    results = []
    for size in sizes:
        processes = [measure(size, args.builds, args.shape) for _ in range(args.processes)]
        failed = [p for p in processes if "error" in p]
        if failed:
            results.append(failed[0])
            print(f"  {size} models: FAILED: {failed[0]['error']}", flush=True)
            continue
        firsts = sorted((p["runs"][0] for p in processes), key=lambda run: run["total_s"])
        rebuilds = [run for p in processes for run in p["runs"][1:]]
        rebuild = min(rebuilds, key=lambda run: run["total_s"]) if rebuilds else None
        summary = {key: value for key, value in processes[0].items() if key != "runs"}
        results.append(
            {
                **summary,
                "first": firsts[len(firsts) // 2],
                "rebuild": rebuild,
                "processes": [p["runs"] for p in processes],
            }
        )
        print(
            f"  {size} models: first build {firsts[len(firsts) // 2]['total_s']:.3f} s"
            + (f", rebuild {rebuild['total_s']:.3f} s" if rebuild else ""),
            flush=True,
        )
    report["sizes"] = results
    print()
    print(render(report))
    common.write_json(args.json, report)


if __name__ == "__main__":
    main()
