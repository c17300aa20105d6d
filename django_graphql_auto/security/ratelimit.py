"""Rate limits per user or client IP, and login throttling (SPEC §6 "Limits").

Two mechanisms share one Django cache (``RATE_LIMIT_CACHE``):

* **Budgets** (``ENABLE_RATE_LIMITING``): a token bucket per (schema, scope, identity). The scopes
  are ``query`` (queries and subscriptions), ``mutation`` and ``login``; the identity is
  ``user:<pk>`` for an authenticated request, else the client IP (an IPv6 client by its /64). A
  bucket holds at most N tokens and refills at N per period; each request takes 1 token (or its
  cost, with ``RATE_LIMIT_BY_COST``), and a request that finds too few is refused with the number
  of seconds until enough have come back. The transport turns that into HTTP 429 +
  ``Retry-After`` and a GraphQL error with code ``RATE_LIMITED``.
* **Login lockout** (always on; ``LOGIN_FAILURE_LIMIT: None`` switches it off): failed logins are
  counted per account and per client IP in a window of ``LOGIN_LOCKOUT_SECONDS`` from the first
  failure; reaching the limit locks that account (or IP) out of login for
  ``LOGIN_LOCKOUT_SECONDS``. A successful login resets the account's counter. The login
  mutations call :func:`login_attempt` before checking the password (or code): it counts the
  attempt as being checked, so that parallel requests cannot all be checked before their
  failures are counted, and the mutation settles it after (:meth:`LoginAttempt.failed` /
  :meth:`LoginAttempt.succeeded`).

How a bucket is stored depends on the cache backend, so that the budget holds across processes:

* **Redis** (django-redis, or Django's own ``RedisCache``): the whole read-refill-take-write runs in
  one Lua script on the server, with the server's clock (``TIME``), so any number of processes and
  hosts share one exact bucket. The key is the cache's own key (``KEY_PREFIX``, ``VERSION``).
* **Local memory** (``LocMemCache``): the same token bucket under a process lock; exact, but each
  process has its own buckets (as it has its own cache).
* **Anything else** (memcached, database, file): a fixed-window counter (see :func:`_count`): at
  most N requests per window aligned on the period, so up to 2N can pass around a window boundary.

Counters (fixed windows, login attempts and failures) are ``add`` + ``incr`` where ``incr`` is
atomic and keeps the expiry ``add`` gave (Redis, memcached, local memory): exact across processes.
Django's database and file caches inherit a generic ``incr``, a get and a set with the cache's
default ``TIMEOUT``, which would end a window early or stretch it; there a counter carries its own
expiry in its value and is read and written back under a process lock: exact within a process,
while processes sharing such a cache can race each other past a limit.

On a database cache every read and write of this module is committed before it returns (and so
before the process lock is released), whatever transaction the request is in: a request outside
any transaction runs it in a transaction of its own on its connection (so that the statement
timeout's transaction, which a query opens at its first statement, does not take it in); a request
inside one (a mutation on PostgreSQL with a per-request statement timeout, ``ATOMIC_REQUESTS``)
runs it in a short-lived thread with its own connection, in autocommit. Written in the request's
transaction, a count would stay invisible to the other requests until that transaction ended (20
parallel wrong passwords checked against a limit of 3), hold the row locked meanwhile, and be
undone by a rollback. SQLite is the exception: it locks the whole database file, so a second
connection could not write while the request's transaction holds it; there, inside a transaction,
the operations run on the request's connection, and the lock is waited for only briefly
(:data:`COUNTER_LOCK_WAIT`) rather than deadlock with a request that holds the file: not exact.

Failure policy: when the cache is down, budgets fail open (the request runs; the error is logged
on ``django_graphql_auto.security``), while the login lockout fails closed (the exception
propagates and the login fails), so an outage never opens the door to password guessing.

Every refusal is logged on the ``django_graphql_auto.security`` logger with the user, the client
IP and the operation.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.db import connections, router, transaction
from graphql import GraphQLError

from django_graphql_auto.execution import errors
from django_graphql_auto.security.rates import Rate, parse_proxies, parse_rate

__all__ = [
    "Decision",
    "LoginAttempt",
    "RateLimited",
    "TokenBucket",
    "charge_operation",
    "check_login_allowed",
    "client_ip",
    "identity",
    "login_attempt",
    "operation_meter",
]

security_log = logging.getLogger("django_graphql_auto.security")

#: Prefix of every key this module writes (before the cache's own KEY_PREFIX/VERSION).
KEY_PREFIX = "dga:rl"

#: The clock of the local and fixed-window strategies and of lock expiry (tests replace it).
clock: Callable[[], float] = time.time

SCOPES = ("query", "mutation", "login")
_SCOPE_SETTINGS = {
    "query": "RATE_LIMIT_QUERIES",
    "subscription": "RATE_LIMIT_QUERIES",
    "mutation": "RATE_LIMIT_MUTATIONS",
    "login": "RATE_LIMIT_LOGIN",
}


# --- decisions and errors ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What a bucket said: allowed or not, tokens left, and seconds until a retry can pass."""

    allowed: bool
    remaining: float
    retry_after: float = 0.0

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds for ``Retry-After``: rounded up, and at least 1 for a refusal."""
        return max(1, math.ceil(self.retry_after - 1e-9)) if not self.allowed else 0


class RateLimited(GraphQLError):
    """A refused request or login attempt: code ``RATE_LIMITED`` and ``retryAfter`` (seconds).

    Raised by :func:`check_login_allowed` (inside a resolver, where graphql-core keeps its
    extensions) and returned by the operation meter; the transport answers 429 + Retry-After.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(
            message, extensions={"code": errors.RATE_LIMITED, "retryAfter": int(retry_after)}
        )
        self.retry_after = int(retry_after)


