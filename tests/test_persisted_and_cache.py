"""Automatic persisted queries, the allow-list mode, and the response cache."""

from __future__ import annotations

import hashlib
import json

import pytest
from blog.models import Post, Tag
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.authz import P, perm, settings_with, user

pytestmark = pytest.mark.django_db

QUERY = "{ tags(order_by: [{name: ASC}]) { name } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()
APQ = {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _post(client, body, **headers):
    response = client.post(
        "/graphql/",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/graphql-response+json",
        **headers,
    )
    return response.status_code, response.json()


def test_apq_round_trip(client):
    f.tag(name="a")
    status, body = _post(client, {"extensions": APQ})
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"
    status, body = _post(client, {"query": QUERY, "extensions": APQ})
    assert status == 200 and body["data"] == {"tags": [{"name": "a"}]}
    status, body = _post(client, {"extensions": APQ})  # the hash alone now works
    assert status == 200 and body["data"] == {"tags": [{"name": "a"}]}
    response = client.get(
        "/graphql/",
        {"extensions": json.dumps(APQ)},
        HTTP_ACCEPT="application/graphql-response+json",
    )
    assert response.status_code == 200 and response.json()["data"] == {"tags": [{"name": "a"}]}


def test_apq_refuses_a_hash_that_does_not_match(client):
    bad = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    status, body = _post(client, {"query": QUERY, "extensions": bad})
    assert status == 400 and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    status, body = _post(client, {"extensions": bad})
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_invalid_documents_are_not_remembered(client):
    broken = "{ tags { nope } }"
    extensions = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(broken.encode()).hexdigest()}
    }
    _post(client, {"query": broken, "extensions": extensions})
    _status, body = _post(client, {"extensions": extensions})
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_allowlist_mode_runs_only_listed_documents(client, tmp_path):
    allowed = tmp_path / "allowed.json"
    allowed.write_text(json.dumps({DIGEST: QUERY}))
    with override_settings(
        DJANGO_GRAPHQL_AUTO={
            "PERSISTED_QUERIES": "allowlist",
            "ALLOWED_QUERIES_FILE": str(allowed),
        }
    ):
        f.tag(name="z")
        assert _post(client, {"extensions": APQ})[1]["data"] == {"tags": [{"name": "z"}]}
        assert _post(client, {"query": QUERY})[1]["data"] == {"tags": [{"name": "z"}]}
        status, body = _post(client, {"query": "{ tags { id } }"})
        assert status == 400
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


CACHED = {"GRAPHQL_AUTO_MODELS": {"blog.Tag": {"CACHE_TTL": 60}}}


def _count(graphql, query):
    with CaptureQueriesContext(connection) as queries:
        data = graphql(query).ok()
    return len(queries), data


@override_settings(**CACHED)
def test_cached_response_is_served_without_sql(graphql):
    f.tag(name="a")
    first, data = _count(graphql, QUERY)
    second, again = _count(graphql, QUERY)
    assert first == 1 and second == 0 and again == data


@override_settings(**CACHED)
def test_a_mutation_invalidates(graphql):
    tag = f.tag(name="a")
    graphql(QUERY).ok()
    graphql(f'mutation {{ update_tag(id: "{tag.pk}", input: {{name: "b"}}) {{ ok }} }}').ok()
    queries, data = _count(graphql, QUERY)
    assert queries == 1 and data == {"tags": [{"name": "b"}]}


@override_settings(**CACHED)
def test_a_bulk_mutation_and_an_orm_write_invalidate(graphql, django_capture_on_commit_callbacks):
    graphql(QUERY).ok()
    with django_capture_on_commit_callbacks(execute=True):  # bulk writes send no model signals
        graphql('mutation { bulk_create_tag(inputs: [{name: "x"}, {name: "y"}]) { ok } }').ok()
    assert graphql(QUERY).ok() == {"tags": [{"name": "x"}, {"name": "y"}]}
    Tag.objects.filter(name="x").delete()  # plain ORM: Django's signals bump the counter
    assert graphql(QUERY).ok() == {"tags": [{"name": "y"}]}


