"""Settings for the benchmarks: the example project plus the hand-written comparison views.

Only what a benchmark needs differs from ``example_project.settings``:

* ``ROOT_URLCONF`` adds the hand-written views (``/raw/...``) beside ``/graphql/``;
* the database defaults to ``benchmarks/results/bench.sqlite3`` (``DATABASE_URL`` still
  wins), so a benchmark never writes into the demo or development database;
* ``blog.Comment`` accepts ``limit`` up to 10,000 for ``big_list.py``, and the operation cost
  ceiling (``MAX_QUERY_COST``) is raised so that 10,000 rows x 6 fields are allowed (the cost
  is still computed for every request);
* ``DEBUG`` is off whatever the environment says (DEBUG keeps every SQL statement in memory);
* ``BENCH_DJANGO_PREPARED=1`` switches on Django's own prepared statements (PostgreSQL) for
  every implementation, to see how much of our lead over raw is our prepared statements.
"""

import os
from pathlib import Path

import dj_database_url
from example_project.settings import *  # noqa: F403
from example_project.settings import DJANGO_GRAPHQL_AUTO, GRAPHQL_AUTO_MODELS

BENCH_DIR = Path(__file__).resolve().parent

DEBUG = False
ROOT_URLCONF = "benchmarks.urls"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'results' / 'bench.sqlite3'}"),
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # As in the example project (and docs/security.md): the statement timeout is set on the
    # connection, so the API adds nothing per request. Both implementations run under it.
    DATABASES["default"]["OPTIONS"] = {"options": "-c statement_timeout=10000"}
    if os.environ.get("BENCH_DJANGO_PREPARED"):
        # Django's own prepared statements for every implementation (raw and the peers too):
        # parameters bound on the server, a statement prepared on its third run.
        DATABASES["default"]["OPTIONS"] |= {"server_side_binding": True, "prepare_threshold": 2}
DJANGO_GRAPHQL_AUTO = {**DJANGO_GRAPHQL_AUTO, "MAX_QUERY_COST": 100_000}
GRAPHQL_AUTO_MODELS = {
    **GRAPHQL_AUTO_MODELS,
    "blog.Comment": {"MAX_PAGE_SIZE": 10_000},
}