# --- who is asking -----------------------------------------------------------------------------


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_ip(request: Any, trusted_proxies: list[str] | tuple[str, ...] = ()) -> str:
    """The client's IP address.

    ``REMOTE_ADDR`` (the peer of this server) unless that peer is one of ``trusted_proxies``:
    then ``X-Forwarded-For`` is read from the right, skipping trusted hops, and the first
    untrusted address is the client (the hops to its left were written by the client itself and
    prove nothing). When every hop is trusted, the leftmost is the client. A malformed hop stops
    the walk at the last trusted address, so a misconfigured proxy cannot smuggle in garbage.
    """
    meta = getattr(request, "META", {})
    peer = _parse_ip(str(meta.get("REMOTE_ADDR") or ""))
    if peer is None:
        return "unknown"
    networks = parse_proxies(tuple(trusted_proxies)) if trusted_proxies else ()

    def trusted(address: Any) -> bool:
        return any(address.version == net.version and address in net for net in networks)

    if not networks or not trusted(peer):
        return str(peer)
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    current = peer
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _parse_ip(hop)
        if address is None:
            return str(current)
        current = address
        if not trusted(address):
            return str(address)
    return str(current)


def _ip_identity(ip: str) -> str:
    """An IPv6 client is keyed by its /64 (one subscriber usually holds a whole /64)."""
    address = _parse_ip(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return ip


def identity(request: Any, trusted_proxies: list[str] | tuple[str, ...] = ()) -> str:
    """``user:<pk>`` for an authenticated request, else ``ip:<client ip>``."""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return f"ip:{_ip_identity(client_ip(request, trusted_proxies))}"


def _user_label(request: Any) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"{user.get_username()} (id {user.pk})"
    return "anonymous"


def _digest(text: str) -> str:
    """Keys stay short and safe for every backend (memcached refuses spaces and long keys)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- the buckets -------------------------------------------------------------------------------

# KEYS[1] bucket; ARGV: capacity, refill per second, cost. Returns {allowed, tokens, retry_after}
# as strings (Lua numbers would be truncated to integers on the way out).
_LUA_TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {tostring(allowed), tostring(tokens), tostring(retry)}
"""


def _redis_client(cache: Any, key: str) -> Any | None:
    """The raw redis-py client behind a django-redis or Django ``RedisCache``, else None."""
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):  # django-redis
        try:
            return client.get_client(write=True)
        except TypeError:  # a client class with another signature
            return None
    inner = getattr(cache, "_cache", None)
    if type(cache).__module__ == "django.core.cache.backends.redis" and inner is not None:
        return inner.get_client(key, write=True)
    return None


_local_lock = threading.Lock()


