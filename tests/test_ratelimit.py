"""Rate limits and login throttling (django_graphql_auto.security.ratelimit).

Unit tests run on the local-memory cache with a fake clock; the Redis tests run against the real
Redis at 127.0.0.1:6379 (db 15 by default, ``TEST_REDIS_URL`` to change it) under a key prefix
unique to the test, and delete their keys afterwards. They are skipped when Redis is not reachable,
unless ``CI`` or ``REQUIRE_REDIS`` is set: then that is a failure.

The cross-process test starts two real ``runserver`` processes of the example project on loopback
(settings: ``tests/ratelimit_server_settings.py``) that share one budget through Redis.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.db import connections, transaction
from django.test import Client, override_settings
from graphql import is_composite_type

from django_graphql_auto.conf import find_problems
from django_graphql_auto.execution import timeouts
from django_graphql_auto.execution.errors import RATE_LIMITED
from django_graphql_auto.schema.registry import get_schema
from django_graphql_auto.security import mfa, ratelimit
from django_graphql_auto.security.ratelimit import (
    RateLimited,
    TokenBucket,
    check_login_allowed,
    client_ip,
    identity,
    login_attempt,
)
from django_graphql_auto.security.rates import Rate, parse_rate
from tests.auth_support import LOGIN, PASSWORD, UNAUTHENTICATED, bearer
from tests.graphql_http import post_graphql

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECURITY_LOGGER = "django_graphql_auto.security"


def limits(**values):
    """override_settings for DJANGO_GRAPHQL_AUTO keys, on top of the project's own."""
    return override_settings(DJANGO_GRAPHQL_AUTO={**settings.DJANGO_GRAPHQL_AUTO, **values})


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(ratelimit, "clock", clock)
    return clock


def post(client, query, variables=None, **extra):
    """POST a document; return (status, decoded body, response)."""
    response = post_graphql(client, query, variables, **extra)
    return response.status_code, json.loads(response.content), response


def codes(body):
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or ()]


# --- rates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120/minute", Rate(120, 60)),
        ("30/minutes", Rate(30, 60)),
        ("10/second", Rate(10, 1)),
        ("5/s", Rate(5, 1)),
        ("1000/hour", Rate(1000, 3600)),
        ("2/day", Rate(2, 86400)),
        ("50/15min", Rate(50, 900)),
        (" 7 / h ", Rate(7, 3600)),
    ],
)
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "120", "minute", "0/minute", "5/0minute", "5/fortnight"])
def test_parse_rate_refuses_malformed_rates(text):
    with pytest.raises(ValueError):
        parse_rate(text)


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("RATE_LIMIT_QUERIES", "lots", "'lots' is not a rate"),
        ("RATE_LIMIT_MUTATIONS", "3/fortnight", "unknown unit"),
        ("TRUSTED_PROXIES", ["10.0.0.0/8", "proxy.local"], "'proxy.local' is not an IP"),
        ("RATE_LIMIT_CACHE", "nope", "'nope' is not an alias in CACHES"),
    ],
)
def test_malformed_values_are_check_errors(key, value, fragment):
    with limits(**{key: value}):
        problems = [p for p in find_problems() if p.id == "E008"]
    assert len(problems) == 1
    assert key in problems[0].message and fragment in problems[0].message


def test_rate_limit_settings_are_not_model_level():
    with override_settings(GRAPHQL_AUTO_APPS={"blog": {"ENABLE_RATE_LIMITING": True}}):
        assert [p.id for p in find_problems()] == ["E003"]


# --- client IP ---------------------------------------------------------------------------------


def test_client_ip_is_the_peer_without_trusted_proxies(rf):
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "198.51.100.7"  # a client cannot choose its own IP
    assert client_ip(request, ["10.0.0.0/8"]) == "198.51.100.7"  # the peer is not a proxy


def test_client_ip_behind_a_trusted_proxy_is_the_rightmost_untrusted_hop(rf):
    request = rf.get(
        "/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.1",  # 6.6.6.6 is client-written
    )
    assert client_ip(request, ["10.0.0.0/8"]) == "203.0.113.9"
    assert client_ip(request, ["10.0.0.2", "10.0.0.1", "203.0.113.9"]) == "6.6.6.6"


def test_client_ip_edge_cases(rf):
    trusted = ["10.0.0.0/8"]
    # Every hop trusted: the leftmost is the client.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.1.1.1, 10.0.0.1")
    assert client_ip(request, trusted) == "10.1.1.1"
    # A proxy that forwards garbage: stop at the last address we can vouch for.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, junk")
    assert client_ip(request, trusted) == "10.0.0.2"
    # No header at all: the proxy itself.
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2"), trusted) == "10.0.0.2"
    # IPv4-mapped IPv6 peers are IPv4 clients.
    assert client_ip(rf.get("/", REMOTE_ADDR="::ffff:192.0.2.1")) == "192.0.2.1"
    # IPv6 proxies and clients.
    request = rf.get("/", REMOTE_ADDR="fd00::1", HTTP_X_FORWARDED_FOR="2001:db8::5")
    assert client_ip(request, ["fd00::/8"]) == "2001:db8::5"