@override_settings(**CACHED)
def test_only_opted_in_models_are_cached(graphql):
    f.post(tags=[f.tag(name="t")])
    query = "{ tags { name posts { title } } }"  # reads Post too, which has no TTL
    first, _ = _count(graphql, query)
    second, _ = _count(graphql, query)
    assert first == second > 0


@override_settings(**CACHED)
def test_only_opted_in_models_keep_write_counters(graphql):
    """A response is cached only when every model it read opted in, so writes to the other
    models need not touch the cache at all (no counter, no on-commit callback)."""
    from django_graphql_auto.execution.response_cache import generation_key

    f.post(title="p")  # Post (and its Author) did not opt in
    assert cache.get(generation_key(Post)) is None
    f.tag(name="a")
    assert cache.get(generation_key(Tag)) is not None


@override_settings(
    GRAPHQL_AUTO_MODELS={"blog.Tag": {"CACHE_TTL": 60}},
    GRAPHQL_AUTO_APPS={
        "blog": {
            "PERMISSION_CLASSES": [
                "django_graphql_auto.permissions.DjangoModelPermissions",
            ]
        }
    },
)
def test_no_cross_user_leak(client, admin_user):
    f.tag(name="secret")
    client.force_login(admin_user)
    _, body = _post(client, {"query": QUERY})
    assert body["data"] == {"tags": [{"name": "secret"}]}
    client.logout()
    _status, body = _post(client, {"query": QUERY})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "secret" not in json.dumps(body)


# A hit runs no permission check: what decides who sees what must be part of the entry.


def _reads_of_blog(graphql, query) -> int:
    """Statements on the blog's tables while answering `query` (a logged-in client's session
    and user are read on every request, cached or not)."""
    with CaptureQueriesContext(connection) as queries:
        graphql(query).ok()
    return sum('"blog_' in q["sql"] for q in queries.captured_queries)


def _served_from_cache(graphql, query) -> bool:
    """Whether `query` is answered from the cache (after a first run that may store it)."""
    graphql(query)
    return _reads_of_blog(graphql, query) == 0


def test_a_revoked_permission_is_not_served_from_the_cache(graphql, client):
    f.post(title="Quarterly numbers")
    reader = user("reader", "blog.view_post")
    client.force_login(reader)
    models = {"blog.Post": {"CACHE_TTL": 300, "PERMISSION_CLASSES": [P + "DjangoModelPermissions"]}}
    with settings_with(models=models):
        assert _served_from_cache(graphql, "{ posts { title } }")
        reader.user_permissions.remove(perm("blog.view_post"))
        assert graphql("{ posts { title } }").codes == ["FORBIDDEN"]


def test_a_role_taken_away_is_not_served_from_the_cache(graphql, client):
    f.post(body="salary: 100k")
    reader = user("editor", groups=("editor",))
    client.force_login(reader)
    rules = {"body": {"masked": "***", "unless_role": "editor"}}
    with settings_with(models={"blog.Post": {"CACHE_TTL": 300, "FIELD_RULES": rules}}):
        assert _served_from_cache(graphql, "{ posts { body } }")
        reader.groups.clear()
        assert graphql("{ posts { body } }").ok() == {"posts": [{"body": "***"}]}


def test_a_login_leaves_the_cache_alone(graphql, client):
    from django.contrib.auth.models import update_last_login

    f.post(title="Kept")
    reader, someone = user("reader"), user("someone")
    client.force_login(reader)
    with settings_with(models={"blog.Post": {"CACHE_TTL": 300}}):
        assert _served_from_cache(graphql, "{ posts { title } }")
        update_last_login(None, someone)  # what every login does
        assert _reads_of_blog(graphql, "{ posts { title } }") == 0


def test_authorization_changed_makes_every_entry_stale(graphql):
    from django_graphql_auto.execution.response_cache import authorization_changed

    f.post(title="Kept")
    with settings_with(models={"blog.Post": {"CACHE_TTL": 300}}):
        assert _served_from_cache(graphql, "{ posts { title } }")
        authorization_changed()  # what a policy deciding from other data calls
        assert _reads_of_blog(graphql, "{ posts { title } }") == 1


