"""Parsing of rate strings ("120/minute") and proxy lists, shared by the settings checks and the
rate limiter. Nothing here imports Django, so :mod:`django_graphql_auto.conf` can use it."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Rate", "parse_proxies", "parse_rate", "proxy_problem", "rate_problem"]

_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-zA-Z]+)\s*$")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Rate:
    """``limit`` tokens per ``period`` seconds: the bucket holds at most ``limit`` tokens (the
    burst) and refills at ``limit / period`` tokens a second."""

    limit: int
    period: int

    @property
    def per_second(self) -> float:
        return self.limit / self.period

    def __str__(self) -> str:
        return f"{self.limit}/{self.period}s"


@lru_cache(maxsize=64)
def parse_rate(text: str) -> Rate:
    """``"N/unit"`` or ``"N/Kunit"`` with unit second, minute, hour or day (also ``s``, ``m``,
    ``h``, ``d``, ``sec``, ``min`` and plurals): ``"120/minute"``, ``"1000/hour"``,
    ``"50/15min"``. Raises ValueError for anything else, and for a zero count or period."""
    match = _RATE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a rate like '120/minute'")
    count, multiplier, unit = match.groups()
    unit = unit.lower()
    seconds = _UNITS.get(unit) or (_UNITS.get(unit[:-1]) if unit.endswith("s") else None)
    if seconds is None:
        raise ValueError(f"{text!r}: unknown unit {unit!r} (use second, minute, hour or day)")
    limit = int(count)
    period = seconds * (int(multiplier) if multiplier else 1)
    if limit < 1 or period < 1:
        raise ValueError(f"{text!r}: the count and the period must be at least 1")
    return Rate(limit, period)


def rate_problem(value: object) -> str | None:
    """Why ``value`` is not a usable rate setting (None is: it switches the budget off)."""
    if value is None:
        return None
    try:
        parse_rate(value)  # type: ignore[arg-type]
    except ValueError as error:
        return str(error)
    return None


@lru_cache(maxsize=16)
def parse_proxies(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Trusted proxies as networks: a bare address is a /32 (or /128) network."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def proxy_problem(value: object) -> str | None:
    """Why a TRUSTED_PROXIES value does not parse, or None."""
    for entry in value or ():  # type: ignore[union-attr]
        try:
            ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            return f"{entry!r} is not an IP address or network (e.g. '10.0.0.0/8')"
    return None
