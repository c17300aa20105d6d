"""Secure defaults (SPEC §2, §6, §10): what is closed without any configuration.

- Django's own apps are not exposed unless a schema lists them;
- password fields are never exposed, filterable or orderable, even when asked for;
- `*token*` / `*secret*` fields are hidden unless opted in with ALLOW_SENSITIVE_FIELDS;
- fields excluded by settings are gone from selections, filters and ordering;
- without a PERMISSION_CLASSES opening, DjangoModelPermissions guards every read.
"""

from __future__ import annotations

import json
import re

import pytest
from blog.models import Author, Post
from django.contrib.auth.models import Group, Permission
from django.test.utils import override_settings
from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    print_schema,
)

from django_graphql_auto.schema.registry import get_schema, rebuild_schema
from tests import factories

pytestmark = pytest.mark.django_db

FORBIDDEN = "FORBIDDEN"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
ADMIN = "/admin-graphql/"

CONTRIB_TYPES = ("User", "Group", "Permission", "ContentType", "Session", "LogEntry")
DJANGO_APP_LABELS = {"admin", "auth", "contenttypes", "sessions", "messages", "staticfiles"}
# The example project's settings, repeated so a test changes one key only.
SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}
MODELS = {"blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]}}


def generated(name: str = "default") -> GraphQLSchema:
    """The schema without the authentication root fields (SPEC §10: the auth flows, and only
    they, take a password; `test_only_auth_flows_take_a_password` checks that part)."""
    bundle = get_schema(name)
    schema = bundle.schema
    auth = bundle.extras.get("auth_fields", {})

    def root(gtype, kind):
        if gtype is None:
            return None
        fields = {k: v for k, v in gtype.fields.items() if k not in auth.get(kind, ())}
        return GraphQLObjectType(gtype.name, fields) if fields else None

    return GraphQLSchema(
        query=root(schema.query_type, "query"),
        mutation=root(schema.mutation_type, "mutation"),
        subscription=schema.subscription_type,
    )


def sdl(name: str = "default") -> str:
    return print_schema(generated(name))


def type_names(name: str = "default") -> set[str]:
    return {n for n in generated(name).type_map if not n.startswith("__")}


def field_names(type_name: str, name: str = "default") -> set[str]:
    return set(get_schema(name).schema.type_map[type_name].fields)


def every_name(name: str = "default") -> set[str]:
    """Every type, field, argument and input field name of the schema."""
    names: set[str] = set()
    for gtype in generated(name).type_map.values():
        if gtype.name.startswith("__"):
            continue
        names.add(gtype.name)
        if isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, gfield in gtype.fields.items():
                names.add(field_name)
                names.update(getattr(gfield, "args", None) or {})
    return names


def assert_validation_error_naming(result, name: str) -> None:
    assert result.data is None, result.body
    assert result.errors, result.body
    assert set(result.codes) == {VALIDATION_FAILED}, result.errors
    assert any(name in e["message"] for e in result.errors), result.errors


def assert_forbidden(result) -> None:
    assert result.errors, result.body
    assert set(result.codes) == {FORBIDDEN}, result.errors


# --- Django's own apps ------------------------------------------------------------------------


def test_default_schema_exposes_no_django_model():
    labels = {model._meta.app_label for model in get_schema().models}
    assert labels == {"blog", "clinic"}
    assert not labels & DJANGO_APP_LABELS


def test_default_schema_has_no_contrib_type():
    text = sdl()
    for name in CONTRIB_TYPES:
        assert not re.search(rf"\b(type|input|enum)\s+\w*{name}\w*\b", text), name
        assert not any(name in type_name for type_name in type_names()), name
    query_fields = set(get_schema().schema.query_type.fields)
    for root in (
        "user",
        "users",
        "user_pages",
        "group",
        "groups",
        "permission",
        "permissions",
        "content_type",
        "content_types",
        "session",
        "sessions",
        "log_entry",
        "log_entries",
    ):
        assert root not in query_fields


def test_default_schema_has_no_field_pointing_at_a_contrib_model(graphql):
    # Author.user is a OneToOneField to auth.User: gone, not a dangling field.
    assert "user" not in field_names("Author")
    assert "user" not in set(get_schema().schema.type_map["AuthorFilter"].fields)
    result = graphql("{ authors { user { id } } }")
    assert_validation_error_naming(result, "user")


def test_contrib_root_fields_are_not_queryable(graphql):
    result = graphql("{ users { id } }")
    assert_validation_error_naming(result, "users")


def test_admin_schema_exposes_only_the_listed_contrib_app():
    names = type_names("admin")
    assert {"User", "Group", "Permission"} <= names
    for name in ("ContentType", "Session", "LogEntry"):
        assert not any(name in type_name for type_name in names), name
    labels = {model._meta.app_label for model in get_schema("admin").models}
    assert labels == {"blog", "clinic", "auth"}


# --- passwords --------------------------------------------------------------------------------


def test_default_schema_never_mentions_password():
    assert "password" not in sdl().lower()
    assert not [n for n in every_name() if "password" in n.lower()]


@pytest.mark.parametrize("name", ["default", "admin"])
def test_only_auth_flows_take_a_password(name):
    """SPEC §10: login, registration and password change are the only inputs with a password;
    no output anywhere has one."""
    schema = get_schema(name).schema
    inputs, outputs = set(), set()
    for gtype in schema.type_map.values():
        if gtype.name.startswith("__"):
            continue
        if isinstance(gtype, GraphQLInputObjectType):
            inputs.update(f"{gtype.name}.{f}" for f in gtype.fields if "password" in f.lower())
        elif isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, gfield in gtype.fields.items():
                if "password" in field_name.lower() and gtype is not schema.mutation_type:
                    outputs.add(f"{gtype.name}.{field_name}")
                inputs.update(
                    f"{field_name}({arg})" for arg in gfield.args if "password" in arg.lower()
                )
    assert outputs == set()
    assert inputs == {
        "login(password)",
        "change_password(old_password)",
        "change_password(new_password)",
    }
    with override_settings(DJANGO_GRAPHQL_AUTO={"ENABLE_REGISTRATION": True, "SCHEMAS": SCHEMAS}):
        rebuild_schema(name)
        fields = get_schema(name).schema.mutation_type.fields
        assert {arg for arg in fields["register"].args if "password" in arg} == {"password"}


def test_admin_user_type_has_no_password():
    assert "password" not in field_names("User", "admin")
    for name in ("UserFilter", "UserOrder"):
        assert "password" not in field_names(name, "admin")
    assert not [n for n in every_name("admin") if "password" in n.lower()]


def test_admin_schema_never_mentions_password():
    assert "password" not in sdl("admin").lower()


def test_admin_user_password_cannot_be_selected_filtered_or_ordered(graphql, admin_user):
    for query, name in (
        ("{ users { username password } }", "password"),
        ('{ users(filters: {password: {startswith: "probe"}}) { id } }', "password"),
        ("{ users(order_by: [{password: ASC}]) { id } }", "password"),
        ('{ authors(filters: {user: {password: {startswith: "probe"}}}) { id } }', "password"),
    ):
        result = graphql(query, path=ADMIN)
        assert_validation_error_naming(result, name)
        # graphql-core 3.3 echoes the client's own literal in messages; the stored hash never.
        assert admin_user.password not in json.dumps(result.body)


def test_admin_user_is_readable_without_its_password(admin_client):
    """The superuser sees users, and still no password (admin_client is logged in)."""
    response = admin_client.post(
        ADMIN,
        data=json.dumps({"query": "{ users { username is_superuser } }"}),
        content_type="application/json",
    )
    body = json.loads(response.content)
    assert body == {"data": {"users": [{"username": "admin", "is_superuser": True}]}}


PASSWORD_HASH_QUERIES = {
    "select": "{ authors { password_hash } }",
    "nested select": "{ posts { author { password_hash } } }",
    "filter": '{ authors(filters: {password_hash: {startswith: "x"}}) { id } }',
    "relation filter": '{ posts(filters: {author: {password_hash: {startswith: "x"}}}) { id } }',
    "order": "{ authors(order_by: [{password_hash: ASC}]) { id } }",
    "order through relation": "{ posts(order_by: [{author: {password_hash: ASC}}]) { id } }",
}


@pytest.mark.parametrize("query", PASSWORD_HASH_QUERIES.values(), ids=PASSWORD_HASH_QUERIES)
def test_password_hash_is_never_reachable(graphql, query):
    factories.post(author=factories.author(password_hash="x-hash-value"))
    result = graphql(query)
    assert_validation_error_naming(result, "password_hash")
    assert "x-hash-value" not in json.dumps(result.body)


@pytest.mark.parametrize(
    "author_settings",
    [
        {"ALLOW_SENSITIVE_FIELDS": ["api_token", "password_hash"]},
        {"FIELDS": ["name", "password_hash"]},
        {"FIELDS": ["name", "password_hash"], "ALLOW_SENSITIVE_FIELDS": ["password_hash"]},
    ],
    ids=["opted in as sensitive", "listed in FIELDS", "both"],
)
def test_password_hash_cannot_be_opted_in(author_settings):
    with override_settings(GRAPHQL_AUTO_MODELS={**MODELS, "blog.Author": author_settings}):
        rebuild_schema()
        assert "password_hash" not in field_names("Author")
        assert "password" not in sdl().lower()


# --- sensitive fields -----------------------------------------------------------------------


def test_api_token_is_hidden_by_default(graphql):
    factories.author(api_token="tok-123")
    for name in ("Author", "AuthorFilter", "AuthorOrder"):
        assert "api_token" not in field_names(name)
    assert "api_token" not in sdl()
    for query in (
        "{ authors { api_token } }",
        '{ authors(filters: {api_token: {exact: "probe"}}) { id } }',
        "{ authors(order_by: [{api_token: ASC}]) { id } }",
        '{ posts(filters: {author: {api_token: {exact: "probe"}}}) { id } }',
    ):
        result = graphql(query)
        assert_validation_error_naming(result, "api_token")
        assert "tok-123" not in json.dumps(result.body)


def test_api_token_is_not_exposed_by_listing_it_in_fields():
    with override_settings(
        GRAPHQL_AUTO_MODELS={**MODELS, "blog.Author": {"FIELDS": ["name", "api_token"]}}
    ):
        rebuild_schema()
        assert field_names("Author") == {"id", "name"}


@pytest.mark.parametrize(
    "opt_in",
    [
        {
            "GRAPHQL_AUTO_MODELS": {
                **MODELS,
                "blog.Author": {"ALLOW_SENSITIVE_FIELDS": ["api_token"]},
            }
        },
        {
            "GRAPHQL_AUTO_APPS": {
                "blog": {
                    "PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"],
                    "ALLOW_SENSITIVE_FIELDS": ["api_token"],
                },
                "clinic": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]},
            }
        },
    ],
    ids=["model level", "app level"],
)
def test_api_token_opt_in(graphql, opt_in):
    author = factories.author(api_token="tok-123")
    assert "api_token" not in field_names("Author")  # built before the change
    with override_settings(**opt_in):
        rebuild_schema()
        for name in ("Author", "AuthorFilter", "AuthorOrder"):
            assert "api_token" in field_names(name)
        assert "password_hash" not in field_names("Author")
        result = graphql(
            '{ authors(filters: {api_token: {exact: "tok-123"}}, '
            "order_by: [{api_token: ASC}]) { id api_token } }"
        )
        assert result.ok() == {"authors": [{"id": str(author.pk), "api_token": "tok-123"}]}
    # The opt-in ends with the settings that made it.
    assert "api_token" not in field_names("Author")
    assert_validation_error_naming(graphql("{ authors { api_token } }"), "api_token")