def test_a_model_joined_into_the_rows_counts_as_read(graphql):
    """`author { name }` is joined into the post rows: Author must opt in too, and a write to
    an author makes the entry stale."""
    author = f.author(name="Old name")
    f.post(author=author)
    query = "{ posts { author { name } } }"
    with settings_with(models={"blog.Post": {"CACHE_TTL": 300}}):
        assert not _served_from_cache(graphql, query)
    with settings_with(models={"blog.Post": {"CACHE_TTL": 300}, "blog.Author": {"CACHE_TTL": 300}}):
        assert _served_from_cache(graphql, query)
        author.name = "New name"
        author.save()
        assert graphql(query).ok() == {"posts": [{"author": {"name": "New name"}}]}


def test_a_model_an_owner_rule_joins_counts_as_read(graphql, client):
    """The owner path `author__user` joins Author: handing the author to another user makes the
    posts vanish for the first one at once."""
    alice, bob = user("alice"), user("bob")
    author = f.author(user=alice)
    f.post(title="alice's plan", author=author)
    client.force_login(alice)
    owned = {"PERMISSION_CLASSES": [P + "IsOwnerOrAdmin"], "OWNER_FIELD": "author__user"}
    models = {"blog.Post": {"CACHE_TTL": 300, **owned}, "blog.Author": {"CACHE_TTL": 300}}
    with settings_with(models=models):
        assert _served_from_cache(graphql, "{ posts { title } }")
        author.user = bob
        author.save()
        assert graphql("{ posts { title } }").ok() == {"posts": []}


@override_settings(**CACHED)
def test_variables_that_are_no_json_are_answered_uncached():
    """A multipart request may map a file into a variable the query never uses: such a request
    has no cache key, and is answered, not failed."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from django_graphql_auto.execution import engine

    f.tag(name="a")
    upload = SimpleUploadedFile("a.txt", b"x")
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            outcome = engine.process("default", QUERY, {"unused": upload})
        assert outcome.payload == {"data": {"tags": [{"name": "a"}]}}
        assert len(queries) == 1


@pytest.mark.parametrize("digest", [["x"], {"a": 1}, 7])
def test_allowlist_mode_refuses_a_hash_that_is_no_string(client, tmp_path, digest):
    allowed = tmp_path / "allowed.json"
    allowed.write_text(json.dumps({DIGEST: QUERY}))
    settings = {"PERSISTED_QUERIES": "allowlist", "ALLOWED_QUERIES_FILE": str(allowed)}
    with override_settings(DJANGO_GRAPHQL_AUTO=settings):
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        status, body = _post(client, {"extensions": extensions})
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


DOWN = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"}


def test_a_cache_that_is_down_is_a_miss(client, caplog, settings):
    """Reads fail open: the response cache and the persisted-query cache unreachable (nothing
    listens on port 1), queries still run, uncached; a hash alone is answered as unknown, so an
    APQ client sends the text again. Both were a 500."""
    f.tag(name="a")  # a write still needs the cache (below)
    settings.CACHES = {**settings.CACHES, "down": DOWN}
    settings.DJANGO_GRAPHQL_AUTO = {"RESPONSE_CACHE": "down", "PERSISTED_QUERY_CACHE": "down"}
    settings.GRAPHQL_AUTO_MODELS = CACHED["GRAPHQL_AUTO_MODELS"]
    for _ in range(2):
        status, body = _post(client, {"query": QUERY})
        assert status == 200 and body == {"data": {"tags": [{"name": "a"}]}}
    status, body = _post(client, {"extensions": APQ})
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    status, body = _post(client, {"query": QUERY, "extensions": APQ})
    assert status == 200 and body == {"data": {"tags": [{"name": "a"}]}}
    warned = {r.getMessage() for r in caplog.records if r.name == "django_graphql_auto"}
    assert "Response cache unavailable; the query runs uncached" in warned
    assert "Persisted query cache unavailable; answered as a miss" in warned
    assert "Persisted query cache unavailable; document not remembered" in warned
    # Writes fail closed: an invalidation that cannot be recorded would leave stale answers.
    status, body = _post(client, {"query": 'mutation { create_tag(input: {name: "b"}) { ok } }'})
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert list(Tag.objects.values_list("name", flat=True)) == ["a"]