def test_identity_is_the_user_or_the_ip(rf, django_user_model):
    request = rf.get("/", REMOTE_ADDR="192.0.2.1")
    request.user = django_user_model(pk=42, username="u")
    assert identity(request) == "user:42"
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    assert identity(request) == "ip:192.0.2.1"
    # IPv6 clients share a budget per /64.
    v6 = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    assert identity(v6) == identity(rf.get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::9"))
    assert identity(v6) == "ip:2001:db8:1:2::/64"


# --- the token bucket on the local-memory cache ------------------------------------------------


def test_local_bucket_allows_the_burst_then_refuses_with_the_wait(fake_clock):
    bucket = TokenBucket(caches["default"], parse_rate("3/minute"))
    assert bucket.strategy == "local"
    assert [bucket.take("k").allowed for _ in range(3)] == [True, True, True]
    refused = bucket.take("k")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(20.0)  # one token every 20 s
    assert refused.retry_after_seconds == 20
    fake_clock.advance(19.5)
    assert not bucket.take("k").allowed
    fake_clock.advance(0.5)
    assert bucket.take("k").allowed
    assert not bucket.take("k").allowed
    # Another key has its own bucket.
    assert bucket.take("other").allowed


def test_local_bucket_refills_to_capacity_only(fake_clock):
    bucket = TokenBucket(caches["default"], parse_rate("2/second"))
    bucket.take("k")
    fake_clock.advance(3600)
    assert [bucket.take("k").allowed for _ in range(3)] == [True, True, False]


def test_local_bucket_charges_cost_capped_at_capacity(fake_clock):
    bucket = TokenBucket(caches["default"], parse_rate("10/minute"))
    assert bucket.take("k", cost=7).remaining == pytest.approx(3)
    refused = bucket.take("k", cost=5)
    assert not refused.allowed and refused.retry_after == pytest.approx(12)
    fake_clock.advance(60)
    # A cost above the whole budget takes the whole (full) bucket rather than never passing.
    assert bucket.take("k", cost=500).allowed
    assert not bucket.take("k").allowed


def test_fixed_window_fallback_for_other_caches(tmp_path, fake_clock):
    with override_settings(
        CACHES={
            "default": settings.CACHES["default"],
            "files": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            },
        }
    ):
        bucket = TokenBucket(caches["files"], parse_rate("3/minute"))
        assert bucket.strategy == "window"
        fake_clock.now = 60 * 1000 + 15  # 15 s into a window
        assert [bucket.take("k").allowed for _ in range(3)] == [True, True, True]
        refused = bucket.take("k")
        assert not refused.allowed and refused.retry_after == pytest.approx(45)
        fake_clock.advance(45)  # the next window
        assert bucket.take("k").allowed


# --- the HTTP endpoint (in process, local-memory cache) ----------------------------------------


def test_rate_limiting_is_off_by_default(client):
    for _ in range(25):
        assert post(client, "{ __typename }")[0] == 200


def test_query_budget_gives_429_with_retry_after_and_rate_limited(client, caplog):
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="3/hour"):
        statuses = [post(client, "{ __typename }")[0] for _ in range(3)]
        assert statuses == [200, 200, 200]
        with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
            status, body, response = post(client, "{ __typename }", REMOTE_ADDR="127.0.0.1")
    assert status == 429
    assert response["Retry-After"] == "1200"  # one token per 3600/3 s
    assert codes(body) == [RATE_LIMITED]
    assert body["errors"][0]["extensions"]["retryAfter"] == 1200
    assert "data" not in body  # nothing was executed
    [record] = [r for r in caplog.records if r.name == SECURITY_LOGGER]
    message = record.getMessage()
    assert "query budget" in message and "127.0.0.1" in message and "query operation" in message
    assert "anonymous" in message


def test_429_under_plain_json_too(client):
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="1/hour"):
        ok = client.get("/graphql/", {"query": "{ __typename }"}, HTTP_ACCEPT="application/json")
        refused = client.get(
            "/graphql/", {"query": "{ __typename }"}, HTTP_ACCEPT="application/json"
        )
    assert ok.status_code == 200
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 3600
    assert codes(json.loads(refused.content)) == [RATE_LIMITED]


def test_invalid_documents_spend_the_budget_too(client):
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="2/hour"):
        assert post(client, "{ nope")[0] == 400  # parse error, charged
        assert post(client, "{ no_such_field }")[0] == 400  # validation error, charged
        status, body, _ = post(client, "{ nope")
        assert status == 429 and codes(body) == [RATE_LIMITED]
        assert post(client, "{ __typename }")[0] == 429