# --- fields excluded by settings ---------------------------------------------------------------


INTERNAL_NOTES_QUERIES = {
    "select": "{ posts { title internal_notes } }",
    "select single": '{ post(id: "1") { internal_notes } }',
    "select in pages": "{ post_pages { items { internal_notes } } }",
    "select nested": "{ authors { posts { internal_notes } } }",
    "select nested to-one": "{ comments { post { internal_notes } } }",
    "filter": '{ posts(filters: {internal_notes: {contains: "secret"}}) { id } }',
    "filter inside or": '{ posts(filters: {or: [{internal_notes: {contains: "s"}}]}) { id } }',
    "relation filter": '{ authors(filters: {posts: {internal_notes: {contains: "s"}}}) { id } }',
    "nested list filter": (
        '{ authors { posts(filters: {internal_notes: {contains: "s"}}) { id } } }'
    ),
    "count filter": '{ authors { posts_count(filters: {internal_notes: {contains: "s"}}) } }',
    "order": "{ posts(order_by: [{internal_notes: ASC}]) { id } }",
    "order in pages": "{ post_pages(order_by: [{internal_notes: DESC}]) { items { id } } }",
    "order through relation": "{ comments(order_by: [{post: {internal_notes: ASC}}]) { id } }",
    "nested list order": "{ authors { posts(order_by: [{internal_notes: ASC}]) { id } } }",
}


