"""File uploads with the GraphQL multipart request specification, through real HTTP."""

from __future__ import annotations

import io
import json

import pytest
from blog.models import Post
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests import factories as f

pytestmark = pytest.mark.django_db

CREATE = """mutation($input: CreatePostInput!) {
  create_post(input: $input) {
    ok errors field_errors { field code } object { id cover attachment }
  }
}"""


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _post_input(author) -> dict:
    return {"title": "With files", "slug": "files", "body": "b", "author": str(author.pk)}


def _upload(client, query, variables, files: dict[str, tuple[list[str], SimpleUploadedFile]]):
    data = {
        "operations": json.dumps({"query": query, "variables": variables}),
        "map": json.dumps({key: paths for key, (paths, _) in files.items()}),
    }
    data.update({key: upload for key, (_, upload) in files.items()})
    response = client.post("/graphql/", data, HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


def test_upload_stores_the_file_and_returns_its_url(client, media):
    author = f.author()
    status, body = _upload(
        client,
        CREATE,
        {"input": {**_post_input(author), "cover": None, "attachment": None}},
        {
            "0": (["variables.input.cover"], SimpleUploadedFile("pic.png", _png(), "image/png")),
            "1": (["variables.input.attachment"], SimpleUploadedFile("a.txt", b"hello")),
        },
    )
    assert status == 200, body
    payload = body["data"]["create_post"]
    assert payload["ok"] is True, payload
    assert payload["object"]["cover"].startswith("/media/covers/pic")
    post = Post.objects.get()
    assert (media / post.cover.name).read_bytes() == _png()
    assert (media / post.attachment.name).read_bytes() == b"hello"


@pytest.mark.parametrize(
    ("field", "upload", "code"),
    [
        ("attachment", SimpleUploadedFile("evil.exe", b"MZ..."), "invalid_extension"),
        ("cover", SimpleUploadedFile("fake.png", b"not an image"), "invalid_image"),
        ("attachment", SimpleUploadedFile("big.txt", b"x" * 2048), "file_too_large"),
    ],
)
def test_refused_uploads_store_nothing(client, media, settings, field, upload, code):
    settings.GRAPHQL_AUTO_MODELS = {
        "blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"], "UPLOAD_MAX_BYTES": 1024}
    }
    author = f.author()
    status, body = _upload(
        client,
        CREATE,
        {"input": {**_post_input(author), field: None}},
        {"0": ([f"variables.input.{field}"], upload)},
    )
    assert status == 200
    payload = body["data"]["create_post"]
    assert payload["ok"] is False
    assert payload["field_errors"] == [{"field": field, "code": code}]
    assert Post.objects.count() == 0
    assert not any(p.is_file() for p in media.rglob("*"))


def test_a_later_error_removes_the_stored_file(client, media):
    """The file is written before a nested child fails; the rollback must not leave it behind."""
    author = f.author()
    _status, body = _upload(
        client,
        CREATE,
        {
            "input": {
                **_post_input(author),
                "attachment": None,
                "nested_comments": [{"author_name": "x" * 500, "body": "too long a name"}],
            }
        },
        {"0": (["variables.input.attachment"], SimpleUploadedFile("a.txt", b"hello"))},
    )
    payload = body["data"]["create_post"]
    assert payload["ok"] is False
    assert payload["field_errors"][0]["field"] == "nested_comments.0.author_name"
    assert Post.objects.count() == 0
    assert not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize(
    ("operations", "mapping", "message"),
    [
        (None, {}, "no 'operations' part"),
        ("{bad", {}, "not valid JSON"),
        ({"query": "{ tags { id } }"}, {"0": ["query"]}, "must point into variables"),
        ({"query": "{ tags { id } }"}, {"9": ["variables.x"]}, "which was not sent"),
    ],
)
def test_malformed_multipart_requests_are_400(client, operations, mapping, message):
    data = {"map": json.dumps(mapping), "0": SimpleUploadedFile("a.txt", b"x")}
    if operations is not None:
        data["operations"] = operations if isinstance(operations, str) else json.dumps(operations)
    response = client.post("/graphql/", data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


def test_cookie_authenticated_multipart_needs_csrf(admin_user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    data = {
        "operations": json.dumps({"query": "{ tags { id } }"}),
        "map": "{}",
    }
    response = browser.post("/graphql/", data, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    token_client = Client(enforce_csrf_checks=True)  # no session cookie: no CSRF needed
    assert token_client.post("/graphql/", data, HTTP_ACCEPT="application/json").status_code == 200


def test_a_multipart_request_keeps_the_json_body_limit(client, settings):
    """`MAX_REQUEST_BYTES` holds for a document sent as multipart too, files or not: otherwise
    any client escapes it by switching the body type."""
    query = "{ tags { name } }" + " " * 3_000
    settings.DJANGO_GRAPHQL_AUTO = {"MAX_REQUEST_BYTES": 1_000}
    status, body = _upload(client, query, None, {})
    assert status == 413
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    status, body = _upload(client, "{ tags { name } }", None, {})
    assert status == 200 and body == {"data": {"tags": []}}