@pytest.mark.django_db
def test_mutations_have_their_own_budget(client):
    with limits(
        ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="2/hour", RATE_LIMIT_MUTATIONS="1/hour"
    ):
        mutation = 'mutation { create_tag(input: {name: "t%s"}) { ok } }'
        status, body, _ = post(client, mutation % 1)
        assert status == 200 and body["data"]["create_tag"]["ok"] is True
        status, body, response = post(client, mutation % 2)
        assert status == 429 and response["Retry-After"] == "3600"
        assert "Too many mutations" in body["errors"][0]["message"]
        # The query budget is untouched by mutations.
        assert [post(client, "{ __typename }")[0] for _ in range(3)] == [200, 200, 429]


def test_clients_are_told_apart_by_ip(client):
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="1/hour"):
        assert post(client, "{ __typename }", REMOTE_ADDR="192.0.2.1")[0] == 200
        assert post(client, "{ __typename }", REMOTE_ADDR="192.0.2.1")[0] == 429
        assert post(client, "{ __typename }", REMOTE_ADDR="192.0.2.2")[0] == 200


def test_forwarded_for_counts_only_behind_a_trusted_proxy(client):
    spoof = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "203.0.113.1"}
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="1/hour"):
        assert post(client, "{ __typename }", **spoof)[0] == 200
        spoof["HTTP_X_FORWARDED_FOR"] = "203.0.113.2"  # a new header buys no new budget
        assert post(client, "{ __typename }", **spoof)[0] == 429
    proxied = {"REMOTE_ADDR": "10.0.0.1"}
    with limits(
        ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="1/hour", TRUSTED_PROXIES=["10.0.0.0/8"]
    ):
        for address in ("203.0.113.1", "203.0.113.2"):
            assert post(client, "{ __typename }", HTTP_X_FORWARDED_FOR=address, **proxied)[0] == 200
        status = post(client, "{ __typename }", HTTP_X_FORWARDED_FOR="203.0.113.1", **proxied)[0]
        assert status == 429


@pytest.mark.django_db
def test_authenticated_users_have_their_own_budgets(client):
    alice = User.objects.create_user("alice", password="pw-alice-1234")
    bob = User.objects.create_user("bob", password="pw-bob-1234")
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="2/hour"):
        client.force_login(alice)
        assert [post(client, "{ __typename }")[0] for _ in range(3)] == [200, 200, 429]
        client.force_login(bob)  # same IP, another user
        assert [post(client, "{ __typename }")[0] for _ in range(3)] == [200, 200, 429]
        client.logout()  # anonymous from the same IP: the IP's own budget
        assert post(client, "{ __typename }")[0] == 200


def test_cost_is_charged_only_when_asked(rf):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.9")
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="10/hour"):
        decision = ratelimit.charge_operation(request, "default", "query", cost=8)
        assert decision.remaining == pytest.approx(9, abs=0.01)
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES="10/hour", RATE_LIMIT_BY_COST=True):
        caches["default"].clear()
        decision = ratelimit.charge_operation(request, "default", "query", cost=8)
        assert decision.remaining == pytest.approx(2, abs=0.01)
        assert not ratelimit.charge_operation(request, "default", "query", cost=3).allowed


@pytest.mark.django_db
def test_queries_are_charged_their_cost_over_http(client):
    """With RATE_LIMIT_BY_COST the engine hands the query cost to the bucket."""
    cheap = "{ tags(limit: 1) { name } }"  # cost 1 + 1 x 1 = 2
    costly = "{ tags(limit: 5) { name } }"  # cost 1 + 5 x 1 = 6
    with limits(
        ENABLE_RATE_LIMITING=True,
        RATE_LIMIT_QUERIES="10/hour",
        RATE_LIMIT_BY_COST=True,
        EXPOSE_QUERY_COST=True,
    ):
        status, body, _ = post(client, cheap)
        assert status == 200 and body["extensions"]["cost"] == 2
        assert post(client, costly)[0] == 200  # 8 of 10 spent
        status, body, _ = post(client, costly)
        assert status == 429 and body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert post(client, cheap)[0] == 200  # 2 left: a cheap one still fits


def test_each_schema_has_its_own_switch_and_buckets(client):
    schemas = {"admin": {"APPS": ["blog"], "ENABLE_RATE_LIMITING": True}}
    with limits(RATE_LIMIT_QUERIES="1/hour", SCHEMAS=schemas):
        assert all(post(client, "{ __typename }")[0] == 200 for _ in range(3))  # default: off
        statuses = [
            client.post(
                "/admin-graphql/",
                data='{"query": "{ __typename }"}',
                content_type="application/json",
            ).status_code
            for _ in range(2)
        ]
    assert statuses == [200, 429]


def test_budgets_fail_open_when_the_cache_is_down(rf, caplog):
    down = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with (
        override_settings(CACHES={"default": settings.CACHES["default"], "down": down}),
        limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_CACHE="down"),
        caplog.at_level(logging.ERROR, logger=SECURITY_LOGGER),
    ):
        assert ratelimit.charge_operation(request, "default", "query").allowed
        # Login throttling fails closed: an outage must not allow unlimited guessing.
        with pytest.raises(redis.exceptions.ConnectionError):
            check_login_allowed(request, "alice")
    assert "request let through" in caplog.text


