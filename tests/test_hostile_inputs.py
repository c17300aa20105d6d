"""Hostile or out-of-range input is refused as the client's error, and nothing is written.

Each case used to end in a 500 (sometimes after a write had committed): deeply nested
variables, JSON values a response cannot carry, an overflowing Float literal, a Duration beyond
64-bit microseconds, a Time with a UTC offset, a multipart body Django refuses to parse, a GET
with too many parameters.
"""

from __future__ import annotations

import json

import pytest
from blog.models import Post
from clinic.models import Clinic
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from django_graphql_auto.execution.hygiene import MAX_VARIABLE_DEPTH
from django_graphql_auto.schema.scalars import MAX_JSON_DEPTH
from tests import factories as f

pytestmark = pytest.mark.django_db

PAYLOAD = "{ ok field_errors { field code } object { id } }"
CREATE_POST = "mutation($i: CreatePostInput!) { create_post(input: $i) " + PAYLOAD + " }"
CREATE_CLINIC = "mutation($i: CreateClinicInput!) { create_clinic(input: $i) " + PAYLOAD + " }"


def nested_list(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


def literal_list(levels: int) -> str:
    return "[" * levels + "]" * levels


def post_input(**fields) -> dict:
    author = f.author()
    return {"title": "t", "slug": "s", "body": "b", "author": str(author.pk), **fields}


def create_post_literal(fields: str) -> str:
    author = f.author()
    columns = f'title: "t", slug: "s", body: "b", author: "{author.pk}", {fields}'
    return f"mutation {{ create_post(input: {{{columns}}}) {PAYLOAD} }}"


def error_codes(response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


# D1: variables nested past Python's recursion limit ----------------------------------------------


@pytest.mark.parametrize("levels", [MAX_VARIABLE_DEPTH + 1, 600])
def test_deeply_nested_variables_are_refused(graphql, levels):
    result = graphql("{ posts { id } }", {"unused": nested_list(levels)})
    assert result.status == 400
    assert result.codes == ["BAD_USER_INPUT"]
    assert "nest" in result.errors[0]["message"]


def test_deeply_nested_write_writes_nothing(graphql):
    result = graphql(CREATE_POST, {"i": post_input(metadata=nested_list(400))})
    assert result.status == 400
    assert result.codes == ["BAD_USER_INPUT"]
    assert not Post.objects.exists()
    value = nested_list(MAX_JSON_DEPTH - 2)  # within the limit: variables > i > metadata
    result = graphql(CREATE_POST, {"i": post_input(metadata=value)})
    assert result.ok()["create_post"]["ok"] is True
    assert Post.objects.get().metadata == value


# D2, D3, D11: JSON values no response could carry ------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        literal_list(MAX_JSON_DEPTH + 1),
        "{x: 99999999999999999999999}",  # beyond 64 bits
        "{x: 1e400}",  # infinity
    ],
)
def test_json_literal_that_cannot_be_written_back_is_refused(graphql, literal):
    result = graphql(create_post_literal(f"metadata: {literal}"))
    assert result.status == 400
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "JSON cannot represent" in result.errors[0]["message"]
    assert not Post.objects.exists()


def test_json_variable_too_deep_is_refused(graphql):
    result = graphql(
        "query($m: JSON) { posts(filters: {metadata: {exact: $m}}) { id } }",
        {"m": nested_list(MAX_JSON_DEPTH + 1)},
    )
    assert result.status == 400
    assert result.codes == ["BAD_USER_INPUT"]


def _multipart(client, query: str, variables: dict, path: str):
    operations = json.dumps({"query": query, "variables": variables})
    data = {
        "operations": operations,
        "map": json.dumps({"0": [path]}),
        "0": SimpleUploadedFile("a.txt", b"hi"),
    }
    return client.post("/graphql/", data, HTTP_ACCEPT="application/graphql-response+json")


def test_upload_mapped_into_a_json_filter_is_refused(client):
    response = _multipart(
        client,
        "query($f: PostFilter) { posts(filters: $f) { id } }",
        {"f": {"metadata": {"exact": None}}},
        "variables.f.metadata.exact",
    )
    assert response.status_code == 400
    assert error_codes(response) == ["BAD_USER_INPUT"]


