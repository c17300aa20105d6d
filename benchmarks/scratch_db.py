"""Create or drop the scratch PostgreSQL database the benchmarks run in.

    python -m benchmarks.scratch_db create postgres://postgres@127.0.0.1:5432/gqa_bench
    python -m benchmarks.scratch_db drop   postgres://postgres@127.0.0.1:5432/gqa_bench

The database named in the URL is (re)created empty, connecting to the server's ``postgres``
maintenance database: it must be a throwaway name, never a database that holds anything.
Exit status 3 means the server is not reachable (the caller may skip PostgreSQL then).
"""

from __future__ import annotations

import sys

UNREACHABLE = 3


def _connect(url: str):
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = config["NAME"]
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"Refusing to use {name!r} as a scratch database.")
    try:
        connection = psycopg.connect(
            host=config["HOST"] or None,
            port=config["PORT"] or 5432,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable ({error.__class__.__name__}).", file=sys.stderr)
        raise SystemExit(UNREACHABLE) from None
    return connection, name


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in {"create", "drop"}:
        raise SystemExit(__doc__)
    from psycopg import sql

    action, url = argv
    connection, name = _connect(url)
    with connection:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        connection.execute(drop)
        if action == "create":
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"{'Created' if action == 'create' else 'Dropped'} scratch database {name!r}.")


if __name__ == "__main__":
    main(sys.argv[1:])
