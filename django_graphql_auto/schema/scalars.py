"""The custom scalars of SPEC §10, with exact round-trips.

Each parser refuses what it cannot represent exactly (a float for a Decimal, a naive datetime
when USE_TZ is on) instead of guessing: a silently shifted timestamp is worse than an error.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from django.conf import settings
from django.utils import timezone
from django.utils.duration import duration_iso_string
from graphql import (
    FloatValueNode,
    GraphQLError,
    GraphQLScalarType,
    IntValueNode,
    StringValueNode,
    ValueNode,
    value_from_ast_untyped,
)

_INTEGER = re.compile(r"-?\d+\Z")


def _literal_string(node: ValueNode, scalar: str) -> str:
    if not isinstance(node, StringValueNode):
        raise GraphQLError(f"{scalar} cannot represent a non-string value.", node)
    return node.value


def _expect_str(value: Any, scalar: str) -> str:
    if not isinstance(value, str):
        raise GraphQLError(f"{scalar} cannot represent a non-string value: {value!r}.")
    return value


# DateTime --------------------------------------------------------------------------------------


def serialize_datetime(value: Any) -> str:
    """In UTC with its offset. With USE_TZ off Django hands out naive datetimes in TIME_ZONE,
    which is what they are taken to be."""
    if not isinstance(value, dt.datetime):
        raise GraphQLError(f"DateTime cannot represent {value!r}.")
    if value.tzinfo is None and not settings.USE_TZ:
        value = timezone.make_aware(value, timezone.get_default_timezone())
    if value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC)
        except OverflowError:  # year 1 or 9999 in a zone that UTC puts past the calendar
            raise GraphQLError(f"DateTime cannot represent {value!r} in UTC.") from None
    return value.isoformat()


def parse_datetime(value: Any) -> dt.datetime:
    text = _expect_str(value, "DateTime")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise GraphQLError(f"DateTime cannot represent {text!r}: not ISO 8601.") from None
    if settings.USE_TZ and parsed.tzinfo is None:
        raise GraphQLError(f"DateTime {text!r} has no UTC offset (e.g. 'Z' or '+02:00').")
    if parsed.tzinfo is not None:
        try:
            parsed.astimezone(dt.UTC)  # databases store UTC: it must exist there too
            if not settings.USE_TZ:  # Django stores naive datetimes in TIME_ZONE then
                parsed = timezone.make_naive(parsed, timezone.get_default_timezone())
        except OverflowError:
            raise GraphQLError(f"DateTime {text!r} is out of range.") from None
    return parsed


# Date / Time -----------------------------------------------------------------------------------


def serialize_date(value: Any) -> str:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise GraphQLError(f"Date cannot represent {value!r}.")
    return value.isoformat()


def parse_date(value: Any) -> dt.date:
    text = _expect_str(value, "Date")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise GraphQLError(f"Date cannot represent {text!r}: expected YYYY-MM-DD.") from None


def serialize_time(value: Any) -> str:
    if not isinstance(value, dt.time):
        raise GraphQLError(f"Time cannot represent {value!r}.")
    return value.isoformat()


def parse_time(value: Any) -> dt.time:
    """A time of day without a UTC offset: Django's TimeField stores none (SQLite fails on one,
    PostgreSQL's `time` column drops it), so `10:00+02:00` is refused rather than shifted."""
    text = _expect_str(value, "Time")
    try:
        parsed = dt.time.fromisoformat(text)
    except ValueError:
        raise GraphQLError(
            f"Time cannot represent {text!r}: expected HH:MM[:SS[.ffffff]]."
        ) from None
    if parsed.tzinfo is not None:
        raise GraphQLError(f"Time {text!r} has a UTC offset; a time of day takes none.")
    return parsed


# Decimal ---------------------------------------------------------------------------------------


def serialize_decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise GraphQLError(f"Decimal cannot represent {value!r}.")


DECIMAL_MAX_EXPONENT = 1000


