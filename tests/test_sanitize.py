"""HTML sanitizing of string inputs with nh3 (SPEC §6 "Input validation", docs/security.md).

The fields the settings name are cleaned on every write path (create, update, bulk create and
update, nested creates) before `full_clean()`, so what is validated is what is stored; other
fields and other models are stored as sent. Each cleaning is a security event.
"""

from __future__ import annotations

import logging

import pytest
from blog.models import Author, Comment, Post
from django.core.exceptions import ImproperlyConfigured
from django.test.utils import override_settings

from django_graphql_auto.conf import load_schema_config
from django_graphql_auto.security.sanitize import cleaner
from tests import factories

pytestmark = pytest.mark.django_db

SECURITY = "django_graphql_auto.security"
HOSTILE = '<p onclick="steal()">Hi <script>alert(1)</script><b>there</b></p>'
CLEAN = "<p>Hi <b>there</b></p>"
# The example project's own model settings, repeated so a test adds one key only.
MODELS = {"blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]}}
OPEN = {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]}


def models(**post: object) -> dict:
    return {"blog.Post": {**MODELS["blog.Post"], **post}}


def create_post(graphql, **fields):
    author = fields.pop("author", None) or factories.author()
    data = {"title": "T", "slug": "t", "body": "B", "author": str(author.pk), **fields}
    return graphql(
        "mutation($i: CreatePostInput!) { create_post(input: $i) { ok field_errors { field } } }",
        {"i": data},
    )


@override_settings(GRAPHQL_AUTO_MODELS=models(SANITIZE_FIELDS=["body"]))
def test_named_field_is_cleaned_on_create(graphql):
    assert create_post(graphql, body=HOSTILE, title=HOSTILE).ok()["create_post"]["ok"]
    post = Post.objects.get()
    assert post.body == CLEAN
    assert post.title == HOSTILE  # not named: stored as sent (templates escape it on output)


@override_settings(GRAPHQL_AUTO_MODELS=models(SANITIZE_FIELDS=["body"]))
def test_named_field_is_cleaned_on_update_and_bulk(graphql):
    post = factories.post()
    result = graphql(
        "mutation($id: ID!, $i: UpdatePostInput!) { update_post(id: $id, input: $i) { ok } }",
        {"id": str(post.pk), "i": {"body": HOSTILE}},
    )
    assert result.ok()["update_post"]["ok"]
    post.refresh_from_db()
    assert post.body == CLEAN

    author = factories.author()
    items = [
        {"title": f"T{i}", "slug": f"t{i}", "body": HOSTILE, "author": str(author.pk)}
        for i in range(3)
    ]
    result = graphql(
        "mutation($v: [CreatePostInput!]!) { bulk_create_post(inputs: $v) { ok } }",
        {"v": items},
    )
    assert result.ok()["bulk_create_post"]["ok"]
    assert set(Post.objects.filter(author=author).values_list("body", flat=True)) == {CLEAN}

    result = graphql(
        "mutation($v: [BulkUpdatePostInput!]!) { bulk_update_post(inputs: $v) { ok } }",
        {"v": [{"id": str(post.pk), "body": "<img src=x onerror=alert(1)>ok"}]},
    )
    assert result.ok()["bulk_update_post"]["ok"]
    post.refresh_from_db()
    assert post.body == '<img src="x">ok'


@override_settings(
    GRAPHQL_AUTO_MODELS={
        **models(SANITIZE_FIELDS=["body"]),
        "blog.Comment": {"SANITIZE_FIELDS": ["body"]},
        "blog.Author": {"SANITIZE_FIELDS": ["bio"]},
    }
)
def test_nested_creates_are_cleaned(graphql):
    data = {
        "title": "T",
        "slug": "t",
        "body": HOSTILE,
        "nested_author": {"name": "A", "email": "a@example.com", "bio": HOSTILE},
        "nested_comments": [{"author_name": HOSTILE, "body": HOSTILE}],
    }
    result = graphql(
        "mutation($i: CreatePostInput!) { create_post(input: $i) { ok } }", {"i": data}
    )
    assert result.ok()["create_post"]["ok"]
    assert Post.objects.get().body == CLEAN
    assert Author.objects.get().bio == CLEAN
    comment = Comment.objects.get()
    assert comment.body == CLEAN
    assert comment.author_name == HOSTILE  # Comment names `body` only


def test_nothing_is_cleaned_by_default(graphql):
    assert create_post(graphql, body=HOSTILE).ok()["create_post"]["ok"]
    assert Post.objects.get().body == HOSTILE