@pytest.mark.parametrize("query", INTERNAL_NOTES_QUERIES.values(), ids=INTERNAL_NOTES_QUERIES)
def test_excluded_field_is_unreachable(graphql, query):
    post = factories.post(internal_notes="secret editorial note")
    factories.comment(post=post)
    result = graphql(query)
    assert_validation_error_naming(result, "internal_notes")
    assert "secret editorial note" not in json.dumps(result.body)


def test_excluded_field_is_refused_in_variables(graphql):
    factories.post(internal_notes="secret editorial note")
    result = graphql(
        "query($f: PostFilter, $o: [PostOrder!]) { posts(filters: $f, order_by: $o) { id } }",
        {"f": {"internal_notes": {"contains": "secret"}}, "o": [{"internal_notes": "ASC"}]},
    )
    assert result.data is None and result.errors
    assert all(code in ("BAD_USER_INPUT", VALIDATION_FAILED) for code in result.codes)
    assert any("internal_notes" in e["message"] for e in result.errors), result.errors


def test_excluded_field_is_absent_from_the_post_types():
    for name in ("Post", "PostFilter", "PostOrder"):
        assert "internal_notes" not in field_names(name)
    assert "internal_notes" in {f.name for f in Post._meta.get_fields()}  # it does exist


def test_excluded_field_does_not_leak_through_a_proxy_model(graphql):
    factories.post(internal_notes="secret editorial note", status=Post.Status.PUBLISHED)
    result = graphql("{ published_posts { internal_notes } }")
    assert "secret editorial note" not in json.dumps(result.body)
    assert "internal_notes" not in sdl()