def test_upload_mapped_into_a_json_field_writes_nothing(client):
    response = _multipart(
        client, CREATE_POST, {"i": post_input(metadata=None)}, "variables.i.metadata"
    )
    assert response.status_code == 400
    assert error_codes(response) == ["BAD_USER_INPUT"]
    assert not Post.objects.exists()


def test_stored_json_that_cannot_be_written_is_a_field_error_after_a_committed_write(graphql):
    post = f.post(metadata={"x": 2**70})  # written around the API
    result = graphql(
        'mutation($id: ID!) { update_post(id: $id, input: {title: "new"}) '
        "{ ok object { id metadata } } }",
        {"id": str(post.pk)},
    )
    assert result.status == 200
    assert result.data["update_post"]["ok"] is True
    assert result.codes == ["INTERNAL_SERVER_ERROR"]
    assert "JSON cannot represent the stored value" in result.errors[0]["message"]
    post.refresh_from_db()
    assert post.title == "new"


@pytest.mark.parametrize(
    ("stored", "reason"),
    [({"x": 2**70}, "beyond 64 bits"), (nested_list(300), "nests deeper")],
)
def test_stored_json_that_cannot_be_written_is_an_error_at_that_value(
    graphql, monkeypatch, stored, reason
):
    """Like any stored value its scalar refuses (an enum value outside the choices): a located
    INTERNAL_SERVER_ERROR, nulls propagated as the schema's non-null types say (`metadata` and
    the list's items are non-null, so `posts` is null), the same on both execution paths,
    never a 500."""
    from django_graphql_auto.execution import engine

    f.post(metadata=stored)
    f.post(slug="other")
    query = "{ posts(order_by: [{id: ASC}]) { id metadata } }"
    result = graphql(query)
    assert result.status == 200
    assert result.data == {"posts": None}
    assert result.codes == ["INTERNAL_SERVER_ERROR"]
    assert result.errors[0]["path"] == ["posts", 0, "metadata"]
    assert reason in result.errors[0]["message"]
    monkeypatch.setattr(engine, "execute_compiled", lambda *args: None)
    assert graphql(query).body == result.body


# D4: a Float literal that overflows to infinity -------------------------------------------------


def test_float_literal_overflowing_a_double_writes_nothing(graphql):
    result = graphql(create_post_literal("rating: 1e400"))
    assert result.status == 400
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "not a finite number" in result.errors[0]["message"]
    assert not Post.objects.exists()
    result = graphql(create_post_literal("rating: 1.5e300"))
    assert result.ok()["create_post"]["ok"] is True
    assert Post.objects.get().rating == 1.5e300


@pytest.mark.parametrize(
    "query",
    [
        "{ posts(filters: {rating: {gt: -1e400}}) { id } }",
        "{ posts(filters: {rating: {in: [1.5, 1e309]}}) { id } }",
        "{ posts(filters: {rating: {lt: 1" + "0" * 400 + "}}) { id } }",
        "query($r: Float = 1e400) { posts(filters: {rating: {gt: $r}}) { id } }",
    ],
    ids=["negative", "in_a_list", "integer_literal", "variable_default"],
)
def test_float_filter_literal_overflowing_a_double_is_refused(graphql, query):
    result = graphql(query)
    assert result.status == 400
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]


# D6: a Duration beyond 64-bit microseconds ------------------------------------------------------


@pytest.mark.parametrize("duration", ["P999999999D", "-P999999999D"])
def test_duration_beyond_64_bit_microseconds_writes_nothing(graphql, duration):
    result = graphql(CREATE_POST, {"i": post_input(reading_time=duration)})
    assert result.status == 400
    assert result.codes == ["BAD_USER_INPUT"]
    assert "out of range" in result.errors[0]["message"]
    assert not Post.objects.exists()


def test_duration_beyond_64_bit_microseconds_in_bulk_and_nested_writes_nothing(graphql):
    good = post_input()
    result = graphql(
        "mutation($i: [CreatePostInput!]!) { bulk_create_post(inputs: $i) { ok } }",
        {"i": [good, {**good, "slug": "s2", "reading_time": "-P999999999D"}]},
    )
    assert (result.status, result.codes) == (400, ["BAD_USER_INPUT"])
    result = graphql(
        "mutation($i: CreateAuthorInput!) { create_author(input: $i) { ok } }",
        {
            "i": {
                "name": "n",
                "email": "n@example.com",
                "nested_posts": [
                    {"title": "t", "slug": "s", "body": "b", "reading_time": "P106751992D"}
                ],
            }
        },
    )
    assert (result.status, result.codes) == (400, ["BAD_USER_INPUT"])
    assert not Post.objects.exists()


