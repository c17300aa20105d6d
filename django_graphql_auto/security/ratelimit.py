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
  ``LOGIN_LOCKOUT_SECONDS``. A successful login resets the account's counter. The login mutation
  calls :func:`check_login_allowed` before checking the password and :func:`record_login_failure`
  / :func:`record_login_success` after.

How a bucket is stored depends on the cache backend, so that the budget holds across processes:

* **Redis** (django-redis, or Django's own ``RedisCache``): the whole read-refill-take-write runs in
  one Lua script on the server, with the server's clock (``TIME``), so any number of processes and
  hosts share one exact bucket. The key is the cache's own key (``KEY_PREFIX``, ``VERSION``).
* **Local memory** (``LocMemCache``): the same token bucket under a process lock; exact, but each
  process has its own buckets (as it has its own cache).
* **Anything else** (memcached, database, file): a fixed-window counter made of ``add`` + ``incr``,
  atomic wherever the backend's ``incr`` is (memcached): at most N requests per window aligned on
  the period, so up to 2N can pass around a window boundary.

Failure policy: when the cache is down, budgets fail open (the request runs; the error is logged
on ``django_graphql_auto.security``), while the login lockout fails closed (the exception
propagates and the login fails), so an outage never opens the door to password guessing.

Every refusal is logged on the ``django_graphql_auto.security`` logger with the user, the client
IP and the operation.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from graphql import GraphQLError

from django_graphql_auto.execution import errors
from django_graphql_auto.security.rates import Rate, parse_proxies, parse_rate

__all__ = [
    "Decision",
    "RateLimited",
    "TokenBucket",
    "charge_operation",
    "check_login_allowed",
    "client_ip",
    "identity",
    "operation_meter",
    "record_login_failure",
    "record_login_success",
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
        count = _add_and_incr(self.cache, window_key, math.ceil(cost), period + 1)
        if count <= limit:
            return Decision(True, float(limit - count))
        return Decision(False, 0.0, (window + 1) * period - now)


def _add_and_incr(cache: Any, key: str, delta: int, timeout: int) -> int:
    """Atomically add ``delta`` to a counter that expires ``timeout`` s after its creation."""
    if cache.add(key, delta, timeout=timeout):
        return delta
    try:
        return int(cache.incr(key, delta))
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=timeout)
        return int(cache.incr(key, delta))


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
    replaces the outcome by a refusal when the budget is spent.
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


def check_login_allowed(request: Any, username: str, *, schema_name: str | None = None) -> None:
    """Raise :class:`RateLimited` when this account or this client IP is locked out of login, or
    (with ``ENABLE_RATE_LIMITING``) the IP's ``RATE_LIMIT_LOGIN`` budget is spent. Call it before
    checking the password; it does not say whether the account exists."""
    schema_name = _schema_of(request, schema_name)
    config = _config(schema_name)
    cache = caches[config["RATE_LIMIT_CACHE"]]
    ip, keys = _login_keys(request, username, config)
    now = clock()
    for kind, key in keys:
        until = cache.get(f"{key}:locked")
        if until is not None and until > now:
            retry = max(1, math.ceil(until - now))
            security_log.warning(
                "Login refused: %s locked (username %r, IP %s); retry after %ss",
                kind,
                username,
                ip,
                retry,
            )
            raise RateLimited(
                f"Too many failed login attempts: try again in {retry} seconds.", retry
            )
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


def record_login_failure(request: Any, username: str, *, schema_name: str | None = None) -> None:
    """Count a failed login against the account and the client IP; lock whichever reaches its
    limit (``LOGIN_FAILURE_LIMIT`` / ``LOGIN_IP_FAILURE_LIMIT``) for ``LOGIN_LOCKOUT_SECONDS``."""
    config = _config(_schema_of(request, schema_name))
    cache = caches[config["RATE_LIMIT_CACHE"]]
    lockout = config["LOGIN_LOCKOUT_SECONDS"]
    ip, keys = _login_keys(request, username, config)
    for kind, key in keys:
        failures = _add_and_incr(cache, f"{key}:failures", 1, lockout)
        limit = _limit_for(kind, config)
        if failures >= limit:
            cache.set(f"{key}:locked", clock() + lockout, timeout=lockout)
            cache.delete(f"{key}:failures")
            security_log.warning(
                "Login lockout: %s locked for %ss after %s failures (username %r, IP %s)",
                kind,
                lockout,
                failures,
                username,
                ip,
            )


def record_login_success(request: Any, username: str, *, schema_name: str | None = None) -> None:
    """A successful login clears the account's failure count (the IP's count is kept: one
    right password must not wipe a spray of wrong ones against other accounts)."""
    config = _config(_schema_of(request, schema_name))
    cache = caches[config["RATE_LIMIT_CACHE"]]
    _, keys = _login_keys(request, username, config)
    for kind, key in keys:
        if kind == "account":
            cache.delete(f"{key}:failures")