# --- default permissions: DjangoModelPermissions --------------------------------------------


default_permissions = override_settings(GRAPHQL_AUTO_APPS={})

POST_READS = {
    "list": "{ posts { title } }",
    "single": "query($id: ID!) { post(id: $id) { title } }",
    "pages": "{ post_pages { items { title } page_info { total_count } } }",
}


def _perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="blog", codename=codename)


def _run_post_reads(graphql, post):
    return {
        name: graphql(query, {"id": str(post.pk)} if "$id" in query else None)
        for name, query in POST_READS.items()
    }


@default_permissions
def test_default_permission_class_is_django_model_permissions():
    for config in get_schema().config.models:
        assert config["PERMISSION_CLASSES"] == [
            "django_graphql_auto.permissions.DjangoModelPermissions"
        ]


@default_permissions
def test_anonymous_reads_are_forbidden_by_default(graphql):
    post = factories.post(title="Guarded")
    for name, result in _run_post_reads(graphql, post).items():
        assert_forbidden(result)
        assert "Guarded" not in json.dumps(result.body), name


@default_permissions
def test_user_without_permission_is_forbidden(graphql, client, django_user_model):
    post = factories.post(title="Guarded")
    client.force_login(django_user_model.objects.create_user("nobody"))
    for name, result in _run_post_reads(graphql, post).items():
        assert_forbidden(result)
        assert "Guarded" not in json.dumps(result.body), name


