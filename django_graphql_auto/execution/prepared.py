"""Server-side prepared statements for the SQL of query operations (PostgreSQL with psycopg 3).

PostgreSQL plans every statement it receives, and for the selects the planner builds (a row
with its to-one chain joined in, a nested list with its per-parent window) planning costs more
than running: the benchmark's Q4 select, five joins, is planned in 1.8 ms and runs in 0.1 ms.
Django binds parameters on the client and leaves psycopg's statement preparation off
(``prepare_threshold=None``, so that transaction-mode connection poolers keep working), so each
request pays for the same plans again.

A query operation's statements repeat with only their parameters changing. While one runs
(``PREPARED_STATEMENTS``, on by default), the cursors Django opens on a PostgreSQL database bind
parameters on the server and prepare each SELECT on its second run. psycopg keeps the last
``prepared_max`` (100) statements of a connection prepared; PostgreSQL runs them without
planning again once it has found that a generic plan is no worse than the custom ones (after
five runs). The gain needs persistent connections (``CONN_MAX_AGE`` or Django's pool): a
prepared statement lives as long as its connection.

Never applied where prepared statements cannot work or were refused:

* a database with ``DISABLE_SERVER_SIDE_CURSORS`` set, which is what Django asks for behind a
  transaction-mode pooler (PgBouncer): the next transaction may run on another server session;
* a database whose ``OPTIONS`` set ``prepare_threshold`` to ``None`` explicitly;
* psycopg 2, other database vendors, mutations.

Only SELECTs are bound on the server and prepared. Other statements (savepoints), a SELECT with
more parameters than the protocol carries, and one PostgreSQL could not take with parameters
bound on the server (a parameter whose type it cannot infer) are bound on the client as Django
binds them. (``executemany()``, which no query operation of the library runs, keeps psycopg's
server-side binding, unprepared, as with Django's own ``server_side_binding`` option.)

A prepared statement whose result a migration changed ("cached plan must not change result
type") makes psycopg forget the connection's prepared statements. Outside a transaction, that
statement and one refused with parameters bound on the server run again at once; inside one, the
transaction is already aborted and the request fails, once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import connections

from django_graphql_auto.execution.databases import databases_of

__all__ = ["may_prepare", "prepared_statements"]

#: Parameters one protocol message can carry; a statement with more is bound on the client.
_MOST_PARAMETERS = 65_535

#: SELECT texts PostgreSQL refused with parameters bound on the server, bound on the client
#: from then on (process-wide: the text is the same on every connection; oldest forgotten first).
_BOUND_ON_CLIENT: dict[str, None] = {}
_MOST_REMEMBERED = 1_000
_REMEMBERING = threading.Lock()  # worker threads share the dict; reading it needs no lock

#: Runs of a statement on a connection before it is prepared (psycopg counts them): a statement
#: is prepared on its second run, so one that never repeats costs no extra round trips (the
#: PREPARE, and the DEALLOCATE when it leaves psycopg's cache).
_PREPARE_AFTER_RUNS = 1


def may_prepare(alias: str) -> bool:
    """Whether statements on this database may be prepared (see the module docstring)."""
    wrapper = connections[alias]
    if wrapper.vendor != "postgresql" or _cursor_class() is None:
        return False
    settings_dict = wrapper.settings_dict
    if settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        return False
    options = settings_dict.get("OPTIONS") or {}
    return not ("prepare_threshold" in options and options["prepare_threshold"] is None)


@cache
def _cursor_class() -> type | None:
    """The cursor that prepares SELECTs: Django's server-binding cursor (it keeps Django's
    ``callproc``), or None under psycopg 2."""
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3:
        return None
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg import ClientCursor
    from psycopg.errors import FeatureNotSupported, ProgrammingError
    from psycopg.pq import TransactionStatus

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query: Any, params: Any = None, *, prepare: Any = None, **kwargs: Any):
            if not _binds_on_server(query, params):
                return self._execute_bound_on_client(query, params, **kwargs)
            # Django opens connections with prepare_threshold=None (never prepare): the
            # threshold is set for this statement only. A threshold the OPTIONS set is kept.
            connection = self.connection
            threshold = connection.prepare_threshold
            if threshold is None:
                connection.prepare_threshold = _PREPARE_AFTER_RUNS
            try:
                super().execute(query, params, prepare=prepare, **kwargs)
            except FeatureNotSupported as error:
                if not _is_stale_plan(error):
                    raise
                # A migration changed what a prepared statement returns. Every statement of
                # this connection is prepared afresh (psycopg deallocates them).
                connection._prepared.clear()
                self._retry_or_raise(error)
                super().execute(query, params, prepare=False, **kwargs)
            except ProgrammingError as error:
                # PostgreSQL could not take the statement with its parameters bound on the
                # server (a parameter whose type it cannot infer: `SELECT %s IS NULL`). From now
                # on it is bound on the client, as Django binds it.
                _bind_on_client(query)
                self._retry_or_raise(error)
                return self._execute_bound_on_client(query, params, **kwargs)
            finally:
                connection.prepare_threshold = threshold
            return self._shown(query, params)

        def _retry_or_raise(self, error: Exception) -> None:
            """Outside a transaction the statement runs again; inside one, the failure has
            aborted the transaction and stands (once: the cause is mended for the next time)."""
            if self.connection.info.transaction_status != TransactionStatus.IDLE:
                raise error

        def _execute_bound_on_client(self, query: Any, params: Any, **kwargs: Any) -> Any:
            bound = ClientCursor(self.connection).mogrify(query, params)
            return super().execute(bound, None, prepare=False, **kwargs)

        def _shown(self, query: Any, params: Any) -> Any:
            """Record the statement as Django's query log shows it: bound on the client. psycopg
            records a server-bound one with $1 placeholders, a prepared one not at all."""
            self._query = _Statement(self.connection, query, params)
            return self

    return PreparingCursor


def _binds_on_server(query: Any, params: Any) -> bool:
    """SELECTs, unless the protocol cannot carry their parameters or PostgreSQL refused them
    bound on the server before."""
    return (
        isinstance(query, str)
        and query[:6].upper() == "SELECT"
        and (params is None or len(params) <= _MOST_PARAMETERS)
        and query not in _BOUND_ON_CLIENT
    )


def _bind_on_client(query: str) -> None:
    with _REMEMBERING:
        _BOUND_ON_CLIENT[query] = None
        if len(_BOUND_ON_CLIENT) > _MOST_REMEMBERED:
            del _BOUND_ON_CLIENT[next(iter(_BOUND_ON_CLIENT))]


def _is_stale_plan(error: Any) -> bool:
    """PostgreSQL's "cached plan must not change result type", told by where it is raised
    (the message is translated)."""
    return error.diag.source_function == "RevalidateCachedQuery"


class _Statement:
    """A cursor's last statement where Django's ``last_executed_query`` reads it
    (``cursor._query.query``), bound on the client only when read: only the debug cursor and
    the query log read it."""

    __slots__ = ("connection", "params", "sql")

    def __init__(self, connection: Any, sql: str, params: Any) -> None:
        self.connection = connection
        self.sql = sql
        self.params = params

    @property
    def query(self) -> bytes:
        from psycopg import ClientCursor

        return ClientCursor(self.connection).mogrify(self.sql, self.params).encode()


def _preparing_create_cursor(wrapper: Any, create_cursor: Callable) -> Callable:
    """``wrapper.create_cursor`` with the preparing cursor class: Django's own method still makes
    the cursor (time zone loaders included), from the psycopg connection's ``cursor_factory``."""
    cursor_class = _cursor_class()

    def create(name: str | None = None) -> Any:
        if name is not None:  # a named (server-side) cursor: Django's as it is
            return create_cursor(name)
        raw = wrapper.connection
        saved = raw.cursor_factory
        raw.cursor_factory = cursor_class
        try:
            return create_cursor(name)
        finally:
            raw.cursor_factory = saved

    return create


@contextmanager
def prepared_statements(
    bundle: Any, operation_type: str, aliases: list[str] | None = None
) -> Iterator[None]:
    """Prepare the SELECTs a query operation runs on the schema's PostgreSQL databases
    (`aliases`; default: `databases_of(bundle)`).

    Django's connections are per thread (and per async task), so the cursor class changes for
    this operation only.
    """
    if operation_type != "query" or not bundle.config["PREPARED_STATEMENTS"]:
        yield
        return
    changed = []
    try:
        for alias in databases_of(bundle) if aliases is None else aliases:
            wrapper = connections[alias]
            if "create_cursor" in vars(wrapper) or not may_prepare(alias):
                continue  # already preparing (an operation inside an operation), or may not
            wrapper.create_cursor = _preparing_create_cursor(wrapper, wrapper.create_cursor)
            changed.append(wrapper)
        yield
    finally:
        for wrapper in changed:
            del wrapper.create_cursor