def test_a_budget_of_none_is_unlimited(client):
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_QUERIES=None):
        assert all(post(client, "{ __typename }")[0] == 200 for _ in range(10))


# --- login throttling --------------------------------------------------------------------------


def _attempt(request, username):
    """One login attempt as the login mutation makes it: let through, then a failed password."""
    login_attempt(request, username).failed()


def test_account_locks_after_the_configured_failures(rf, fake_clock, caplog):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(LOGIN_FAILURE_LIMIT=3, LOGIN_LOCKOUT_SECONDS=600):
        for _ in range(3):
            _attempt(request, "alice")
        with pytest.raises(RateLimited) as refused:
            check_login_allowed(request, "alice")
        assert refused.value.extensions == {"code": RATE_LIMITED, "retryAfter": 600}
        # The lock is on the account, whatever the case of the name or the client's IP.
        elsewhere = rf.post("/graphql/", REMOTE_ADDR="198.51.100.1")
        with pytest.raises(RateLimited):
            check_login_allowed(elsewhere, "ALICE ")
        check_login_allowed(request, "bob")  # other accounts are not locked
        fake_clock.advance(599)
        with (
            caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER),
            pytest.raises(RateLimited) as refused,
        ):
            check_login_allowed(request, "alice")
        assert refused.value.retry_after == 1
        assert "account locked" in caplog.text and "192.0.2.1" in caplog.text
        fake_clock.advance(1)
        check_login_allowed(request, "alice")  # the lock has expired


def test_lockout_is_logged(rf, caplog):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(LOGIN_FAILURE_LIMIT=2), caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        _attempt(request, "alice")
        assert not caplog.records
        _attempt(request, "alice")
    [record] = caplog.records
    assert record.name == SECURITY_LOGGER
    assert "account locked for 900s after 2 failures" in record.getMessage()
    assert "'alice'" in record.getMessage() and "192.0.2.1" in record.getMessage()


def test_success_resets_the_account_counter(rf):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(LOGIN_FAILURE_LIMIT=3):
        _attempt(request, "alice")
        _attempt(request, "alice")
        login_attempt(request, "alice").succeeded()
        _attempt(request, "alice")
        _attempt(request, "alice")
        check_login_allowed(request, "alice")  # 2 failures since the success: not locked
        _attempt(request, "alice")
        with pytest.raises(RateLimited):
            check_login_allowed(request, "alice")


def test_failures_expire_after_the_window(rf, fake_clock):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(LOGIN_FAILURE_LIMIT=2, LOGIN_LOCKOUT_SECONDS=1):
        _attempt(request, "alice")
        time.sleep(1.1)  # the counter's cache timeout is real time
        _attempt(request, "alice")
        check_login_allowed(request, "alice")


def test_ip_locks_after_its_higher_limit_across_accounts(rf):
    attacker = rf.post("/graphql/", REMOTE_ADDR="192.0.2.66")
    with limits(LOGIN_FAILURE_LIMIT=3, LOGIN_IP_FAILURE_LIMIT=5):
        for name in ("a", "b", "c", "d", "e"):  # a spray: one failure per account
            _attempt(attacker, name)
        with pytest.raises(RateLimited):
            check_login_allowed(attacker, "f")
        # The accounts themselves are not locked for other clients.
        check_login_allowed(rf.post("/graphql/", REMOTE_ADDR="192.0.2.1"), "a")


def test_lockout_can_be_switched_off(rf):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(LOGIN_FAILURE_LIMIT=None, LOGIN_IP_FAILURE_LIMIT=None):
        for _ in range(20):
            _attempt(request, "alice")


def test_login_budget_applies_with_rate_limiting(rf):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(RATE_LIMIT_LOGIN="2/hour"):
        for _ in range(5):  # rate limiting off: only the lockout counts
            check_login_allowed(request, "alice")
    with limits(ENABLE_RATE_LIMITING=True, RATE_LIMIT_LOGIN="2/hour"):
        check_login_allowed(request, "alice")
        check_login_allowed(request, "bob")
        with pytest.raises(RateLimited) as refused:
            check_login_allowed(request, "carol")  # the budget is the IP's, not the account's
        assert refused.value.retry_after == 1800
        check_login_allowed(rf.post("/graphql/", REMOTE_ADDR="192.0.2.2"), "carol")


def _login_field():
    mutation_type = get_schema().schema.mutation_type
    return mutation_type.fields.get("login") if mutation_type else None


@pytest.mark.django_db
def test_login_mutation_locks_after_failures_over_http(client):
    """The HTTP flow through the real ``login`` mutation (built with the JWT work)."""
    field = _login_field()
    if field is None:
        pytest.skip("the login mutation does not exist yet")
    User.objects.create_user("carol", password="correct-horse-battery")
    selection = " { __typename }" if is_composite_type(_named(field.type)) else ""
    query = f"mutation($u: String!, $p: String!) {{ login(username: $u, password: $p){selection} }}"
    with limits(LOGIN_FAILURE_LIMIT=3, LOGIN_LOCKOUT_SECONDS=300):
        for attempt in range(3):
            status, body, _ = post(client, query, {"u": "carol", "p": f"wrong-{attempt}"})
            assert RATE_LIMITED not in codes(body), body
        status, body, response = post(client, query, {"u": "carol", "p": "correct-horse-battery"})
        assert status == 429 and RATE_LIMITED in codes(body)
        assert 1 <= int(response["Retry-After"]) <= 300


