"""A statement timeout around the execution of every operation (SPEC §6 "Limits").

``STATEMENT_TIMEOUT_MS`` (global or per schema; default 10,000; 0 switches it off) bounds how long
any one SQL statement of an operation may run, so a runaway query is cancelled by the database
instead of holding a worker:

* **PostgreSQL**: the operation runs inside ``transaction.atomic()`` whose first statement is
  ``SELECT set_config('statement_timeout', <ms>, true)``, i.e. ``SET LOCAL statement_timeout``:
  it ends with the transaction and can never leak to the next request on a pooled connection.
  Queries run in that transaction too (the setting only exists inside one). When the request is
  already inside a transaction (``ATOMIC_REQUESTS``, a test case), no savepoint is added and the
  previous value is restored at the end. The statement is sent on the driver's cursor, so it does
  not appear in ``connection.queries`` and query counts stay what the document needs.
  When the connection is opened with the same timeout already (``DATABASES[...]["OPTIONS"] =
  {"options": "-c statement_timeout=10000"}``, the recommended production setup), nothing is
  set per request: no transaction, no extra round trips; cancelled statements are still
  reported as below.
* **SQLite**: there is no server-side timeout (Django's ``OPTIONS["timeout"]`` is how long to wait
  for a lock, not a statement limit). A progress handler (``sqlite3.Connection.
  set_progress_handler``) checks the clock every 10,000 virtual-machine instructions and
  interrupts a statement that has run longer than the limit (SQLite raises "interrupted").
* **Other databases**: nothing is applied.

A cancelled statement becomes a GraphQL error with code ``QUERY_TOO_COMPLEX`` (the client can ask
for less; it is not masked as an internal error) and a ``statement_timeout`` security event.
On PostgreSQL a cancelled statement aborts the transaction: the whole operation is rolled back,
and for a mutation operation ``data`` is null (nothing was saved, whatever earlier root fields
had answered). On SQLite only the interrupted statement fails: a mutation's own transaction rolls
back, earlier root fields stay written.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from graphql import GraphQLError

from django_graphql_auto.execution.databases import databases_of
from django_graphql_auto.execution.errors import QUERY_TOO_COMPLEX

__all__ = ["TimeoutGuard", "is_timeout", "statement_timeout"]

#: SQLite instructions between two looks at the clock.
SQLITE_CHECK_EVERY = 10_000

#: SQLSTATEs of a cancelled statement (query_canceled) and of every later statement of the
#: transaction it aborted (in_failed_sql_transaction).
_CANCELLED = "57014"
_ABORTED = "25P02"

# `SET LOCAL statement_timeout = %s` as a function, so that the value travels as a parameter.
_SET_TIMEOUT = "SELECT set_config('statement_timeout', %s, true)"
# Inside a transaction that is not ours: read the old value and set the new one in one statement
# (the MATERIALIZED CTE is evaluated before the select list calls set_config()).
_SWAP_TIMEOUT = (
    "WITH previous AS MATERIALIZED (SELECT current_setting('statement_timeout') AS value) "
    "SELECT value, set_config('statement_timeout', %s, true) FROM previous"
)


def _sqlstate(error: BaseException) -> str | None:
    cause = error.__cause__ or error.__context__
    for candidate in (error, cause):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if state:
            return state
    return None


def is_timeout(error: BaseException | None) -> bool:
    """Whether ``error`` (or what it wraps) is a statement cancelled by a timeout."""
    while isinstance(error, GraphQLError) and error.original_error is not None:
        error = error.original_error
    if not isinstance(error, DatabaseError):
        return False
    return _sqlstate(error) == _CANCELLED or str(error).strip() == "interrupted"


class TimeoutGuard:
    """What :func:`statement_timeout` yields: did a statement time out, and the errors to send."""

    def __init__(self, milliseconds: int) -> None:
        self.milliseconds = milliseconds
        self.timed_out = False
        self.transactional = False  # a PostgreSQL transaction wraps the operation

    def watch(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        """A Django execute wrapper: notices a cancelled statement on its way out."""
        try:
            return execute(sql, params, many, context)
        except DatabaseError as error:
            if _sqlstate(error) == _CANCELLED:
                self.timed_out = True
            raise

    def _caused(self, error: GraphQLError) -> bool:
        original = error
        while isinstance(original, GraphQLError) and original.original_error is not None:
            original = original.original_error
        if not isinstance(original, DatabaseError):
            return False
        return is_timeout(original) or _sqlstate(original) == _ABORTED

    def _error(self, like: GraphQLError | None, rolled_back: bool) -> GraphQLError:
        message = (
            f"The operation ran longer than the statement timeout ({self.milliseconds} ms) "
            "and was cancelled; ask for less (smaller pages, fewer nested lists)."
        )
        if rolled_back:
            message += " Nothing was saved."
        extensions = {"code": QUERY_TOO_COMPLEX, "limit": "STATEMENT_TIMEOUT_MS"}
        extensions["maximum"] = self.milliseconds
        if like is None:
            return GraphQLError(message, extensions=extensions)
        return GraphQLError(
            message,
            like.nodes,
            like.source,
            like.positions,
            like.path,
            extensions=extensions,
        )

    def review(
        self,
        data: Any,
        error_list: list[GraphQLError] | None,
        operation_type: str,
        request: Any = None,
    ) -> tuple[Any, list[GraphQLError] | None]:
        """The response's data and errors, the timeout's consequences replaced by one clear
        error per field (and, after a rolled-back mutation, no data)."""
        self.timed_out = self.timed_out or any(is_timeout(e) for e in error_list or ())
        if not self.timed_out:
            return data, error_list
        from django_graphql_auto.security.audit import security_event

        security_event(
            "statement_timeout",
            request,
            f"an SQL statement ran longer than {self.milliseconds} ms and was cancelled",
            timeout_ms=self.milliseconds,
            operation_type=operation_type,
        )
        rolled_back = self.transactional and operation_type == "mutation"
        caused = [e for e in error_list or () if self._caused(e)]
        if rolled_back:
            return None, [self._error(caused[0] if caused else None, True)]
        others = [e for e in error_list or () if not self._caused(e)]
        replaced = [self._error(e, False) for e in caused] or [self._error(None, False)]
        return data, replaced + others


class _PostgreSQL:
    """``SET LOCAL statement_timeout`` in a transaction around the operation on one database.

    A mutation opens the transaction at once (its resolvers open their own atomic blocks, which
    must nest inside this one). A query opens it just before its first SQL statement, so an
    operation that never reaches the database (``__typename``, introspection, a refusal) never
    connects to it; should a query's first statement run inside an atomic block a resolver
    opened itself, the transaction starts at the next statement outside that block.
    """

    def __init__(self, alias: str, milliseconds: int, guard: TimeoutGuard, eager: bool):
        self.connection = connections[alias]
        self.alias = alias
        self.milliseconds = milliseconds
        self.guard = guard
        self.eager = eager
        self.atomic: Any = None
        self.nested = False
        self.previous: str | None = None
        self.depth = 0

    def __enter__(self) -> _PostgreSQL:
        self.depth = len(self.connection.atomic_blocks)
        self.wrapping = self.connection.execute_wrapper(self._before_statement)
        self.wrapping.__enter__()
        if self.eager:
            self._begin()
        return self

    def _begin(self) -> None:
        self.nested = self.connection.in_atomic_block
        atomic = transaction.atomic(using=self.alias, savepoint=False)
        atomic.__enter__()
        self.atomic = atomic
        self.guard.transactional = True
        try:
            with self.connection.connection.cursor() as cursor:
                if self.nested:  # the value must come back when this block ends
                    cursor.execute(_SWAP_TIMEOUT, [str(self.milliseconds)])
                    self.previous = cursor.fetchone()[0]
                else:  # the transaction is ours: the value ends with it
                    cursor.execute(_SET_TIMEOUT, [str(self.milliseconds)])
        except BaseException as error:
            self.atomic = None
            atomic.__exit__(type(error), error, error.__traceback__)
            raise

    def _before_statement(
        self, execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if self.atomic is None and len(self.connection.atomic_blocks) == self.depth:
            self._begin()
        return self.guard.watch(execute, sql, params, many, context)

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        self.wrapping.__exit__(exc_type, exc, traceback)
        atomic, self.atomic = self.atomic, None
        if atomic is None:
            return
        try:
            if exc_type is None and self.guard.timed_out:
                # The transaction is aborted: nothing of it can commit.
                transaction.set_rollback(True, using=self.alias)
            elif exc_type is None and self.nested and self.previous is not None:
                with self.connection.connection.cursor() as cursor:
                    cursor.execute(_SET_TIMEOUT, [self.previous])
        except BaseException as error:
            atomic.__exit__(type(error), error, error.__traceback__)
            raise
        atomic.__exit__(exc_type, exc, traceback)


@contextmanager
def _sqlite(alias: str, milliseconds: int, guard: TimeoutGuard) -> Iterator[None]:
    """A progress handler interrupts a statement running past its deadline; it is installed
    at the operation's first statement (so an operation that runs none never connects)."""
    connection = connections[alias]
    limit = milliseconds / 1000
    deadline = [float("inf")]
    installed: list[Any] = []

    def progress() -> int:
        if time.monotonic() > deadline[0]:
            guard.timed_out = True
            return 1  # interrupt the statement: SQLite raises OperationalError("interrupted")
        return 0

    def start_clock(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not installed:
            connection.connection.set_progress_handler(progress, SQLITE_CHECK_EVERY)
            installed.append(connection.connection)
        # The clock runs from the statement's start until the next one starts: Django fetches
        # the rows after `execute` returns, and stepping through them is the statement's work.
        deadline[0] = time.monotonic() + limit
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(start_clock):
            yield
    finally:
        for raw in installed:
            with contextlib.suppress(Exception):  # the connection may have been closed
                raw.set_progress_handler(None, SQLITE_CHECK_EVERY)


def connection_timeout(alias: str) -> int | None:
    """The statement_timeout the database connection itself is opened with, in ms, if any:
    ``DATABASES[alias]["OPTIONS"]["options"] = "-c statement_timeout=10000"``."""
    options = settings.DATABASES.get(alias, {}).get("OPTIONS", {}).get("options", "")
    match = re.search(r"statement_timeout\s*=\s*(\d+)(ms)?\b", str(options))
    return int(match.group(1)) if match else None


@contextmanager
def _watch(alias: str, guard: TimeoutGuard) -> Iterator[None]:
    """Only notice cancelled statements: the connection already carries the timeout."""
    with connections[alias].execute_wrapper(guard.watch):
        yield


@contextmanager
def statement_timeout(
    bundle: Any,
    operation_type: str = "query",
    milliseconds: int | None = None,
    aliases: list[str] | None = None,
) -> Iterator[TimeoutGuard]:
    """Run the block under the schema's ``STATEMENT_TIMEOUT_MS`` (or ``milliseconds``), on
    `aliases` (default: `databases_of(bundle)`)."""
    if milliseconds is None:
        milliseconds = bundle.config["STATEMENT_TIMEOUT_MS"]
    guard = TimeoutGuard(milliseconds)
    if not milliseconds:
        yield guard
        return
    with ExitStack() as stack:
        for alias in databases_of(bundle) if aliases is None else aliases:
            vendor = connections[alias].vendor
            if vendor == "postgresql" and connection_timeout(alias) == milliseconds:
                # Opened with this very timeout (the recommended production setup): nothing
                # to set per request, so no transaction and no round trips are added.
                stack.enter_context(_watch(alias, guard))
            elif vendor == "postgresql":
                eager = operation_type == "mutation"
                stack.enter_context(_PostgreSQL(alias, milliseconds, guard, eager))
            elif vendor == "sqlite":
                stack.enter_context(_sqlite(alias, milliseconds, guard))
        yield guard