@default_permissions
def test_view_permission_allows_reading_that_model_only(graphql, client, django_user_model):
    post = factories.post(title="Guarded", author=factories.author(name="Guarded Author"))
    factories.comment(post=post, body="guarded comment")
    user = django_user_model.objects.create_user("reader")
    user.user_permissions.add(_perm("view_post"))
    client.force_login(user)
    results = _run_post_reads(graphql, post)
    assert results["list"].ok() == {"posts": [{"title": "Guarded"}]}
    assert results["single"].ok() == {"post": {"title": "Guarded"}}
    assert results["pages"].ok() == {
        "post_pages": {"items": [{"title": "Guarded"}], "page_info": {"total_count": 1}}
    }
    # Related models need their own permission, on every path.
    for query in (
        "{ comments { body } }",
        "{ posts { comments { body } } }",
        "{ posts { comments_count } }",
        '{ posts(filters: {comments: {body: {contains: "guarded"}}}) { title } }',
        "{ posts { author { name } } }",
        "{ posts(order_by: [{author: {name: ASC}}]) { title } }",
    ):
        result = graphql(query)
        assert_forbidden(result)
        text = json.dumps(result.body)
        assert "guarded comment" not in text and "Guarded Author" not in text, query


@default_permissions
def test_view_permission_through_a_group(graphql, client, django_user_model):
    factories.comment(body="group-visible", post=factories.post(title="Grouped"))
    readers = Group.objects.create(name="readers")
    readers.permissions.add(_perm("view_post"), _perm("view_comment"))
    user = django_user_model.objects.create_user("member")
    user.groups.add(readers)
    client.force_login(user)
    assert graphql("{ posts { title comments { body } comments_count } }").ok() == {
        "posts": [
            {"title": "Grouped", "comments": [{"body": "group-visible"}], "comments_count": 1}
        ]
    }


@default_permissions
def test_superuser_reads_everything(graphql, client, django_user_model):
    post = factories.post(title="Guarded", author=factories.author(name="Guarded Author"))
    factories.comment(post=post, body="guarded comment")
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com"))
    for result in _run_post_reads(graphql, post).values():
        assert result.ok()
    data = graphql("{ posts { title author { name } comments { body } comments_count } }").ok()
    assert data == {
        "posts": [
            {
                "title": "Guarded",
                "author": {"name": "Guarded Author"},
                "comments": [{"body": "guarded comment"}],
                "comments_count": 1,
            }
        ]
    }


@default_permissions
def test_change_permission_alone_does_not_allow_reading(graphql, client, django_user_model):
    factories.post(title="Guarded")
    user = django_user_model.objects.create_user("writer")
    user.user_permissions.add(_perm("change_post"), _perm("add_post"))
    client.force_login(user)
    assert_forbidden(graphql("{ posts { title } }"))


def test_contrib_models_in_the_admin_schema_keep_default_permissions(graphql, client):
    """The example opens blog and clinic, not auth: users stay guarded in the admin schema."""
    Author.objects.create(name="Open", email="open@example.com")
    assert graphql("{ authors { name } }", path=ADMIN).ok() == {"authors": [{"name": "Open"}]}
    result = graphql("{ users { username } }", path=ADMIN)
    assert_forbidden(result)
    result = graphql("{ authors { user { username } } }", path=ADMIN)
    assert_forbidden(result)