@override_settings(GRAPHQL_AUTO_APPS={"blog": {**OPEN, "SANITIZE_TEXT_FIELDS": True}})
def test_text_field_policy_cleans_every_text_field_but_not_char_fields(graphql):
    assert create_post(graphql, body="a < b " + HOSTILE, title=HOSTILE).ok()["create_post"]["ok"]
    post = Post.objects.get()
    assert post.body == "a &lt; b " + CLEAN  # plain text is escaped: why it is off by default
    assert post.title == HOSTILE  # a CharField


@override_settings(
    GRAPHQL_AUTO_APPS={"blog": {**OPEN, "SANITIZE_TEXT_FIELDS": True}},
    GRAPHQL_AUTO_MODELS=models(SANITIZE_TEXT_FIELDS=False),
)
def test_the_most_specific_level_wins(graphql):
    assert create_post(graphql, body=HOSTILE).ok()["create_post"]["ok"]
    assert Post.objects.get().body == HOSTILE


@override_settings(
    GRAPHQL_AUTO_MODELS=models(
        SANITIZE_FIELDS=["body"],
        SANITIZE_ALLOWED_TAGS=["p", "a"],
        SANITIZE_ALLOWED_ATTRIBUTES={"a": ["href"], "*": ["class"]},
    )
)
def test_allowed_tags_and_attributes_replace_nh3_defaults(graphql):
    body = '<p class="lead" id="x">Hi <b>you</b> <a href="https://e.example" title="t">l</a></p>'
    assert create_post(graphql, body=body).ok()["create_post"]["ok"]
    assert Post.objects.get().body == (
        '<p class="lead">Hi you <a href="https://e.example" rel="noopener noreferrer">l</a></p>'
    )


def test_rel_may_be_managed_by_the_project():
    clean = cleaner(["a"], {"a": ["href", "rel"]})
    assert clean('<a href="/x" rel="nofollow">x</a>') == '<a href="/x" rel="nofollow">x</a>'


@override_settings(GRAPHQL_AUTO_MODELS=models(SANITIZE_FIELDS=["slug"]))
def test_length_is_validated_after_cleaning(graphql):
    """`max_length` (Django's own validation) applies to the value that would be stored."""
    slug = "<blink>" + "x" * 198 + "</blink>"  # 213 characters sent, 198 after cleaning: valid
    assert create_post(graphql, slug=slug).ok()["create_post"]["field_errors"] == []
    assert Post.objects.get().slug == "x" * 198


@override_settings(GRAPHQL_AUTO_MODELS=models(SANITIZE_FIELDS=["body"]))
def test_cleaning_is_a_security_event(graphql, caplog):
    with caplog.at_level(logging.DEBUG, logger=SECURITY):
        assert create_post(graphql, body=HOSTILE).ok()["create_post"]["ok"]
        assert create_post(graphql, body="<b>fine</b>", slug="u").ok()["create_post"]["ok"]
    changed, unchanged = [r for r in caplog.records if r.name == SECURITY]
    assert changed.event == "input_sanitized"
    assert changed.levelno == logging.INFO
    assert (changed.model, changed.field, changed.changed) == ("blog.Post", "body", True)
    assert changed.length_before == len(HOSTILE) and changed.length_after == len(CLEAN)
    assert changed.user == "anonymous" and changed.client_ip == "127.0.0.1"
    assert unchanged.levelno == logging.DEBUG and unchanged.changed is False


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("SANITIZE_ALLOWED_ATTRIBUTES", {"a": "href"}, "must be a list of names"),
        ("SANITIZE_ALLOWED_ATTRIBUTES", {1: ["href"]}, "is not a tag name"),
        ("SANITIZE_ALLOWED_ATTRIBUTES", {"*": ["class", "onClick"]}, "event handler"),
        ("SANITIZE_ALLOWED_TAGS", ["p", "script"], "script cannot be allowed"),
    ],
)
def test_allowed_tags_and_attributes_are_checked(setting, value, problem):
    with (
        override_settings(DJANGO_GRAPHQL_AUTO={setting: value}),
        pytest.raises(ImproperlyConfigured, match=problem),
    ):
        load_schema_config()


def test_sanitize_fields_must_name_fields():
    with (
        override_settings(GRAPHQL_AUTO_MODELS=models(SANITIZE_FIELDS=["bdy"])),
        pytest.raises(ImproperlyConfigured, match=r"'bdy' is not a field of blog\.Post"),
    ):
        load_schema_config()
