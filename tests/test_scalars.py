"""Every field type of the example survives output and input (as a filter value) without loss."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils.dateparse import parse_duration
from graphql import GraphQLError

from django_graphql_auto.schema import scalars
from tests import factories as f

pytestmark = pytest.mark.django_db

POST_FIELDS = """
  id title slug body status views rating score price published_at uuid reading_time
  metadata cover attachment is_featured created_at updated_at
"""


@pytest.fixture
def rich_post():
    return f.post(
        title="Ünïcode — “quotes” & <tags>",
        slug="unicode-post",
        body="line one\nline two\ttab",
        status="published",
        views=2_147_483_647,
        rating=0.1 + 0.2,
        score=2**62 + 7,  # beyond 2^53: a JSON float would lose it
        price=Decimal("12345678.90"),
        published_at=dt.datetime(2024, 7, 1, 23, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Tokyo")),
        uuid=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        reading_time=dt.timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=5),
        metadata={"nested": {"list": [1, 2.5, "x", None, True]}, "emoji": "🎉"},
        cover="covers/pic.png",
        is_featured=True,
    )


def test_post_output_round_trips(graphql, rich_post):
    post = rich_post
    post.refresh_from_db()
    data = graphql(f"{{ post(id: {post.pk}) {{ {POST_FIELDS} }} }}").ok()["post"]
    assert data["id"] == str(post.pk)
    assert data["title"] == post.title
    assert data["body"] == post.body
    assert data["status"] == "PUBLISHED"
    assert data["views"] == post.views
    assert data["rating"] == post.rating
    assert isinstance(data["score"], str) and int(data["score"]) == post.score
    assert data["price"] == "12345678.90"
    published = dt.datetime.fromisoformat(data["published_at"])
    assert published == post.published_at and published.utcoffset() == dt.timedelta(0)
    assert uuid.UUID(data["uuid"]) == post.uuid
    assert parse_duration(data["reading_time"]) == post.reading_time
    assert data["metadata"] == post.metadata
    assert data["cover"] == "/media/covers/pic.png"
    assert data["attachment"] is None
    assert data["is_featured"] is True
    assert dt.datetime.fromisoformat(data["created_at"]) == post.created_at
    assert dt.datetime.fromisoformat(data["updated_at"]) == post.updated_at


def test_post_values_round_trip_as_filter_input(graphql, rich_post):
    """What the API prints, the API accepts back and matches exactly the same row."""
    f.post()  # a second row that must not match
    data = graphql(f"{{ post(id: {rich_post.pk}) {{ {POST_FIELDS} }} }}").ok()["post"]
    for field in (
        "title",
        "status",
        "views",
        "rating",
        "score",
        "price",
        "published_at",
        "uuid",
        "reading_time",
        "is_featured",
        "created_at",
    ):
        result = graphql(
            "query($f: PostFilter) { posts(filters: $f) { id } }",
            {"f": {field: {"exact": data[field]}}},
        )
        assert result.ok()["posts"] == [{"id": str(rich_post.pk)}], field


def test_decimal_keeps_decimal_places(graphql):
    post = f.post(price=Decimal("7"))
    assert graphql(f"{{ post(id: {post.pk}) {{ price }} }}").ok()["post"]["price"] == "7.00"


@pytest.mark.parametrize("price", ["-0", "-0.00", "0"])
def test_a_negative_zero_decimal_is_zero(graphql, price):
    """The payload answers from the saved row: it must show what a later read shows."""
    author = f.author()
    result = graphql(
        "mutation($i: CreatePostInput!) { create_post(input: $i) { ok object { id price } } }",
        {"i": {"title": "t", "slug": "t", "body": "b", "author": str(author.pk), "price": price}},
    )
    created = result.ok()["create_post"]["object"]
    assert created["price"] == "0.00"
    read = graphql(f"{{ post(id: {created['id']}) {{ price }} }}").ok()["post"]
    assert read == {"price": "0.00"}


def test_clinic_types_round_trip(graphql):
    clinic = f.clinic(
        opening_time=dt.time(7, 45, 30),
        closing_time=dt.time(23, 59, 59, 999999),
        website="https://example.org/clinic?x=1",
        founded=dt.date(1999, 12, 31),
    )
    appointment = f.appointment(
        doctor=f.doctor(clinic=clinic, specialty="cardiology"),
        priority=3,
        duration=dt.timedelta(minutes=45),
        fee=Decimal("0.05"),
    )
    data = graphql(
        f"""{{
          clinic(id: {clinic.pk}) {{ opening_time closing_time website founded }}
          appointment(id: {appointment.pk}) {{
            priority status duration fee reference
            doctor {{ specialty license_number clinic {{ name }} }}
          }}
        }}"""
    ).ok()
    assert dt.time.fromisoformat(data["clinic"]["opening_time"]) == clinic.opening_time
    assert dt.time.fromisoformat(data["clinic"]["closing_time"]) == clinic.closing_time
    assert data["clinic"]["website"] == clinic.website
    assert dt.date.fromisoformat(data["clinic"]["founded"]) == clinic.founded
    # IntegerChoices: the name of value 3 is "_3" (SPEC §10: a leading digit gets "_").
    assert data["appointment"]["priority"] == "_3"
    assert data["appointment"]["status"] == "SCHEDULED"
    assert parse_duration(data["appointment"]["duration"]) == dt.timedelta(minutes=45)
    assert data["appointment"]["fee"] == "0.05"
    assert uuid.UUID(data["appointment"]["reference"]) == appointment.reference
    assert data["appointment"]["doctor"]["specialty"] == "CARDIOLOGY"
    for field, value in (
        ("opening_time", data["clinic"]["opening_time"]),
        ("founded", data["clinic"]["founded"]),
    ):
        result = graphql(
            "query($f: ClinicFilter) { clinics(filters: $f) { id } }",
            {"f": {field: {"exact": value}}},
        )
        assert result.ok()["clinics"] == [{"id": str(clinic.pk)}]
    result = graphql("{ appointments(filters: {priority: {exact: _3}}) { id } }")
    assert result.ok()["appointments"] == [{"id": str(appointment.pk)}]


def test_blank_choice_is_null(graphql):
    patient = f.patient(blood_type="")
    data = graphql(f"{{ patient(id: {patient.pk}) {{ blood_type }} }}").ok()
    assert data["patient"]["blood_type"] is None


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        (scalars.DateTime, "2024-01-01T10:00:00"),  # naive: refused when USE_TZ
        (scalars.DateTime, "yesterday"),
        (scalars.Date, "2024-13-01"),
        (scalars.Time, "25:00"),
        (scalars.DecimalScalar, 0.1),  # floats lose digits: refused
        (scalars.DecimalScalar, "NaN"),
        (scalars.UUID, "not-a-uuid"),
        (scalars.Duration, "3 days"),
        (scalars.BigInt, "12.5"),
        (scalars.BigInt, True),
    ],
)
def test_scalars_refuse_what_they_cannot_represent(scalar, value):
    with pytest.raises(GraphQLError):
        scalar.parse_value(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1W", dt.timedelta(weeks=1)),
        ("P2W3D", dt.timedelta(days=17)),
        ("+P1D", dt.timedelta(days=1)),
        (
            "-P1DT02H03M04.000005S",
            -dt.timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=5),
        ),
        ("PT36H", dt.timedelta(hours=36)),
        ("P1,5D", dt.timedelta(days=1, hours=12)),
        ("PT0.5S", dt.timedelta(milliseconds=500)),
        ("P0D", dt.timedelta(0)),
        # exact to the microsecond, where a float of seconds would not be
        ("PT9223372036854.775807S", dt.timedelta(microseconds=9223372036854775807)),
    ],
)
def test_duration_input_takes_any_fixed_length_iso_8601_duration(text, expected):
    assert scalars.Duration.parse_value(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("P", "expected ISO 8601"),  # no component at all: Django's parse_duration says zero
        ("PT", "expected ISO 8601"),
        ("P1DT", "expected ISO 8601"),  # a T with no time after it
        ("PT1D", "expected ISO 8601"),
        ("P1Y", "years and months have no fixed length"),
        ("P2M", "years and months have no fixed length"),
        ("1 02:00:00", "expected ISO 8601"),  # Django's own format, not ISO 8601
        ("PT9223372036854.775808S", "out of range"),
    ],
)
def test_duration_input_refuses_what_is_not_a_fixed_length_iso_8601_duration(text, reason):
    with pytest.raises(GraphQLError, match=reason):
        scalars.Duration.parse_value(text)


def test_duration_output_reads_back_as_input():
    for value in (dt.timedelta(days=-1, seconds=5), dt.timedelta(microseconds=1), dt.timedelta(0)):
        assert scalars.Duration.parse_value(scalars.Duration.serialize(value)) == value


def test_bigint_accepts_string_and_integer():
    assert scalars.BigInt.parse_value("9223372036854775807") == 2**63 - 1
    assert scalars.BigInt.parse_value(-5) == -5


def test_datetime_output_is_utc():
    value = dt.datetime(2024, 1, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert scalars.DateTime.serialize(value) == "2024-01-01T08:00:00+00:00"


@override_settings(USE_TZ=False, TIME_ZONE="Europe/Berlin")
def test_without_use_tz_datetimes_are_local_time_and_output_in_utc(graphql):
    """With USE_TZ off Django stores naive datetimes in TIME_ZONE. An input with an offset was
    a 500 on SQLite (its backend refuses aware datetimes then); output had no offset."""
    post = f.post(published_at=dt.datetime(2024, 1, 1, 12, 0))  # noon in Berlin, 11:00 UTC
    query = "query($f: PostFilter) { posts(filters: $f) { id published_at } }"
    for given in ("2024-01-01T11:00:00Z", "2024-01-01T13:00:00+02:00", "2024-01-01T12:00:00"):
        data = graphql(query, {"f": {"published_at": {"exact": given}}}).ok()
        assert data["posts"] == [{"id": str(post.pk), "published_at": "2024-01-01T11:00:00+00:00"}]
    created = graphql(
        "mutation($id: ID!) { update_post(id: $id, input: {published_at: "
        '"2024-06-01T08:00:00Z"}) { ok object { published_at } } }',
        {"id": str(post.pk)},
    ).ok()["update_post"]
    assert created == {"ok": True, "object": {"published_at": "2024-06-01T08:00:00+00:00"}}
    post.refresh_from_db()
    assert post.published_at == dt.datetime(2024, 6, 1, 10, 0)  # summer time in Berlin


def test_bad_scalar_input_is_a_client_error(graphql):
    result = graphql('{ posts(filters: {uuid: {exact: "nope"}}) { id } }')
    assert result.status == 400
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    result = graphql(
        "query($f: PostFilter) { posts(filters: $f) { id } }",
        {"f": {"published_at": {"exact": "2024-01-01T10:00:00"}}},
    )
    assert result.status == 400
    assert result.codes == ["BAD_USER_INPUT"]