def _named(graphql_type):
    while hasattr(graphql_type, "of_type"):
        graphql_type = graphql_type.of_type
    return graphql_type


# --- Redis -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") or os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"Redis is required but not reachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix for this test alone; its keys are deleted afterwards."""
    prefix = f"dga-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        connection.delete(*keys)
    connection.close()


def _redis_caches(redis_url, prefix, backend="django_redis.cache.RedisCache"):
    return override_settings(
        CACHES={
            "default": settings.CACHES["default"],
            "shared": {"BACKEND": backend, "LOCATION": redis_url, "KEY_PREFIX": prefix},
        }
    )


@pytest.mark.parametrize(
    "backend",
    ["django_redis.cache.RedisCache", "django.core.cache.backends.redis.RedisCache"],
    ids=["django-redis", "django"],
)
def test_redis_bucket(redis_url, redis_prefix, backend):
    with _redis_caches(redis_url, redis_prefix, backend):
        bucket = TokenBucket(caches["shared"], parse_rate("4/hour"))
        assert bucket.strategy == "redis"
        assert [bucket.take("k").allowed for _ in range(5)] == [True] * 4 + [False]
        refused = bucket.take("k")
        assert 899 < refused.retry_after <= 900 and refused.retry_after_seconds == 900
        assert bucket.take("k2", cost=3).remaining == pytest.approx(1, abs=0.01)
    # The bucket lives under the cache's own prefix, with an expiry.
    connection = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in connection.scan_iter(match=f"{redis_prefix}:*")]
    assert len(keys) == 2 and all(":dga:rl:b:k" in key for key in keys)
    assert 0 < connection.pttl(keys[0]) <= 3_600_000 + 1000
    connection.close()


def test_redis_bucket_is_atomic_under_concurrency(redis_url, redis_prefix):
    with _redis_caches(redis_url, redis_prefix):

        def take(_):
            return TokenBucket(caches["shared"], parse_rate("15/hour")).take("hot").allowed

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(take, range(40)))
    assert results.count(True) == 15


def test_login_lockout_on_redis(rf, redis_url, redis_prefix):
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with (
        _redis_caches(redis_url, redis_prefix),
        limits(RATE_LIMIT_CACHE="shared", LOGIN_FAILURE_LIMIT=3),
    ):
        for _ in range(3):
            _attempt(request, "dave")
        with pytest.raises(RateLimited) as refused:
            check_login_allowed(request, "dave")
        assert refused.value.retry_after == 900


# --- two server processes sharing one budget through Redis -------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_listening(process, port, log_path, deadline):
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server on port {port} exited:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"server on port {port} did not start in time:\n{log_path.read_text()}")


def _server_env(tmp_path, redis_url, redis_prefix):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.ratelimit_server_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example")]),
        "RL_TEST_REDIS_URL": redis_url,
        "RL_TEST_KEY_PREFIX": redis_prefix,
        "RL_TEST_SQLITE": str(tmp_path / "server.sqlite3"),
        "RL_TEST_QUERY_RATE": "5/hour",
    }
    env.pop("DJANGO_DEBUG", None)
    return env


@pytest.fixture
def two_servers(request, tmp_path, redis_url, redis_prefix):
    """Two ``runserver`` processes of the example project on loopback, one Redis budget."""
    env = _server_env(tmp_path, redis_url, redis_prefix)
    servers = []

    def stop():
        for process, _port, _log in servers:
            if process.poll() is None:
                process.terminate()
        for process, _port, _log in servers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    request.addfinalizer(stop)
    for index in range(2):
        port = _free_port()
        log_path = tmp_path / f"server{index}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "example" / "manage.py"),
                    "runserver",
                    "--noreload",
                    f"127.0.0.1:{port}",
                ],
                cwd=ROOT / "example",
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        servers.append((process, port, log_path))
    deadline = time.monotonic() + 60
    for process, port, log_path in servers:
        _wait_until_listening(process, port, log_path, deadline)
    return servers


def _http_post(port, query, variables=None):
    body = json.dumps({"query": query, "variables": variables}).encode()
    http_request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/graphql-response+json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(http_request, timeout=15) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_two_server_processes_share_one_budget(two_servers):
    (first, port_a, _), (second, port_b, _) = two_servers
    assert first.pid != second.pid
    # "5/hour": five requests pass, split across both processes; the sixth is refused.
    ports = [port_a, port_b, port_a, port_b, port_a, port_b]
    results = [_http_post(port, "{ __typename }") for port in ports]
    statuses = [status for status, _headers, _body in results]
    assert statuses == [200, 200, 200, 200, 200, 429], results
    for _status, _headers, body in results[:5]:
        assert body == {"data": {"__typename": "Query"}}
    _status, headers, body = results[5]
    assert codes(body) == [RATE_LIMITED]
    retry_after = int(headers["Retry-After"])
    assert 700 <= retry_after <= 720  # 3600 s / 5 tokens, minus the few seconds the test took
    assert body["errors"][0]["extensions"]["retryAfter"] == retry_after


