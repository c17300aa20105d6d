"""A 10,000-row list through the generated API against a hand-written view.

    python -m benchmarks.big_list [--rows 10000] [--repetitions 20] [--json out.json]

``comments(limit: 10000) { id author_name body is_approved created_at rating }`` over HTTP
(Django's test ``Client``, full middleware stack), served by the compiled path and by
graphql-core's general executor, against ``/raw/big-list/`` (``raw_views.big_list_comments``).
``benchmarks/settings.py`` raises ``MAX_PAGE_SIZE`` of ``blog.Comment`` to 10,000 for this.

The demo data has 6,000 comments: the missing rows are inserted inside a transaction that is
rolled back at the end, so the benchmark database is left as it was found.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks import common
from benchmarks.queries import Case, check_same_data, make_calls


class _Rollback(Exception):
    pass


def add_comments(rows: int) -> int:
    """Insert deterministic comments until there are `rows`; return how many were added."""
    from blog.models import Comment, Post

    missing = rows - Comment.objects.count()
    if missing <= 0:
        return 0
    post_ids = list(Post.objects.order_by("pk").values_list("pk", flat=True))
    base = datetime(2024, 6, 1, tzinfo=UTC)
    Comment.objects.bulk_create(
        [
            Comment(
                post_id=post_ids[i % len(post_ids)],
                author_name=f"Reader {i}",
                body=f"Extra comment number {i} for the big-list benchmark.",
                is_approved=i % 3 != 0,
                created_at=base + timedelta(minutes=7 * i),
                rating=None if i % 4 == 0 else i % 5 + 1,
            )
            for i in range(missing)
        ],
        batch_size=500,
    )
    return missing


def run(rows: int, repetitions: int, warmup: int, rounds: int) -> dict[str, Any]:
    from django.db import transaction
    from django.test import Client

    case = Case(
        "L1",
        f"{rows:,} comments, 6 scalar columns",
        1.5,
        f"{{ comments(limit: {rows}) {{ id author_name body is_approved created_at rating }} }}",
        f"/raw/big-list/?limit={rows}",
    )
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            added = add_comments(rows)
            calls = make_calls(case, Client(), with_peers=False)  # the peers have no `comments`
            check_same_data(case, calls)
            sizes = {name: len(call().content) for name, call in calls.items()}
            sql = {name: common.count_queries(call) for name, call in calls.items()}
            stats, all_rounds = common.measure(calls, repetitions, warmup, rounds)
            result = {"added_rows": added, "response_bytes": sizes, "sql": sql}
            raise _Rollback
    except _Rollback:
        pass
    raw = stats["raw"]["median_ms"]
    return {
        "rows": rows,
        "repetitions": repetitions,
        "warmup": warmup,
        "rounds": rounds,
        "identical_data": True,
        **result,
        "stats": stats,
        "ratio": {name: stats[name]["median_ms"] / raw for name in ("compiled", "general")},
        "all_rounds": all_rounds,
    }


def render(report: dict[str, Any]) -> str:
    env, stats, ratio, sql = (
        report["environment"],
        report["stats"],
        report["ratio"],
        report["sql"],
    )
    rows = report["rows"]
    lines = [
        f"### Big list ({rows:,} rows): {env['database']}, Python {env['python']}, Django "
        f"{env['django']}, graphql-core {env['graphql_core']}, {env['nproc']} CPUs "
        f"({report['repetitions']} interleaved repetitions after {report['warmup']} warm-up, "
        f"quietest of {report['rounds']} rounds)",
        "",
    ]
    table = []
    for name, label in (
        ("raw", "raw (hand-written view)"),
        ("compiled", "ours"),
        ("general", "ours, general executor"),
    ):
        table.append(
            [
                label,
                f"{stats[name]['median_ms']:.1f}",
                f"{stats[name]['p25_ms']:.1f}",
                f"{stats[name]['p90_ms']:.1f}",
                f"{1000 * stats[name]['median_ms'] / rows:.2f}",
                "1.00x" if name == "raw" else f"{ratio[name]:.2f}x",
                sql[name],
                f"{report['response_bytes'][name]:,}",
            ]
        )
    lines.append(
        common.markdown_table(
            [
                "implementation",
                "median ms",
                "p25 ms",
                "p90 ms",
                "µs / row",
                "/ raw",
                "SQL",
                "bytes",
            ],
            table,
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repetitions", "-n", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="report the quietest round")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)

    common.setup_django()
    common.prepare_database()
    report = {"benchmark": "big_list", "environment": common.environment()}
    print(f"big_list.py on {report['environment']['database']}:", flush=True)
    report.update(run(args.rows, args.repetitions, args.warmup, args.rounds))
    print()
    print(render(report))
    common.write_json(args.json, report)


if __name__ == "__main__":
    main()