class TokenBucket:
    """Token buckets for one rate in one Django cache (see the module docstring for how each
    backend stores them). ``take(key, cost)`` is the whole API."""

    def __init__(self, cache: Any, rate: Rate) -> None:
        self.cache = cache
        self.rate = rate

    @property
    def strategy(self) -> str:
        if _redis_client(self.cache, f"{KEY_PREFIX}:probe") is not None:
            return "redis"
        if isinstance(self.cache, LocMemCache):
            return "local"
        return "window"

    def take(self, key: str, cost: float = 1) -> Decision:
        """Take ``cost`` tokens (at least 1, at most the whole bucket) from bucket ``key``."""
        cost = min(max(float(cost), 1.0), float(self.rate.limit))
        full_key = f"{KEY_PREFIX}:b:{key}"
        client = _redis_client(self.cache, full_key)
        if client is not None:
            return self._take_redis(client, full_key, cost)
        if isinstance(self.cache, LocMemCache):
            return self._take_local(full_key, cost)
        return self._take_window(full_key, cost)

    def _take_redis(self, client: Any, key: str, cost: float) -> Decision:
        script = client.register_script(_LUA_TOKEN_BUCKET)
        raw = script(
            keys=[str(self.cache.make_key(key))],
            args=[self.rate.limit, repr(self.rate.per_second), repr(cost)],
        )
        allowed, tokens, retry = (float(item) for item in raw)
        return Decision(allowed == 1, tokens, retry)

    def _take_local(self, key: str, cost: float) -> Decision:
        capacity, per_second = float(self.rate.limit), self.rate.per_second
        with _local_lock:
            now = clock()
            tokens, stamp = self.cache.get(key) or (capacity, now)
            tokens = min(capacity, tokens + max(0.0, now - stamp) * per_second)
            if tokens >= cost:
                decision = Decision(True, tokens - cost)
            else:
                decision = Decision(False, tokens, (cost - tokens) / per_second)
            self.cache.set(key, (decision.remaining, now), timeout=self.rate.period + 1)
        return decision

    def _take_window(self, key: str, cost: float) -> Decision:
        period, limit = self.rate.period, self.rate.limit
        now = clock()
        window = int(now // period)
        window_key = f"{key}:{window}"
        count = _count(self.cache, window_key, math.ceil(cost), (window + 1) * period + 1)
        if count <= limit:
            return Decision(True, float(limit - count))
        return Decision(False, 0.0, (window + 1) * period - now)


# --- counters ----------------------------------------------------------------------------------

_counter_lock = threading.Lock()

#: Longest wait, in seconds, for the counter lock where waiting longer could deadlock: a database
#: cache on SQLite, inside a transaction (see :func:`_serialized`).
COUNTER_LOCK_WAIT = 0.5

#: Longest wait, in seconds, for the counter lock anywhere else. Past it the update fails with
#: :class:`TimeoutError` (a budget then lets the request through, a login fails: see the module
#: docstring); a queue of parallel updates takes far less.
COUNTER_LOCK_TIMEOUT = 30.0


@contextlib.contextmanager
def _serialized(brief: bool = False) -> Iterator[None]:
    """This process's read-then-write counter updates, one at a time.

    ``brief`` is for an update on a SQLite database cache inside the request's transaction: its
    write can wait on another request's transaction (SQLite locks the whole file) while that
    request waits here to finish, so past :data:`COUNTER_LOCK_WAIT` it runs anyway rather than
    deadlock. Everywhere else an update commits before the lock is released (see
    :func:`_committed`) and nothing it waits for can wait on this lock: it waits up to
    :data:`COUNTER_LOCK_TIMEOUT`, and never runs unserialized.
    """
    if brief:
        locked = _counter_lock.acquire(timeout=COUNTER_LOCK_WAIT)
    elif _counter_lock.acquire(timeout=COUNTER_LOCK_TIMEOUT):
        locked = True
    else:
        raise TimeoutError(f"Rate limit counters stayed locked for {COUNTER_LOCK_TIMEOUT}s")
    try:
        yield
    finally:
        if locked:
            _counter_lock.release()


def _database_aliases(cache: DatabaseCache) -> list[str]:
    """The databases a database cache reads and writes (the same one, without a router)."""
    model = cache.cache_model_class
    return list(dict.fromkeys([router.db_for_write(model), router.db_for_read(model)]))


def _in_transaction(alias: str) -> bool:
    connection = connections[alias]
    if connection.in_atomic_block:
        return True
    return connection.connection is not None and not connection.get_autocommit()


def _placement(cache: Any) -> str:
    """Where an operation on ``cache`` runs (see the module docstring): ``direct`` (not a
    database cache, or SQLite outside a transaction), ``own`` (in a transaction of its own on the
    request's connection), ``thread`` (in a thread with its own connection: the request is in a
    transaction) or ``inside`` (SQLite, in the request's transaction)."""
    if not isinstance(cache, DatabaseCache):
        return "direct"
    aliases = _database_aliases(cache)
    sqlite = any(connections[alias].vendor == "sqlite" for alias in aliases)
    if any(_in_transaction(alias) for alias in aliases):
        return "inside" if sqlite else "thread"
    return "direct" if sqlite else "own"


def _in_own_thread(operation: Callable[[], Any]) -> Any:
    """``operation()`` in a new thread, so on a connection of its own (Django's connections are
    per thread), in autocommit; closed after. Its exception is raised here."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = operation()
        except BaseException as error:  # handed to the caller
            outcome["error"] = error
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=run, name="graphql-auto-ratelimit", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _committed(cache: Any, operation: Callable[[], Any], *, serialize: bool = False) -> Any:
    """``operation()``, an operation on ``cache``, such that on a database cache what it writes
    is committed, and what it reads is what other requests committed, when it returns: never in
    the request's transaction (but on SQLite, see the module docstring). With ``serialize``,
    under the process's counter lock, which is released only after that commit."""
    place = _placement(cache)
    guard = _serialized(brief=place == "inside") if serialize else contextlib.nullcontext()
    with guard:
        if place == "thread":
            return _in_own_thread(operation)
        if place == "own":
            with contextlib.ExitStack() as stack:
                for alias in _database_aliases(cache):
                    stack.enter_context(transaction.atomic(using=alias))
                return operation()
        return operation()


def _incr_keeps_expiry(cache: Any) -> bool:
    """Whether ``cache.incr`` is atomic and keeps the expiry the key was created with: Redis,
    memcached and local memory. Other backends (database, file) inherit Django's generic
    ``incr``, a get + set with the cache's default TIMEOUT, which replaces that expiry."""
    if isinstance(cache, (LocMemCache, BaseMemcachedCache)):
        return True
    return _redis_client(cache, KEY_PREFIX) is not None


def _live(stored: Any, now: float) -> bool:
    """A ``(count, expires_at)`` counter value that has not expired by our clock."""
    return isinstance(stored, tuple) and len(stored) == 2 and stored[1] > now


def _count(cache: Any, key: str, delta: int, expires_at: float) -> int:
    """Add ``delta`` to counter ``key`` and return the new value; a new counter lasts until
    ``expires_at`` (a :data:`clock` time), and adding to it never moves that.

    Where ``incr`` keeps the expiry, ``add`` + ``incr`` (atomic across processes). Elsewhere the
    value is ``(count, expires_at)``, written back with the time left as its timeout: the cache's
    own expiry is then only a clean-up, and our clock decides when the counter has ended.
    """
    if _incr_keeps_expiry(cache):
        timeout = max(1, math.ceil(expires_at - clock()))
        while True:
            if cache.add(key, delta, timeout=timeout):
                return delta
            try:
                return int(cache.incr(key, delta))
            except ValueError:  # ended or deleted since the add: add it again
                continue

    def update() -> int:
        now = clock()
        stored = cache.get(key)
        count, until = stored if _live(stored, now) else (0, expires_at)
        cache.set(key, (count + delta, until), timeout=max(1, math.ceil(until - now)))
        return count + delta

    return int(_committed(cache, update, serialize=True))


def _read(cache: Any, key: str) -> int:
    """The value of counter ``key``: 0 when it does not exist or has ended."""
    stored = _committed(cache, lambda: cache.get(key))
    if _incr_keeps_expiry(cache):
        return int(stored or 0)
    return stored[0] if _live(stored, clock()) else 0


def _uncount(cache: Any, key: str) -> None:
    """Take 1 back from counter ``key``, if it still exists: a counter that has ended, or that a
    successful login deleted, is not brought back."""
    if _incr_keeps_expiry(cache):
        with contextlib.suppress(ValueError):  # no such counter (any more)
            cache.decr(key)
        return

    def update() -> None:
        now = clock()
        stored = cache.get(key)
        if _live(stored, now):
            count, until = stored
            cache.set(key, (count - 1, until), timeout=max(1, math.ceil(until - now)))

    _committed(cache, update, serialize=True)


# --- settings ----------------------------------------------------------------------------------


def _config(schema_name: str) -> Any:
    from django_graphql_auto.schema.registry import get_schema

    return get_schema(schema_name).config


def _schema_of(request: Any, schema_name: str | None) -> str:
    if schema_name:
        return schema_name
    match = getattr(request, "resolver_match", None)
    kwargs = getattr(match, "kwargs", None) or {}
    return kwargs.get("schema_name") or "default"


# --- operation budgets -------------------------------------------------------------------------


def charge_operation(
    request: Any, schema_name: str, operation_type: str, cost: float = 1
) -> Decision:
    """Charge the request's budget for one operation; allowed when rate limiting is off.

    ``operation_type`` is "query", "mutation" or "subscription" (charged to the query budget);
    ``cost`` counts only with ``RATE_LIMIT_BY_COST``. A refusal is logged.
    """
    config = _config(schema_name)
    if not config["ENABLE_RATE_LIMITING"]:
        return Decision(True, math.inf)
    scope = "mutation" if operation_type == "mutation" else "query"
    rate_text = config[_SCOPE_SETTINGS[scope]]
    if rate_text is None:
        return Decision(True, math.inf)
    who = identity(request, config["TRUSTED_PROXIES"])
    bucket = TokenBucket(caches[config["RATE_LIMIT_CACHE"]], parse_rate(rate_text))
    charged = cost if config["RATE_LIMIT_BY_COST"] else 1
    try:
        decision = bucket.take(f"{schema_name}:{scope}:{_digest(who)}", charged)
    except Exception:  # the cache is down: fail open, loudly
        security_log.exception("Rate limit cache %r failed; request let through", bucket.cache)
        return Decision(True, math.inf)
    if not decision.allowed:
        security_log.warning(
            "Rate limit hit: %s budget (%s) of %s, user %s, IP %s, %s operation; retry after %ss",
            scope,
            rate_text,
            who,
            _user_label(request),
            client_ip(request, config["TRUSTED_PROXIES"]),
            operation_type,
            decision.retry_after_seconds,
        )
    return decision


def refusal_error(decision: Decision, operation_type: str) -> RateLimited:
    scope = "mutations" if operation_type == "mutation" else "queries"
    seconds = decision.retry_after_seconds
    return RateLimited(f"Too many {scope}: try again in {seconds} seconds.", seconds)


class operation_meter:
    """Charges one HTTP request exactly once.

    ``before_execute`` is the engine's hook (runs when the document is executable, so a later
    cost analysis can price it); ``settle(outcome)`` charges requests that never got that far
    (parse/validation errors) so that invalid documents are not a free way around the budget, and
    replaces the outcome by a refusal when the budget is spent. As the end of the request, it also
    gives back the login attempts the operation left unsettled (see :func:`login_attempt`).
    """

    def __init__(self, request: Any, schema_name: str) -> None:
        self.request = request
        self.schema_name = schema_name
        self.enabled = bool(_config(schema_name)["ENABLE_RATE_LIMITING"])
        self.charged = False

    def before_execute(self, operation_type: str, cost: float = 1) -> GraphQLError | None:
        self.charged = True
        decision = charge_operation(self.request, self.schema_name, operation_type, cost)
        return None if decision.allowed else refusal_error(decision, operation_type)

    def settle(self, outcome: Any) -> Any:
        _release_unsettled(self.request)
        if not self.enabled or self.charged:
            return outcome
        operation_type = outcome.operation_type or "query"
        refusal = self.before_execute(operation_type)
        if refusal is None:
            return outcome
        formatted = errors.format_error(
            refusal, default_code=errors.RATE_LIMITED, show_internal=False
        )
        return type(outcome)("rate_limited", {"errors": [formatted]}, outcome.operation_type)


# --- login throttling --------------------------------------------------------------------------


#: How long an attempt counts as being checked when nothing settles or gives it back: from its
#: reservation to the end of the next slot of this many seconds. A check takes under a second.
CHECK_SECONDS = 10

#: Request attribute: the request's login attempts, for :func:`_release_unsettled`.
_ATTEMPTS_ATTR = "_graphql_login_attempts"


def _login_keys(request: Any, username: str, config: Any) -> tuple[str, list[tuple[str, str]]]:
    """The client IP and ``[(kind, key), ...]`` of the counters that apply to this attempt."""
    ip = client_ip(request, config["TRUSTED_PROXIES"])
    account = str(username or "").strip().casefold()
    keys = []
    if config["LOGIN_FAILURE_LIMIT"] is not None:
        keys.append(("account", f"{KEY_PREFIX}:login:account:{_digest(account)}"))
    if config["LOGIN_IP_FAILURE_LIMIT"] is not None:
        keys.append(("ip", f"{KEY_PREFIX}:login:ip:{_digest(_ip_identity(ip))}"))
    return ip, keys


def _limit_for(kind: str, config: Any) -> int:
    return config["LOGIN_FAILURE_LIMIT"] if kind == "account" else config["LOGIN_IP_FAILURE_LIMIT"]


def _lock_left(cache: Any, key: str, now: float) -> float | None:
    """Seconds left on this counter's lock, or None when it is not locked."""
    until = _committed(cache, lambda: cache.get(f"{key}:locked"))
    return until - now if until is not None and until > now else None


def _refuse_login(kind: str, state: str, username: str, ip: str, seconds: float) -> NoReturn:
    """Log and raise the refusal of a login attempt: one answer whatever the account, so that a
    lock does not tell whether the account exists."""
    retry = max(1, math.ceil(seconds))
    security_log.warning(
        "Login refused: %s %s (username %r, IP %s); retry after %ss",
        kind,
        state,
        username,
        ip,
        retry,
    )
    raise RateLimited(f"Too many failed login attempts: try again in {retry} seconds.", retry)


def _lock_at_limit(
    cache: Any, config: Any, kind: str, key: str, failures: int, username: str, ip: str
) -> None:
    """Lock ``key`` for ``LOGIN_LOCKOUT_SECONDS`` once its failures reach the limit.

    The counter is left to end with its window rather than deleted: it started before the lock, so
    it ends first, and deleting it would restart the count under attempts still being checked.
    """
    if failures < _limit_for(kind, config):
        return
    lockout = config["LOGIN_LOCKOUT_SECONDS"]
    until = clock() + lockout
    _committed(cache, lambda: cache.set(f"{key}:locked", until, timeout=lockout))
    security_log.warning(
        "Login lockout: %s locked for %ss after %s failures (username %r, IP %s)",
        kind,
        lockout,
        failures,
        username,
        ip,
    )


def check_login_allowed(request: Any, username: str, *, schema_name: str | None = None) -> None:
    """Raise :class:`RateLimited` when this account or this client IP is locked out of login, or
    (with ``ENABLE_RATE_LIMITING``) the IP's ``RATE_LIMIT_LOGIN`` budget is spent. It does not say
    whether the account exists; :func:`login_attempt` calls it, then reserves the attempt."""
    schema_name = _schema_of(request, schema_name)
    config = _config(schema_name)
    cache = caches[config["RATE_LIMIT_CACHE"]]
    ip, keys = _login_keys(request, username, config)
    now = clock()
    for kind, key in keys:
        left = _lock_left(cache, key, now)
        if left is not None:
            _refuse_login(kind, "locked", username, ip, left)
    if config["ENABLE_RATE_LIMITING"] and config["RATE_LIMIT_LOGIN"] is not None:
        bucket = TokenBucket(cache, parse_rate(config["RATE_LIMIT_LOGIN"]))
        decision = bucket.take(f"{schema_name}:login:{_digest(_ip_identity(ip))}")
        if not decision.allowed:
            retry = decision.retry_after_seconds
            security_log.warning(
                "Rate limit hit: login budget (%s) of IP %s, username %r; retry after %ss",
                config["RATE_LIMIT_LOGIN"],
                ip,
                username,
                retry,
            )
            raise RateLimited(f"Too many login attempts: try again in {retry} seconds.", retry)


class LoginAttempt:
    """A login attempt that :func:`login_attempt` let through and counts as being checked.

    Settle it after the check: :meth:`failed` (a wrong password or code) counts a failure and
    locks at the limit; :meth:`succeeded` (a completed login) starts the account's count again.
    An attempt left unsettled, like a right password that goes on to MFA, is given back at the
    end of the HTTP request (:class:`operation_meter`), or else stops counting by itself
    (:data:`CHECK_SECONDS`).
    """

    def __init__(self, cache: Any, config: Any, username: str, ip: str) -> None:
        self.cache = cache
        self.config = config
        self.username = username
        self.ip = ip
        #: ``(kind, key, key of the counter that counts this attempt as being checked)``
        self.counters: list[tuple[str, str, str]] = []

    def failed(self) -> None:
        """The password or code was wrong: count a failure, and lock at the limit."""
        lockout = self.config["LOGIN_LOCKOUT_SECONDS"]
        for kind, key, checking in self._settle():
            # Counted as a failure before it stops counting as checked: see login_attempt.
            failures = _count(self.cache, f"{key}:failures", 1, clock() + lockout)
            _uncount(self.cache, checking)
            _lock_at_limit(self.cache, self.config, kind, key, failures, self.username, self.ip)

    def succeeded(self) -> None:
        """The login is complete: the account's count starts again (the IP's is kept)."""
        for kind, key, checking in self._settle():
            _uncount(self.cache, checking)
            if kind == "account":
                delete = functools.partial(self.cache.delete, f"{key}:failures")
                _committed(self.cache, delete)

    def release(self) -> None:
        """No check happened after all: stop counting the attempt."""
        for _, _, checking in self._settle():
            _uncount(self.cache, checking)

    def _settle(self) -> list[tuple[str, str, str]]:
        counters, self.counters = self.counters, []  # settled once
        return counters


def login_attempt(request: Any, username: str, *, schema_name: str | None = None) -> LoginAttempt:
    """Let a login attempt through, or raise :class:`RateLimited`: when
    :func:`check_login_allowed` refuses, or when the failures plus the attempts still being
    checked already reach the account's or the IP's limit. Call it before checking the password
    or code, and settle the attempt it returns after.

    Counting the attempt *before* the check is what holds a limit under parallel requests:
    counted only once it had failed, every request that found no lock had its password checked
    (30 parallel logins, 30 passwords tried against a limit of 5). The attempt is one atomic
    increment of a counter of attempts being checked (one per :data:`CHECK_SECONDS` slot, so
    that an attempt never settled stops counting), then reads of the previous slot's counter and
    of the failures, in that order: a settled attempt counts as a failure before it stops counting
    as being checked, so every earlier attempt is seen at least once.
    """
    schema_name = _schema_of(request, schema_name)
    check_login_allowed(request, username, schema_name=schema_name)
    config = _config(schema_name)
    cache = caches[config["RATE_LIMIT_CACHE"]]
    ip, keys = _login_keys(request, username, config)
    attempt = LoginAttempt(cache, config, username, ip)
    slot = int(clock() // CHECK_SECONDS)
    try:
        for kind, key in keys:
            checking = f"{key}:checking:{slot}"
            counted = _count(cache, checking, 1, (slot + 2) * CHECK_SECONDS)
            attempt.counters.append((kind, key, checking))
            counted += _read(cache, f"{key}:checking:{slot - 1}")
            counted += _read(cache, f"{key}:failures")
            if counted > _limit_for(kind, config):
                # Taken by failures and attempts being checked: wait for the lock those set, or
                # for the attempts to settle.
                left = _lock_left(cache, key, clock())
                _refuse_login(kind, "locked" if left else "at its limit", username, ip, left or 1)
    except Exception:
        attempt.release()
        raise
    if request is not None:
        attempts = getattr(request, _ATTEMPTS_ATTR, None)
        if attempts is None:
            attempts = []
            setattr(request, _ATTEMPTS_ATTR, attempts)
        attempts.append(attempt)
    return attempt


def _release_unsettled(request: Any) -> None:
    """Give back the request's login attempts that nothing settled: a right password that went
    on to MFA is not a failure. A cache error here only logs: the reservation runs out anyway."""
    for attempt in getattr(request, _ATTEMPTS_ATTR, None) or ():
        try:
            attempt.release()
        except Exception:
            security_log.exception("Login attempt not given back to cache %r", attempt.cache)