def test_two_server_processes_share_one_login_limit(two_servers, tmp_path, redis_url, redis_prefix):
    """20 parallel wrong passwords for one account, split across two server processes that
    share Redis: LOGIN_FAILURE_LIMIT (5) passwords are checked in all. (The IP's login budget,
    "10/minute", lets 10 of them reach the account's limit.)"""
    subprocess.run(
        [sys.executable, str(ROOT / "example" / "manage.py"), "migrate", "--noinput", "-v0"],
        cwd=ROOT / "example",
        env=_server_env(tmp_path, redis_url, redis_prefix),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
        timeout=300,
    )
    (_, port_a, _), (_, port_b, _) = two_servers
    variables = {"username": "nobody", "password": "guess"}

    def attempt(index):
        _status, _headers, body = _http_post((port_a, port_b)[index % 2], LOGIN, variables)
        return codes(body)

    results = _in_parallel(20, attempt)
    assert results.count([UNAUTHENTICATED]) == 5, results
    assert results.count([RATE_LIMITED]) == 15, results


# --- parallel attempts, on every kind of cache -------------------------------------------------

# SQLite's shared in-memory test database locks whole tables between connections ("database table
# is locked"): parallel requests through a database cache run on PostgreSQL.
PARALLEL_BACKENDS = [
    "locmem",
    "redis",
    pytest.param(
        "database",
        marks=pytest.mark.skipif(
            "sqlite" in settings.DATABASES["default"]["ENGINE"],
            reason="parallel writers to SQLite's in-memory test database",
        ),
    ),
    "file",
]


@pytest.fixture
def limits_cache(request, tmp_path):
    """The alias of a cache of the kind the test is parametrized with (``indirect``), its keys
    its own, with a default TIMEOUT of 0: a counter written back with the cache's default expiry,
    as Django's generic ``incr`` does on the database and file caches, is gone at once."""
    kind = request.param
    prefix = f"dga-test-{uuid.uuid4().hex[:12]}"
    if kind == "redis":
        prefix = request.getfixturevalue("redis_prefix")  # deletes the keys afterwards
        config = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}
    elif kind == "database":
        call_command("createcachetable", "dga_test_rate_limits", verbosity=0)
        config = {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "dga_test_rate_limits",
        }
    elif kind == "file":
        config = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    else:
        config = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
    limits_config = {**config, "KEY_PREFIX": prefix, "TIMEOUT": 0}
    with override_settings(CACHES={"default": settings.CACHES["default"], "limits": limits_config}):
        yield "limits"


