"""How long the API takes to refuse hostile documents (SPEC §6 "Limits"; issue 5, point 5).

Run from the repository root with the example project's settings::

    python benchmarks/hostile.py            # 50 repetitions of each document
    python benchmarks/hostile.py -n 200

Each document is sent N times, through `engine.process()` (parse, checks, validation) and through
the whole Django stack (test client, JSON body, middleware), and timed with `time.perf_counter`.
The document cache is switched off, so every repetition does the full work: the worst case, a
client that changes its text every time. The script prints the median and maximum per document
and exits with status 1 if a document is not refused with its code, or if the median of one of
the acceptance documents ("gated") is over 50 ms.

No database is touched: refusing a document must not need one (the tests assert no SQL runs).
`HOSTILE` is imported by tests/test_limits.py, so the documents measured are the documents tested.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 50.0


def _nested(levels: int) -> str:
    """`{ posts { author { posts { ... } } } }`, `levels` fields deep."""
    names = ["posts", "author"] * levels
    return "{ " + " { ".join(names[: levels - 1]) + " { id" + " }" * (levels - 1) + " }"


def _aliases(count: int) -> str:
    return "{" + "".join(f" a{i}: __typename" for i in range(count)) + " }"


def _lists_in_lists(*limits: int) -> str:
    """`posts(limit: 100) { tags(limit: 100) { posts(limit: 100) ... } }`, one list per limit."""
    names = (["posts", "tags"] * len(limits))[: len(limits)]
    opened = " { ".join(f"{name}(limit: {n})" for name, n in zip(names, limits, strict=True))
    return "{ " + opened + " { id" + " }" * len(limits) + " }"


def _introspection() -> str:
    from graphql import get_introspection_query

    return get_introspection_query()


TOO_COMPLEX = frozenset({"QUERY_TOO_COMPLEX"})
INVALID = frozenset({"GRAPHQL_VALIDATION_FAILED"})


@dataclass(frozen=True)
class Hostile:
    build: Callable[[], str]
    codes: frozenset[str]  # every error of the refusal has one of these codes
    gated: bool = True  # the acceptance list: a median over budget fails the run


HOSTILE: dict[str, Hostile] = {
    # The acceptance list of issue 5, point 5.
    "depth 50": Hostile(lambda: _nested(50), TOO_COMPLEX),
    "1,000 aliases": Hostile(lambda: _aliases(1000), TOO_COMPLEX),
    "fragment cycle": Hostile(
        lambda: (
            "{ posts { ...A } } fragment A on Post { author { ...B } } "
            "fragment B on Author { posts { ...A } }"
        ),
        INVALID,
    ),
    "5 MB document": Hostile(lambda: "{ posts { id } }" + " " * 5_000_000, TOO_COMPLEX),
    # 1 + 100 * (1 + 100 * (1 + 100 * (1 + 100 * (1 + 10)))) = 1,101,010,101
    "cost 1.1 x 10^9 (lists in lists)": Hostile(
        lambda: _lists_in_lists(100, 100, 100, 100, 10), TOO_COMPLEX
    ),
    "introspection in production": Hostile(_introspection, INVALID),
    # Beyond the list: the other limits, near the largest document MAX_TOKENS lets through. These
    # are parsed before a rule can see them, and parsing is most of their time.
    "6,000 tokens": Hostile(lambda: "{ posts {" + " id" * 6000 + " } }", TOO_COMPLEX, False),
    "2,000 root fields": Hostile(lambda: "{" + " __typename" * 2000 + " }", TOO_COMPLEX, False),
    "fragment bomb (2^30 copies)": Hostile(
        lambda: (
            "{ posts { ...F0 } } "
            + " ".join(f"fragment F{i} on Post {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
            + " fragment F30 on Post { id }"
        ),
        TOO_COMPLEX,
        False,
    ),
    # Refused by our nesting bound, or first by graphql-core's own (3.2.14+: "Validation aborted").
    "300 chained fragments": Hostile(
        lambda: (
            "{ posts { ...F0 } } "
            + " ".join(f"fragment F{i} on Post {{ ...F{i + 1} }}" for i in range(300))
            + " fragment F300 on Post { id }"
        ),
        TOO_COMPLEX | INVALID,
        False,
    ),
}


def _setup() -> None:
    for path in (ROOT, ROOT / "example"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    import django
    from django.conf import settings

    django.setup()
    # Every repetition must parse and validate: no document cache.
    settings.DJANGO_GRAPHQL_AUTO = {**settings.DJANGO_GRAPHQL_AUTO, "DOCUMENT_CACHE_SIZE": 0}


def _codes(payload: dict) -> list[str]:
    return [error["extensions"]["code"] for error in payload.get("errors", [])]


def _time(run: Callable[[], list[str]], repetitions: int) -> tuple[list[float], list[str]]:
    codes = run()  # warm-up: builds the schema, imports lazily loaded modules
    timings = []
    for _ in range(repetitions):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    return timings, codes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="repetitions per document (default 50)")
    repetitions = parser.parse_args(argv).n
    _setup()
    from django.test import Client

    from django_graphql_auto.execution import engine

    client = Client()

    def through_engine(query: str) -> Callable[[], list[str]]:
        return lambda: _codes(engine.process("default", query).payload)

    def through_http(query: str) -> Callable[[], list[str]]:
        body = json.dumps({"query": query})

        def post() -> list[str]:
            response = client.post(
                "/graphql/",
                data=body,
                content_type="application/json",
                HTTP_ACCEPT="application/graphql-response+json",
            )
            return _codes(json.loads(response.content))

        return post

    print(f"{repetitions} repetitions each, document cache off; median and max in ms")
    header = f"{'document':34} {'chars':>10} {'engine':>8} {'max':>8} {'HTTP':>8} {'max':>8} gated"
    header += "  codes (engine / HTTP)"
    print(header)
    print("-" * len(header))
    failed = False
    for name, hostile in HOSTILE.items():
        query = hostile.build()
        row = [f"{name:34} {len(query):>10,}"]
        seen = []
        for runner in (through_engine, through_http):
            timings, codes = _time(runner(query), repetitions)
            median, worst = statistics.median(timings), max(timings)
            row.append(f"{median:>8.2f} {worst:>8.2f}")
            seen.append(codes)
            failed |= hostile.gated and median > BUDGET_MS
        engine_codes, http_codes = seen
        # Over HTTP the 5 MB body is refused by MAX_REQUEST_BYTES (413) before the engine.
        refused = bool(engine_codes) and set(engine_codes) <= hostile.codes
        failed |= not refused
        row.append("yes" if hostile.gated else "no ")
        row.append(f"  {','.join(sorted(set(engine_codes)))} / {','.join(sorted(set(http_codes)))}")
        print(" ".join(row) + ("" if refused else "   <-- NOT REFUSED AS EXPECTED"))
    print(f"FAIL (budget: median {BUDGET_MS} ms)" if failed else "OK: all refused, within budget")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