def test_duration_filter_beyond_64_bit_microseconds_is_refused_before_a_write(graphql):
    # The filter sits in the payload selection: it used to fail only after the row committed.
    result = graphql(
        "mutation($i: CreatePostInput!) { create_post(input: $i) { ok object { author { "
        'posts(filters: {reading_time: {gt: "P999999999D"}}) { id } } } } }',
        {"i": post_input()},
    )
    assert result.status == 400
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert not Post.objects.exists()


def test_longest_storable_duration_is_the_limit(graphql):
    result = graphql(CREATE_POST, {"i": post_input(reading_time="-P106751992D")})
    assert (result.status, result.codes) == (400, ["BAD_USER_INPUT"])
    result = graphql(CREATE_POST, {"i": post_input(reading_time="P106751991D")})
    assert result.ok()["create_post"]["ok"] is True
    read = graphql("{ posts { reading_time } }").ok()
    assert read["posts"] == [{"reading_time": "P106751991DT00H00M00S"}]


# D7: a Time with a UTC offset ------------------------------------------------------------------


@pytest.mark.parametrize("time", ["10:00:00+02:00", "08:00Z"])
def test_time_with_a_utc_offset_writes_nothing(graphql, time):
    result = graphql(
        CREATE_CLINIC, {"i": {"name": "c", "opening_time": time, "closing_time": "18:00"}}
    )
    assert result.status == 400
    assert result.codes == ["BAD_USER_INPUT"]
    assert "UTC offset" in result.errors[0]["message"]
    assert not Clinic.objects.exists()


def test_time_filter_with_a_utc_offset_is_refused(graphql):
    f.clinic()
    result = graphql('{ clinics(filters: {opening_time: {gt: "10:00Z"}}) { id } }')
    assert result.status == 400
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]


# D9: multipart bodies Django refuses to parse ---------------------------------------------------

OPERATIONS = json.dumps({"query": "{ posts { id } }"})


def _refused(response, status: int) -> None:
    assert response.status_code == status, response.content[:200]
    assert error_codes(response) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_multipart_without_a_boundary_is_a_bad_request(client, content_type):
    response = client.generic(
        "POST", "/graphql/", b"garbage", content_type=content_type, HTTP_ACCEPT="application/json"
    )
    _refused(response, 400)


def test_multipart_with_too_many_files_is_a_bad_request(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = {str(i): SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(4)}
    response = client.post("/graphql/", {"operations": OPERATIONS, "map": "{}", **files})
    _refused(response, 400)


def test_multipart_with_too_many_fields_is_a_bad_request(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"f{i}": "x" for i in range(10)}
    response = client.post("/graphql/", {"operations": OPERATIONS, "map": "{}", **fields})
    _refused(response, 400)


def test_multipart_operations_over_djangos_memory_limit_is_too_large(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    operations = json.dumps({"query": "{ posts { id } }", "variables": {"pad": "x" * 2000}})
    response = client.post("/graphql/", {"operations": operations, "map": "{}"})
    _refused(response, 413)


def test_malformed_multipart_read_by_the_csrf_check_is_a_bad_request(django_user_model):
    # A cookie-authenticated POST runs Django's CSRF check, which parses the body first.
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user("u", password="p"))
    client.cookies["csrftoken"] = _get_new_csrf_string()
    response = client.generic("POST", "/graphql/", b"garbage", content_type="multipart/form-data")
    _refused(response, 400)


# D10: a GET with more parameters than Django parses ---------------------------------------------


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_get_with_too_many_parameters_is_a_bad_request(client, settings, accept):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    extra = "&".join(f"x{i}=1" for i in range(10))
    response = client.get(
        f"/graphql/?query=%7B%20posts%20%7B%20id%20%7D%20%7D&{extra}", HTTP_ACCEPT=accept
    )
    _refused(response, 400)
