"""Latency of the generated API against hand-written Django views, through the HTTP stack.

    python -m benchmarks.queries [-n 200] [--warmup 20] [--rounds 2] [--only Q1,Q3] [--json PATH]

Every request goes through Django's test ``Client`` (request construction, the full middleware
stack, URL resolution, the view, the response), in this one process, against the demo data
(``DATABASE_URL``, default ``benchmarks/results/bench.sqlite3``; loaded when the database is
empty). For each query shape three implementations answer the same question:

* ``raw``: the hand-written view in ``benchmarks/raw_views.py``;
* ``compiled``: POST ``/graphql/``, as served (the compiled execution path where it applies);
* ``general``: POST ``/graphql/`` with the compiled path switched off, so graphql-core's general
  executor runs every resolver (shows what the compiled path gains);
* ``graphene``, ``strawberry``: the same documents POSTed to the peers of ``benchmarks/peers``
  (graphene-django and strawberry-django with their optimizers), when their libraries are
  installed (``pip install -e ".[bench]"``; ``make bench`` does it).

Before timing, the decoded ``data`` of every implementation is compared with ``raw``'s: ours must
be identical (a difference stops the run); a peer that differs is reported as such (``ok`` column)
and left out of the timing. The SQL statements of one request of each are counted, then all are
timed interleaved (see ``common.interleaved``).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks import common, peers


@dataclass
class Case:
    name: str
    description: str
    target: float  # the acceptance ratio against raw (median, PostgreSQL)
    document: str
    raw_path: str
    variables: Callable[[], dict[str, Any] | None] = lambda: None
    raw_body: Callable[[dict[str, Any] | None], dict[str, Any]] | None = None  # POST when set
    normalize: Callable[[Any], Any] = lambda data: data
    cleanup: Callable[[], None] = lambda: None
    extra: dict[str, Any] = field(default_factory=dict)


def _unique_names(prefix: str) -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"{prefix}{next(counter)}"


def build_cases() -> list[Case]:
    from blog.models import Tag
    from clinic.models import Appointment
    from django.db.models import Count

    # A fixed appointment with several prescriptions (the demo data is deterministic).
    appointment_id = (
        Appointment.objects.annotate(n=Count("prescriptions"))
        .filter(n__gte=3)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    prefix = f"bench-{os.getpid()}-"
    next_name = _unique_names(prefix)

    def tag_payload(data: Any) -> Any:
        # Each call creates a new tag: compare all but the generated name and the new id.
        obj = (data or {}).get("create_tag", {}).get("object")
        if obj:
            obj = {
                "id": "<id>" if obj["id"].isdigit() else obj["id"],
                "name": "<name>" if obj["name"].startswith(prefix) else obj["name"],
            }
            data = {"create_tag": {**data["create_tag"], "object": obj}}
        return data

    return [
        Case(
            "Q1",
            "flat list: 100 posts, 6 scalar columns",
            1.5,
            "{ posts(limit: 100) { id title status views price published_at } }",
            "/raw/q1/?limit=100",
        ),
        Case(
            "Q2",
            "100 posts + author (to-one)",
            1.5,
            "{ posts(limit: 100) { id title author { id name } } }",
            "/raw/q2/?limit=100",
        ),
        Case(
            "Q3",
            "50 authors + posts(limit: 3) + comments_count",
            1.5,
            "{ authors(limit: 50) { id name posts(limit: 3) { id title comments_count } } }",
            "/raw/q3/?limit=50&posts=3",
        ),
        Case(
            "Q4",
            "one appointment + patient, doctor + clinic, prescriptions + drug",
            1.5,
            """query Appointment($id: ID!) {
              appointment(id: $id) {
                id starts_at fee status
                patient { id first_name last_name }
                doctor { id first_name last_name clinic { id name } }
                prescriptions { id dosage quantity drug { id name } }
              }
            }""",
            f"/raw/q4/{appointment_id}/",
            variables=lambda: {"id": str(appointment_id)},
            extra={"appointment_id": appointment_id},
        ),
        Case(
            "Q5",
            "posts page 3 of size 20 + page_info",
            1.5,
            """{ post_pages(page: 3, page_size: 20) {
              items { id title views }
              page_info { total_count page page_size total_pages has_next_page has_previous_page }
            } }""",
            "/raw/q5/?page=3&page_size=20",
        ),
        Case(
            "M1",
            "create_tag mutation (a new name each call)",
            2.0,
            """mutation CreateTag($input: CreateTagInput!) {
              create_tag(input: $input) {
                ok errors field_errors { field messages code } object { id name }
              }
            }""",
            "/raw/m1/",
            variables=lambda: {"input": {"name": next_name()}},
            raw_body=lambda variables: variables["input"],
            normalize=tag_payload,
            cleanup=lambda: Tag.objects.filter(name__startswith=prefix).delete(),
        ),
    ]


def _decode(response: Any) -> Any:
    import orjson

    assert response.status_code == 200, (response.status_code, response.content[:500])
    return orjson.loads(response.content)


def make_calls(case: Case, client: Any, with_peers: bool = True) -> dict[str, Callable[[], Any]]:
    """One zero-argument callable per implementation, each making one full HTTP request
    (`with_peers`: also the installed peers', for the documents they implement)."""
    import orjson

    from django_graphql_auto.execution import engine

    compiled_path = engine.execute_compiled

    def no_compiled_path(*_args: Any) -> None:
        return None

    fixed_variables = case.variables()
    fixed_body = orjson.dumps({"query": case.document, "variables": fixed_variables})
    dynamic = case.raw_body is not None  # a mutation: new input every call

    def post(url: str = "/graphql/") -> Any:
        """POST the case's document (fresh variables each call for a mutation)."""
        if dynamic:
            body = orjson.dumps({"query": case.document, "variables": case.variables()})
        else:
            body = fixed_body
        return client.post(url, body, content_type="application/json")

    def graphql() -> Any:
        response = post()
        if response.status_code != 200:
            raise AssertionError(response.content[:500])
        return response

    def general() -> Any:
        engine.execute_compiled = no_compiled_path
        try:
            return graphql()
        finally:
            engine.execute_compiled = compiled_path

    def raw() -> Any:
        if dynamic:
            body = orjson.dumps(case.raw_body(case.variables()))
            response = client.post(case.raw_path, body, content_type="application/json")
        else:
            response = client.get(case.raw_path)
        if response.status_code != 200:
            raise AssertionError(response.content[:500])
        return response

    calls = {"raw": raw, "compiled": graphql, "general": general}
    for name in peers.available() if with_peers else ():
        calls[name] = functools.partial(post, f"/peers/{name}/")
    return calls


OURS = ("compiled", "general")


def check_same_data(case: Case, calls: dict[str, Callable[[], Any]]) -> dict[str, bool]:
    """``{implementation: data identical to raw's}``; raises when one of ours differs."""
    expected = case.normalize(_decode(calls["raw"]())["data"])
    verdicts = {"raw": True}
    for name, call in calls.items():
        if name == "raw":
            continue
        response = call()
        body = (
            _decode(response) if response.status_code == 200 else {"errors": response.status_code}
        )
        got = None if body.get("errors") else case.normalize(body.get("data"))
        verdicts[name] = got == expected
        if name in OURS and not verdicts[name]:
            raise AssertionError(
                f"{case.name}: '{name}' data differs from raw\n raw: {str(expected)[:800]}\n"
                f" {name}: {str(body)[:800]}"
            )
        if not verdicts[name]:
            print(f"  {case.name}: '{name}' differs from raw: {str(body)[:300]}", flush=True)
    return verdicts


def run(repetitions: int, warmup: int, rounds: int, only: set[str] | None) -> dict[str, Any]:
    from django.test import Client

    client = Client()
    results = []
    for case in build_cases():
        if only and case.name not in only:
            continue
        calls = make_calls(case, client)
        try:
            ok = check_same_data(case, calls)
            timed = {name: call for name, call in calls.items() if ok[name]}
            sql = {name: common.count_queries(call) for name, call in timed.items()}
            stats, all_rounds = common.measure(timed, repetitions, warmup, rounds)
        finally:
            case.cleanup()
        raw_median = stats["raw"]["median_ms"]
        peer_medians = [stats[name]["median_ms"] for name in timed if name in peers.PEERS]
        results.append(
            {
                "query": case.name,
                "description": case.description,
                "target_ratio": case.target,
                "ok": ok,
                "sql": sql,
                "stats": stats,
                "ratio": {name: stats[name]["median_ms"] / raw_median for name in timed},
                # Less sensitive than the median to waits for a CPU on a loaded machine.
                "ratio_p25": {
                    name: stats[name]["p25_ms"] / stats["raw"]["p25_ms"] for name in timed
                },
                # How many times faster than the fastest peer ours is (issue 4: at least 2).
                "speedup_over_fastest_peer": (
                    min(peer_medians) / stats["compiled"]["median_ms"] if peer_medians else None
                ),
                "rounds": all_rounds,
                **case.extra,
            }
        )
        print(
            f"  {case.name}: "
            + ", ".join(f"{name} {stats[name]['median_ms']:.2f} ms" for name in timed),
            flush=True,
        )
    return {"repetitions": repetitions, "warmup": warmup, "rounds": rounds, "queries": results}


def render(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [
        f"### Queries: {env['database']}, Python {env['python']}, Django {env['django']}, "
        f"graphql-core {env['graphql_core']}, {env['nproc']} CPUs "
        f"({report['repetitions']} interleaved repetitions after {report['warmup']} warm-up, "
        f"quietest of {report['rounds']} rounds)"
        + (
            ", Django's prepared statements on for all"
            if env.get("django_prepared_statements")
            else ""
        ),
        "",
    ]
    names = [n for n in peers.PEERS if any(n in r["ok"] for r in report["queries"])]
    headers = ["query", "raw ms", "ours ms", "ours / raw", "target met"]
    headers += ["general / raw", *(f"{n} / raw" for n in names)]
    headers += ["fastest peer / ours", "ok (data = raw)", "SQL raw / ours / general"]
    headers += [f"SQL {n}" for n in names]
    rows = []
    for result in report["queries"]:
        stats, ratio, sql, ok = result["stats"], result["ratio"], result["sql"], result["ok"]
        verdict = "yes" if ratio["compiled"] <= result["target_ratio"] else "**no**"
        speedup = result["speedup_over_fastest_peer"]
        row = [
            f"{result['query']} {result['description']}",
            f"{stats['raw']['median_ms']:.2f}",
            f"{stats['compiled']['median_ms']:.2f}",
            f"{ratio['compiled']:.2f}x",
            f"≤ {result['target_ratio']:g}x {verdict}",
            f"{ratio['general']:.2f}x",
            *(f"{ratio[n]:.2f}x" if n in ratio else "differs" for n in names),
            f"{speedup:.2f}x" if speedup else "-",
            ", ".join(name for name, same in ok.items() if same and name != "raw"),
            f"{sql['raw']} / {sql['compiled']} / {sql['general']}",
            *(str(sql.get(n, "-")) for n in names),
        ]
        rows.append(row)
    lines.append(common.markdown_table(headers, rows))
    lines += ["", "Medians / p90 (ms):"]
    for result in report["queries"]:
        stats = result["stats"]
        lines.append(
            f"- {result['query']}: "
            + ", ".join(
                f"{name} {s['median_ms']:.2f} / {s['p90_ms']:.2f}" for name, s in stats.items()
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", "-n", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="report the quietest round")
    parser.add_argument("--only", help="comma-separated query names, e.g. Q1,Q3")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)

    common.setup_django()
    common.prepare_database()
    only = {name.strip().upper() for name in args.only.split(",")} if args.only else None
    report = {"benchmark": "queries", "environment": common.environment()}
    print(f"queries.py on {report['environment']['database']}:", flush=True)
    report.update(run(args.repetitions, args.warmup, args.rounds, only))
    print()
    print(render(report))
    common.write_json(args.json, report)


if __name__ == "__main__":
    main()