def _in_parallel(count, attempt):
    """``attempt(i)`` for i in range(count), each in its own thread, all let go at once."""
    start = threading.Barrier(count)

    def run(index):
        start.wait(timeout=30)
        try:
            return attempt(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _login_codes(remote_addr, username, password):
    _, body, _ = post(
        Client(REMOTE_ADDR=remote_addr), LOGIN, {"username": username, "password": password}
    )
    return codes(body)


@pytest.mark.parametrize("limits_cache", PARALLEL_BACKENDS, indirect=True)
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_are_checked_only_up_to_the_account_limit(limits_cache):
    """The lock was read before the password was checked and the failure counted after: 20
    parallel logins with wrong passwords all found no lock, and all 20 passwords were tried
    against a limit of 3. Each comes from its own IP, so only the account's limit applies."""
    _twenty_wrong_passwords_check_three(limits_cache)


def _twenty_wrong_passwords_check_three(limits_cache, **settings):
    """20 parallel logins to one account with wrong passwords, each from its own IP (so only
    the account's limit of 3 applies): 3 are checked, 17 refused, and the account is locked,
    for the right password too."""
    User.objects.create_user("carol", password=PASSWORD)  # the default, slow, hasher
    with limits(
        RATE_LIMIT_CACHE=limits_cache,
        LOGIN_FAILURE_LIMIT=3,
        LOGIN_IP_FAILURE_LIMIT=None,
        LOGIN_LOCKOUT_SECONDS=300,
        **settings,
    ):
        results = _in_parallel(
            20, lambda i: _login_codes(f"198.51.100.{i + 1}", "Carol", f"wrong-{i}")
        )
        assert results.count([UNAUTHENTICATED]) == 3, results
        assert results.count([RATE_LIMITED]) == 17, results
        client = Client(REMOTE_ADDR="203.0.113.9")
        status, body, response = post(client, LOGIN, {"username": "carol", "password": PASSWORD})
        assert status == 429 and codes(body) == [RATE_LIMITED]
        assert 290 <= int(response["Retry-After"]) <= 300


@pytest.mark.parametrize("limits_cache", PARALLEL_BACKENDS, indirect=True)
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_from_one_ip_are_checked_only_up_to_its_limit(limits_cache):
    """The per-IP limit holds under parallel requests too: a spray of 20 parallel logins to 20
    accounts (unknown ones: Django checks a password for them as well) from one IP."""
    with limits(RATE_LIMIT_CACHE=limits_cache, LOGIN_FAILURE_LIMIT=None, LOGIN_IP_FAILURE_LIMIT=4):
        results = _in_parallel(20, lambda i: _login_codes("192.0.2.66", f"user{i}", "guess"))
        assert results.count([UNAUTHENTICATED]) == 4, results
        assert results.count([RATE_LIMITED]) == 16, results
        assert _login_codes("192.0.2.66", "someone", "guess") == [RATE_LIMITED]
        assert _login_codes("192.0.2.1", "someone", "guess") == [UNAUTHENTICATED]


def _slow_gets(monkeypatch, cache, seconds):
    """Make every ``get`` of ``cache``'s backend take ``seconds`` more: a counter update then
    holds the counter lock that much longer, and a queue of them outlasts its old bounded wait."""
    backend = type(cache)
    get = backend.get

    def slow_get(self, *args, **kwargs):
        time.sleep(seconds)
        return get(self, *args, **kwargs)

    monkeypatch.setattr(backend, "get", slow_get)


def _postgresql_only(reason):
    if connections["default"].vendor != "postgresql":
        pytest.skip(reason)


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "in-transaction"])
@pytest.mark.parametrize("limits_cache", PARALLEL_BACKENDS[2:], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_parallel_counter_updates_on_caches_without_atomic_incr_are_exact(
    limits_cache, in_transaction, monkeypatch
):
    """On the database and file caches a counter is read and written back under a process lock,
    "exact within a process". It was not: the lock was waited for 0.5 s at most, and past that
    the update ran anyway, so a queue of parallel updates (20 parallel logins) lost increments
    (4 wrong passwords checked against a limit of 3, now and then). And inside a transaction (a
    mutation on PostgreSQL with a per-request statement timeout, ``ATOMIC_REQUESTS``) a database
    cache wrote the counter in it: invisible to the other requests until it committed, after the
    lock was released. Every update must see all the earlier ones."""
    cache = caches[limits_cache]
    if in_transaction and isinstance(cache, DatabaseCache):
        _postgresql_only("SQLite, inside a transaction, counts on the request's connection")
    _slow_gets(monkeypatch, cache, 0.1)
    expires_at = ratelimit.clock() + 60

    def update(_index):
        if not in_transaction:
            return ratelimit._count(cache, "k", 1, expires_at)
        with transaction.atomic():
            counted = ratelimit._count(cache, "k", 1, expires_at)
            time.sleep(0.2)  # the request goes on, its transaction open
            return counted

    counted = _in_parallel(10, update)
    assert sorted(counted) == list(range(1, 11))
    assert ratelimit._read(cache, "k") == 10


@pytest.mark.parametrize("limits_cache", PARALLEL_BACKENDS[2:3], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_in_a_transaction_are_checked_only_up_to_the_limit(
    limits_cache,
):
    """A mutation on PostgreSQL runs in a transaction when the statement timeout is set per
    request (the connection is not opened with it). A database cache counted the attempts in
    it, on the request's connection: 20 parallel wrong passwords were all checked against a
    limit of 3, each request blind to the others' uncommitted counts."""
    _postgresql_only("only PostgreSQL runs a mutation in a transaction of the statement timeout")
    opened_with = timeouts.connection_timeout("default")
    # A timeout other than the connection's is set per request, in a transaction.
    _twenty_wrong_passwords_check_three(
        limits_cache, STATEMENT_TIMEOUT_MS=(opened_with or 10_000) + 1000
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("limits_cache", ["database"], indirect=True)
def test_login_failures_on_a_database_cache_survive_a_rollback(limits_cache, rf):
    """Counted in the request's transaction, a failure was undone when it rolled back (a
    mutation whose statement timed out): the guess was free. On SQLite, which runs the counters
    in the request's transaction, a rollback still undoes them."""
    _postgresql_only("SQLite, inside a transaction, counts on the request's connection")
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(RATE_LIMIT_CACHE=limits_cache, LOGIN_FAILURE_LIMIT=2):
        for _ in range(2):
            with pytest.raises(ZeroDivisionError), transaction.atomic():
                login_attempt(request, "alice").failed()
                1 / 0  # noqa: B018 - the operation fails after the failure was counted
        with pytest.raises(RateLimited):
            check_login_allowed(request, "alice")


@pytest.mark.parametrize("limits_cache", ["database", "file"], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_windows_hold_on_caches_whose_incr_resets_the_expiry(limits_cache, rf, fake_clock):
    """The database and file caches increment with a get and a set that takes the cache's
    default TIMEOUT (0 here): a counter lasted until its next increment, so "3/hour" let every
    request through, and failures never added up to a lock."""
    fake_clock.now = 3600 * 1000 + 60  # a minute into an hour
    bucket = TokenBucket(caches[limits_cache], parse_rate("3/hour"))
    assert bucket.strategy == "window"
    assert [bucket.take("k").allowed for _ in range(5)] == [True] * 3 + [False] * 2
    fake_clock.advance(3000)  # later in the same hour
    assert not bucket.take("k").allowed
    fake_clock.advance(600)  # the next hour
    assert bucket.take("k").allowed

    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(RATE_LIMIT_CACHE=limits_cache, LOGIN_FAILURE_LIMIT=3, LOGIN_LOCKOUT_SECONDS=600):
        _attempt(request, "alice")
        _attempt(request, "alice")
        fake_clock.advance(601)  # failures count for 600 s from the first: these have ended
        _attempt(request, "alice")
        _attempt(request, "alice")
        check_login_allowed(request, "alice")
        fake_clock.advance(500)
        _attempt(request, "alice")  # the third within 600 s of the first of this window
        with pytest.raises(RateLimited) as refused:
            check_login_allowed(request, "alice")
        assert refused.value.retry_after == 600
        fake_clock.advance(600)
        check_login_allowed(request, "alice")  # the lock has run out


VERIFY = """
mutation($ticket: String!, $code: String!) {
  verify_mfa(ticket: $ticket, code: $code) { ok access_token }
}
"""


def _enable_mfa(username):
    """Turn MFA on for ``username`` over HTTP; return the TOTP secret."""
    client = Client()
    _, body, _ = post(client, LOGIN, {"username": username, "password": PASSWORD})
    auth = bearer(body["data"]["login"]["access_token"])
    setup = "mutation { setup_mfa { secret } }"
    secret = post(client, setup, **auth)[1]["data"]["setup_mfa"]["secret"]
    confirm = "mutation($code: String!) { confirm_mfa(code: $code) { ok } }"
    _, body, _ = post(client, confirm, {"code": pyotp.TOTP(secret).now()}, **auth)
    assert body["data"]["confirm_mfa"]["ok"] is True, body
    return secret


@pytest.mark.parametrize("limits_cache", ["locmem", "redis"], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_parallel_mfa_codes_are_checked_only_up_to_the_limit(limits_cache, settings, monkeypatch):
    """Parallel ``verify_mfa`` guesses with one ticket were each checked (400 parallel guesses
    checked 16 codes against a limit of 5). Meanwhile right passwords, and MFA turned on, do not
    use the limits up: a right password that goes on to MFA is given back at the end of its
    request, although nothing settles it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_user("dora", password=PASSWORD)
    with limits(RATE_LIMIT_CACHE=limits_cache, LOGIN_FAILURE_LIMIT=3, LOGIN_IP_FAILURE_LIMIT=3):
        secret = _enable_mfa("dora")
        client = Client(REMOTE_ADDR="192.0.2.7")
        for _ in range(5):
            _, body, _ = post(client, LOGIN, {"username": "dora", "password": PASSWORD})
            assert body["data"]["login"]["mfa_required"] is True, body
        ticket = body["data"]["login"]["mfa_ticket"]

        checked = []
        verify_code = mfa.verify_code

        def slow_verify_code(*args, **kwargs):  # a check that takes a while, as a hash does
            checked.append(1)
            time.sleep(0.2)
            return verify_code(*args, **kwargs)

        monkeypatch.setattr(mfa, "verify_code", slow_verify_code)
        valid = {pyotp.TOTP(secret).at(time.time() + 30 * step) for step in (-1, 0, 1)}
        guesses = [
            code for code in (f"{n:06d}" for n in range(100000, 100040)) if code not in valid
        ]

        def guess(index):
            client = Client(REMOTE_ADDR="192.0.2.7")
            _, body, _ = post(client, VERIFY, {"ticket": ticket, "code": guesses[index]})
            return codes(body)

        results = _in_parallel(30, guess)
        assert len(checked) == 3 and results.count([UNAUTHENTICATED]) == 3, results
        assert results.count([RATE_LIMITED]) == 27, results


def test_an_attempt_nothing_settles_stops_counting(rf, fake_clock):
    """An attempt counts as being checked from ``login_attempt`` until it is settled, given
    back, or ``CHECK_SECONDS`` to twice that have passed (a request that never finished)."""
    request = rf.post("/graphql/", REMOTE_ADDR="192.0.2.1")
    with limits(LOGIN_FAILURE_LIMIT=2):
        ratelimit.login_attempt(request, "alice")
        ratelimit.login_attempt(request, "alice").failed()
        with pytest.raises(RateLimited) as refused:
            ratelimit.login_attempt(request, "alice")  # one failure, one still being checked
        assert refused.value.retry_after == 1
        fake_clock.advance(2 * ratelimit.CHECK_SECONDS)
        ratelimit.login_attempt(request, "alice").succeeded()
        ratelimit.login_attempt(request, "alice").release()
        attempt = ratelimit.login_attempt(request, "alice")
        attempt.failed()
        attempt.failed()  # settled once: one failure
        check_login_allowed(request, "alice")