def _to_decimal(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise GraphQLError(f"Decimal cannot represent {text!r}.") from None
    if not number.is_finite():
        raise GraphQLError(f"Decimal cannot represent {text!r}: not a finite number.")
    if (
        number.adjusted() > DECIMAL_MAX_EXPONENT
        or number.as_tuple().exponent < -DECIMAL_MAX_EXPONENT
    ):
        # PostgreSQL's numeric stops at 131,072 digits before the point and 16,383 after it
        # ("value overflows numeric format" in a filter); no decimal column comes close.
        raise GraphQLError(
            f"Decimal cannot represent {text[:40]!r}: more than {DECIMAL_MAX_EXPONENT} digits"
            " before or after the point."
        )
    # "-0" would come back as "-0.00" from the saved row and "0.00" once read again.
    return number.copy_abs() if number.is_zero() else number


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise GraphQLError("Decimal cannot represent a boolean.")
    if isinstance(value, int):
        return _to_decimal(str(value))
    if isinstance(value, float):
        raise GraphQLError("Decimal values are sent as strings to keep every digit.")
    return _to_decimal(_expect_str(value, "Decimal"))


def parse_decimal_literal(node: ValueNode, _variables: Any = None) -> Decimal:
    # Literals keep their source text, so even `1.10` is exact here.
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return _to_decimal(node.value)
    raise GraphQLError("Decimal cannot represent this value.", node)


# UUID ------------------------------------------------------------------------------------------


def serialize_uuid(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    raise GraphQLError(f"UUID cannot represent {value!r}.")


def parse_uuid(value: Any) -> uuid.UUID:
    text = _expect_str(value, "UUID")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise GraphQLError(f"UUID cannot represent {text!r}.") from None


# Duration --------------------------------------------------------------------------------------


def serialize_duration(value: Any) -> str:
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    raise GraphQLError(f"Duration cannot represent {value!r}.")


#: SQLite and MySQL store a DurationField as 64-bit microseconds, about 106,751,991 days either
#: way; PostgreSQL reaches further, but a value must mean the same on every backend.
_MAX_DURATION_MICROSECONDS = 2**63 - 1


_NUMBER = r"\d+(?:[.,]\d+)?"
_MICROSECONDS_PER = {
    "weeks": 7 * 86_400_000_000,
    "days": 86_400_000_000,
    "hours": 3_600_000_000,
    "minutes": 60_000_000,
    "seconds": 1_000_000,
}
#: ISO 8601 durations: weeks, days and a time part; years and months are matched only to be
#: refused by name. A `T` must be followed by a time component, and `P` alone is nothing.
_ISO_DURATION = re.compile(
    rf"(?P<sign>[-+]?)P(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?"
    rf"(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?"
)


def parse_duration_value(value: Any) -> dt.timedelta:
    """Any ISO 8601 duration with a fixed length (weeks, days, hours, minutes, seconds, with a
    sign and fractions), as long as the database can store it: Python's timedelta reaches
    further (almost a billion days), and a longer one overflows in the driver halfway through a
    write. Django's own `parse_duration` knows no weeks and takes `P` or `PT` for zero."""
    text = _expect_str(value, "Duration")
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    match = _ISO_DURATION.fullmatch(text)
    parts = match.groupdict() if match else {}
    if not match or all(v is None for k, v in parts.items() if k != "sign"):
        raise GraphQLError(f"Duration cannot represent {shown}: expected ISO 8601 (P1DT2H).")
    if parts["years"] is not None or parts["months"] is not None:
        raise GraphQLError(
            f"Duration cannot represent {shown}: years and months have no fixed length;"
            " give weeks or days (P30D)."
        )
    microseconds = sum(
        Decimal(number.replace(",", ".")) * _MICROSECONDS_PER[unit]
        for unit, number in parts.items()
        if unit in _MICROSECONDS_PER and number is not None
    )  # exact, where timedelta(seconds=float) would round a long duration's microseconds
    microseconds = int(microseconds.to_integral_value())  # half to even, as timedelta rounds
    if abs(microseconds) > _MAX_DURATION_MICROSECONDS:
        raise GraphQLError(f"Duration {shown} is out of range: at most 106751991 days either way.")
    parsed = dt.timedelta(microseconds=microseconds)
    if parts["sign"] == "-":
        parsed = -parsed
    return parsed


# BigInt ----------------------------------------------------------------------------------------


def serialize_bigint(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise GraphQLError(f"BigInt cannot represent {value!r}.")


def parse_bigint(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    raise GraphQLError(f"BigInt cannot represent {value!r}: send an integer or a string of digits.")


def parse_bigint_literal(node: ValueNode, _variables: Any = None) -> int:
    if isinstance(node, IntValueNode | StringValueNode) and _INTEGER.match(node.value):
        return int(node.value)
    raise GraphQLError("BigInt cannot represent this value.", node)


# JSON ------------------------------------------------------------------------------------------

#: How deep a JSON value may nest. orjson, which writes every response, stops at 254 levels, and
#: a response wraps the value in a few levels of its own (data, the fields and lists above it).
MAX_JSON_DEPTH = 128
_JSON_INTEGERS = range(-(2**63), 2**64)  # what orjson writes


def json_problem(value: Any) -> str | None:
    """Why `value` could not be written back as JSON, or None when it can.

    A JSON column accepts more than a response can carry (deeper nesting, integers beyond 64
    bits from a literal, a file mapped into a variable): stored, such a value would fail every
    response that reads it. The rules are orjson's, which writes the responses, with a lower
    depth. Walked with a stack, since a value may nest past Python's recursion limit.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"it nests deeper than {MAX_JSON_DEPTH} levels"
            if isinstance(item, dict) and not all(isinstance(key, str) for key in item):
                return "an object key is not a string"
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif item is None or isinstance(item, str | bool):
            continue
        elif isinstance(item, int):
            if item not in _JSON_INTEGERS:
                return "an integer is beyond 64 bits"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{item} is not a finite number"
        else:
            try:  # what orjson writes natively (a datetime, a UUID, a dataclass) may be output
                orjson.dumps(item)
            except orjson.JSONEncodeError:
                return f"{type(item).__name__} is not a JSON value"
    return None


def serialize_json(value: Any) -> Any:
    """Refuse a stored value no response can carry: the field is null with an error, instead
    of the whole response failing to encode."""
    problem = json_problem(value)
    if problem is not None:
        raise GraphQLError(f"JSON cannot represent the stored value: {problem}.")
    return value


def parse_json_value(value: Any) -> Any:
    """Refuse on input what could not be written back, so that nothing is stored first."""
    problem = json_problem(value)
    if problem is not None:
        raise GraphQLError(f"JSON cannot represent this value: {problem}.")
    return value


def parse_json_literal(node: ValueNode, variables: Any = None) -> Any:
    value = value_from_ast_untyped(node, variables)
    problem = json_problem(value)
    if problem is not None:
        raise GraphQLError(f"JSON cannot represent this value: {problem}.", node)
    return value


# Upload ----------------------------------------------------------------------------------------


def parse_upload(value: Any) -> Any:
    from django.core.files.uploadedfile import UploadedFile

    if isinstance(value, UploadedFile):
        return value
    raise GraphQLError("Upload expects a file sent with the GraphQL multipart request spec.")


def _no_serialize(value: Any) -> Any:
    raise GraphQLError("Upload is an input-only scalar.")


def _no_literal(node: ValueNode, _variables: Any = None) -> Any:
    raise GraphQLError("Upload values come from the multipart request, not the document.", node)


def _string_literal(parse):
    def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
        return parse(_literal_string(node, "value"))

    return parse_literal


DateTime = GraphQLScalarType(
    "DateTime",
    description="ISO 8601 date and time with a UTC offset; output is always in UTC.",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
    parse_literal=_string_literal(parse_datetime),
)
Date = GraphQLScalarType(
    "Date",
    description="ISO 8601 calendar date (YYYY-MM-DD).",
    serialize=serialize_date,
    parse_value=parse_date,
    parse_literal=_string_literal(parse_date),
)
Time = GraphQLScalarType(
    "Time",
    description="ISO 8601 time of day (HH:MM:SS[.ffffff]).",
    serialize=serialize_time,
    parse_value=parse_time,
    parse_literal=_string_literal(parse_time),
)
DecimalScalar = GraphQLScalarType(
    "Decimal",
    description="Exact decimal number as a string, with the field's decimal places.",
    serialize=serialize_decimal,
    parse_value=parse_decimal,
    parse_literal=parse_decimal_literal,
)
UUID = GraphQLScalarType(
    "UUID",
    description="RFC 4122 UUID in its canonical string form.",
    serialize=serialize_uuid,
    parse_value=parse_uuid,
    parse_literal=_string_literal(parse_uuid),
)
Duration = GraphQLScalarType(
    "Duration",
    description="ISO 8601 duration, e.g. P1DT02H30M00S.",
    serialize=serialize_duration,
    parse_value=parse_duration_value,
    parse_literal=_string_literal(parse_duration_value),
)
BigInt = GraphQLScalarType(
    "BigInt",
    description="Integer beyond 32 bits; a string on output, a string or an integer on input.",
    serialize=serialize_bigint,
    parse_value=parse_bigint,
    parse_literal=parse_bigint_literal,
)
JSON = GraphQLScalarType(
    "JSON",
    description="Any JSON value.",
    serialize=serialize_json,
    parse_value=parse_json_value,
    parse_literal=parse_json_literal,
)
Upload = GraphQLScalarType(
    "Upload",
    description="A file sent with the GraphQL multipart request specification.",
    serialize=_no_serialize,
    parse_value=parse_upload,
    parse_literal=_no_literal,
)

ALL_SCALARS = (DateTime, Date, Time, DecimalScalar, UUID, Duration, BigInt, JSON, Upload)
