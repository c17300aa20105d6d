"""Operation-level permission classes (SPEC §6 Authorization; issue 5 point 1), through HTTP.

The shipped classes, their composition with `&` `|` `~` (as instances in `PERMISSION_CLASSES`),
`IsOwnerOrAdmin` with its owner field, and `DjangoObjectPermissions` with Django's own model
backend (per-object backends are in test_object_permissions.py). Each rule is proven with rows
that exist, on the read paths (root single, list, pages, nested, counts, filters, ordering) and
on writes, and a refused write is shown to have written nothing.
"""

from __future__ import annotations

import pytest
from blog.models import Author, Post
from django.core.exceptions import ImproperlyConfigured
from django.test.utils import override_settings

from django_graphql_auto.conf import find_problems
from django_graphql_auto.permissions import (
    ADD,
    CHANGE,
    VIEW,
    AllowAny,
    DjangoModelPermissions,
    DjangoObjectPermissions,
    IsAdminUser,
    IsAuthenticated,
    IsOwnerOrAdmin,
    ReadOnly,
)
from django_graphql_auto.schema.registry import get_schema
from tests import factories
from tests.authz import P, assert_forbidden, mutate, settings_with, user

pytestmark = pytest.mark.django_db


def _id(row) -> str:
    return str(row.pk)


def titles(result, field: str = "posts") -> list[str]:
    return [row["title"] for row in result.ok()[field]]


# --- Composed instances are accepted in settings ------------------------------------------


def test_composed_instances_pass_the_system_checks():
    with settings_with(
        models={"blog.Post": {"PERMISSION_CLASSES": [IsAdminUser | ReadOnly]}},
        apps={"clinic": {"PERMISSION_CLASSES": [IsAuthenticated & ~IsAdminUser, P + "ReadOnly"]}},
    ):
        assert [p for p in find_problems() if p.is_error] == []


def test_a_non_permission_object_is_still_refused():
    with settings_with(models={"blog.Post": {"PERMISSION_CLASSES": [42]}}):
        (problem,) = [p for p in find_problems() if p.is_error]
    assert problem.id == "E002"
    assert "PERMISSION_CLASSES" in problem.message and "permission instance" in problem.message


def test_staff_or_read_only(graphql, client):
    factories.post(title="Open")
    author = factories.author()
    with settings_with(models={"blog.Post": {"PERMISSION_CLASSES": [IsAdminUser | ReadOnly]}}):
        assert titles(graphql("{ posts { title } }")) == ["Open"]
        new = {"title": "New", "slug": "new", "body": "b", "author": _id(author)}
        assert_forbidden(mutate(graphql, "create_post", input=new), naming="add")
        client.force_login(user("plain"))
        assert_forbidden(mutate(graphql, "create_post", input=new))
        assert not Post.objects.filter(title="New").exists()
        client.force_login(user("staff", is_staff=True))
        assert mutate(graphql, "create_post", input=new).ok() == {
            "create_post": {"ok": True, "errors": []}
        }
    assert Post.objects.filter(title="New").exists()


def test_not_inverts_the_operation_check(graphql, client):
    factories.post(title="Visible")
    with settings_with(models={"blog.Post": {"PERMISSION_CLASSES": [~IsAdminUser]}}):
        assert titles(graphql("{ posts { title } }")) == ["Visible"]
        client.force_login(user("staff", is_staff=True))
        assert_forbidden(graphql("{ posts { title } }"), leaked=("Visible",))


def test_every_entry_of_the_list_must_allow(graphql, client):
    factories.post(title="Members")
    with settings_with(
        models={"blog.Post": {"PERMISSION_CLASSES": [P + "IsAuthenticated", ReadOnly]}}
    ):
        assert_forbidden(graphql("{ posts { title } }"), leaked=("Members",))
        client.force_login(user("member"))
        assert titles(graphql("{ posts { title } }")) == ["Members"]
        result = mutate(graphql, "update_post", id=_id(Post.objects.get()), input={"title": "X"})
        assert_forbidden(result, naming="change")
    assert Post.objects.get().title == "Members"


# --- DjangoModelPermissions (the default) ---------------------------------------------------


DEFAULT = {"blog": {"PERMISSION_CLASSES": [P + "DjangoModelPermissions"]}}


def test_model_permissions_per_operation(graphql, client):
    post = factories.post(title="Guarded")
    author = factories.author()
    new = {"title": "New", "slug": "new", "body": "b", "author": _id(author)}
    with settings_with(apps=DEFAULT):
        client.force_login(user("viewer", "blog.view_post"))
        assert titles(graphql("{ posts { title } }")) == ["Guarded"]
        assert_forbidden(mutate(graphql, "create_post", input=new), naming="add Post")
        assert_forbidden(
            mutate(graphql, "update_post", id=_id(post), input={"title": "X"}), naming="change"
        )
        assert_forbidden(mutate(graphql, "delete_post", id=_id(post)), naming="delete")
        assert Post.objects.get().title == "Guarded"

        client.force_login(
            user(
                "writer",
                "blog.view_post",
                "blog.add_post",
                "blog.change_post",
                "blog.delete_post",
                "blog.change_author",
            )
        )
        assert mutate(graphql, "update_post", id=_id(post), input={"title": "X"}).ok()[
            "update_post"
        ] == {"ok": True, "errors": []}
        assert mutate(graphql, "create_post", input=new).ok()["create_post"]["ok"] is True
        assert mutate(graphql, "delete_post", id=_id(post)).ok()["delete_post"]["ok"] is True
    assert list(Post.objects.values_list("title", flat=True)) == ["New"]


def test_superuser_passes_model_permissions(graphql, client, django_user_model):
    post = factories.post(title="Guarded")
    with settings_with(apps=DEFAULT):
        client.force_login(django_user_model.objects.create_superuser("root", "r@example.com"))
        result = mutate(graphql, "update_post", id=_id(post), input={"title": "Root"})
        assert result.ok()["update_post"]["ok"] is True
    assert Post.objects.get().title == "Root"


# --- IsOwnerOrAdmin ----------------------------------------------------------------------------


@pytest.fixture
def owners(db):
    """alice owns A1 and A2 (through her author profile), bob owns B1; a comment on each."""
    alice, bob = user("alice"), user("bob")
    alice_author = factories.author(name="Alice", user=alice)
    bob_author = factories.author(name="Bob", user=bob)
    a1 = factories.post(title="A1", author=alice_author)
    a2 = factories.post(title="A2", author=alice_author)
    b1 = factories.post(title="B1", author=bob_author)
    factories.comment(post=a1, body="on A1")
    factories.comment(post=b1, body="on B1")
    return {
        "alice": alice,
        "bob": bob,
        "alice_author": alice_author,
        "bob_author": bob_author,
        "a1": a1,
        "a2": a2,
        "b1": b1,
    }


OWNED_POSTS = {"blog.Post": {"PERMISSION_CLASSES": [IsOwnerOrAdmin.with_field("author__user")]}}


def test_owner_rows_on_every_read_path(graphql, client, owners):
    with settings_with(models=OWNED_POSTS):
        assert_forbidden(graphql("{ posts { title } }"), leaked=("A1", "B1"))
        client.force_login(owners["alice"])
        assert titles(graphql("{ posts { title } }")) == ["A1", "A2"]
        single = "query($id: ID!) { post(id: $id) { title } }"
        assert graphql(single, {"id": _id(owners["b1"])}).ok() == {"post": None}
        assert graphql(single, {"id": _id(owners["a1"])}).ok() == {"post": {"title": "A1"}}
        pages = graphql("{ post_pages { items { title } page_info { total_count } } }").ok()
        assert pages == {
            "post_pages": {
                "items": [{"title": "A1"}, {"title": "A2"}],
                "page_info": {"total_count": 2},
            }
        }
        nested = graphql("{ authors { name posts { title } posts_count } }").ok()
        assert nested == {
            "authors": [
                {"name": "Alice", "posts": [{"title": "A1"}, {"title": "A2"}], "posts_count": 2},
                {"name": "Bob", "posts": [], "posts_count": 0},
            ]
        }
        matched = graphql('{ authors(filters: {posts: {title: {exact: "B1"}}}) { name } }')
        assert matched.ok() == {"authors": []}
        comments = graphql(
            "{ comments(order_by: [{post: {title: DESC}}]) { body post { title } } }"
        ).ok()["comments"]
        # B1 is not visible: its comment shows no post and sorts as if it had none.
        assert {c["body"]: c["post"] for c in comments} == {
            "on A1": {"title": "A1"},
            "on B1": None,
        }

        client.force_login(user("staff", is_staff=True))
        assert titles(graphql("{ posts { title } }")) == ["A1", "A2", "B1"]


def test_owner_field_setting_and_default_owner_field(graphql, client, owners):
    models = {
        "blog.Post": {"PERMISSION_CLASSES": [P + "IsOwnerOrAdmin"], "OWNER_FIELD": "author__user"},
        # Author has one foreign key to the user model: it is the owner field by default.
        "blog.Author": {"PERMISSION_CLASSES": [P + "IsOwnerOrAdmin"]},
    }
    with settings_with(models=models):
        client.force_login(owners["bob"])
        assert graphql("{ posts { title author { name } } }").ok() == {
            "posts": [{"title": "B1", "author": {"name": "Bob"}}]
        }
        assert graphql("{ authors { name } }").ok() == {"authors": [{"name": "Bob"}]}


def test_owner_field_configuration_errors():
    with settings_with(models={"blog.Post": {"OWNER_FIELD": "title"}}):
        (problem,) = [p for p in find_problems() if p.is_error]
    assert problem.id == "E005"
    assert "OWNER_FIELD" in problem.message and "'title' is not a relation" in problem.message
    with settings_with(models={"blog.Post": {"OWNER_FIELD": "author"}}):
        (problem,) = [p for p in find_problems() if p.is_error]
    assert "leads to blog.Author, not to the user model" in problem.message
    # Tag has no foreign key to the user model and no OWNER_FIELD: the build says so.
    with (
        settings_with(models={"blog.Tag": {"PERMISSION_CLASSES": [P + "IsOwnerOrAdmin"]}}),
        pytest.raises(ImproperlyConfigured, match=r"IsOwnerOrAdmin on blog\.Tag"),
    ):
        get_schema()


OWNED_OR_READ = {
    "blog.Post": {"PERMISSION_CLASSES": [IsOwnerOrAdmin.with_field("author__user") | ReadOnly]}
}


def test_owner_writes(graphql, client, owners):
    a1, b1 = owners["a1"], owners["b1"]
    with settings_with(models=OWNED_OR_READ):
        # `| ReadOnly`: everybody reads every row, only owners and staff write.
        assert titles(graphql("{ posts { title } }")) == ["A1", "A2", "B1"]
        assert_forbidden(mutate(graphql, "update_post", id=_id(a1), input={"title": "x"}))

        client.force_login(owners["alice"])
        result = mutate(graphql, "update_post", id=_id(a1), input={"title": "A1 edited"})
        assert result.ok()["update_post"] == {"ok": True, "errors": []}
        result = mutate(graphql, "update_post", id=_id(b1), input={"title": "stolen"})
        assert_forbidden(result, naming=f"change Post {b1.pk}")
        assert_forbidden(mutate(graphql, "delete_post", id=_id(b1)), naming="delete")
        # Handing her post over to bob, or creating one in his name, is refused too.
        result = mutate(
            graphql, "update_post", id=_id(a1), input={"author": _id(owners["bob_author"])}
        )
        assert_forbidden(result, naming="change")
        new = {"title": "Fake", "slug": "fake", "body": "b"}
        result = mutate(graphql, "create_post", input={**new, "author": _id(owners["bob_author"])})
        assert_forbidden(result, naming="add")
        result = mutate(
            graphql, "create_post", input={**new, "author": _id(owners["alice_author"])}
        )
        assert result.ok()["create_post"]["ok"] is True
        # Bulk: one foreign row refuses the whole batch.
        items = [{"id": _id(a1), "title": "bulk"}, {"id": _id(b1), "title": "bulk"}]
        assert_forbidden(mutate(graphql, "bulk_update_post", inputs=items))
        assert_forbidden(mutate(graphql, "bulk_delete_post", ids=[_id(a1), _id(b1)]))

        client.force_login(user("staff", is_staff=True))
        result = mutate(graphql, "update_post", id=_id(b1), input={"title": "B1 by staff"})
        assert result.ok()["update_post"]["ok"] is True
    assert dict(Post.objects.values_list("title", "author__name")) == {
        "A1 edited": "Alice",
        "A2": "Alice",
        "B1 by staff": "Bob",
        "Fake": "Alice",
    }


# --- DjangoObjectPermissions with the model backend only ------------------------------------


OBJECT_PERMS = {"blog.Post": {"PERMISSION_CLASSES": [P + "DjangoObjectPermissions"]}}


def test_object_permissions_fall_back_to_model_permissions(graphql, client):
    post = factories.post(title="Guarded")
    with settings_with(models=OBJECT_PERMS):
        assert_forbidden(graphql("{ posts { title } }"), leaked=("Guarded",))
        client.force_login(user("viewer", "blog.view_post"))
        assert titles(graphql("{ posts { title } }")) == ["Guarded"]
        # Logged in, the operation passes; the row (no per-object backend) refuses.
        result = mutate(graphql, "update_post", id=_id(post), input={"title": "x"})
        assert_forbidden(result, naming=f"change Post {post.pk}")
        new = {"title": "N", "slug": "n", "body": "b", "author": _id(post.author)}
        assert_forbidden(mutate(graphql, "create_post", input=new), naming="add Post")
        client.force_login(user("editor", "blog.view_post", "blog.change_post"))
        result = mutate(graphql, "update_post", id=_id(post), input={"title": "Edited"})
        assert result.ok()["update_post"]["ok"] is True
    assert Post.objects.get().title == "Edited"


# --- The classes' answers, directly -------------------------------------------------------------


class _Request:
    def __init__(self, user):
        self.user = user


@pytest.mark.parametrize(
    ("permission", "anonymous", "plain", "staff"),
    [
        (AllowAny(), True, True, True),
        (IsAuthenticated(), False, True, True),
        (IsAdminUser(), False, False, True),
        (IsAdminUser | ReadOnly, False, False, True),
        (~IsAdminUser, True, True, False),
        (IsAuthenticated & ~IsAdminUser, False, True, False),
    ],
)
def test_operation_answers_for_writes(permission, anonymous, plain, staff):
    from django.contrib.auth.models import AnonymousUser

    for who, expected in (
        (AnonymousUser(), anonymous),
        (user("plain"), plain),
        (user("staff", is_staff=True), staff),
    ):
        assert permission.has_permission(_Request(who), Post, CHANGE) is expected, who


def test_or_counts_an_object_answer_only_from_a_branch_that_allows_the_operation(owners):
    bound = (IsOwnerOrAdmin.with_field("author__user") | DjangoModelPermissions()).bind(Post, None)
    alice, bob = _Request(owners["alice"]), _Request(owners["bob"])
    assert bound.has_object_permission(alice, owners["a1"], CHANGE) is True
    assert bound.has_object_permission(bob, owners["a1"], CHANGE) is False
    editor = _Request(user("editor", "blog.change_post"))
    assert bound.has_object_permission(editor, owners["a1"], CHANGE) is True
    # ReadOnly allows VIEW only: its "no object rule" never lets a row be written.
    read_only = (ReadOnly | IsAdminUser).bind(Post, None)
    assert read_only.has_object_permission(bob, owners["a1"], CHANGE) is False
    assert read_only.has_object_permission(bob, owners["a1"], VIEW) is True


def test_django_object_permissions_reads_need_the_model_permission_unless_rows_are_filtered():
    viewer = _Request(user("viewer"))
    assert DjangoObjectPermissions().has_permission(viewer, Post, VIEW) is False
    assert DjangoObjectPermissions().has_permission(viewer, Post, CHANGE) is True
    assert DjangoObjectPermissions().has_permission(viewer, Post, ADD) is False

    class Filtered(DjangoObjectPermissions):
        filters_rows = True

        def filter_queryset(self, request, model, queryset):
            return queryset.none()

    assert Filtered().has_permission(viewer, Post, VIEW) is True


def test_owner_check_reads_loaded_rows_without_queries(owners, django_assert_num_queries):
    bound = IsOwnerOrAdmin.with_field("author__user").bind(Post, None)
    post = Post.objects.select_related("author").get(pk=owners["a1"].pk)
    with django_assert_num_queries(0):
        assert bound.has_object_permission(_Request(owners["alice"]), post, CHANGE) is True
        assert bound.has_object_permission(_Request(owners["bob"]), post, CHANGE) is False
    assert Author.objects.count() == 2


@override_settings(GRAPHQL_AUTO_MODELS={"blog.Post": {"OWNER_FIELD": "tags"}})
def test_owner_field_through_a_to_many_relation_is_refused_when_it_is_not_a_user():
    (problem,) = [p for p in find_problems() if p.is_error]
    assert "leads to blog.Tag" in problem.message


@pytest.mark.parametrize(
    ("overrides", "where", "path"),
    [
        (
            {"GRAPHQL_AUTO_APPS": {"blog": {"PERMISSION_CLASSES": ["tests.policies.Nope"]}}},
            "GRAPHQL_AUTO_APPS['blog']['PERMISSION_CLASSES']",
            "tests.policies.Nope",
        ),
        (
            {"DJANGO_GRAPHQL_AUTO": {"POLICY": "no_such_module.Policy"}},
            "DJANGO_GRAPHQL_AUTO['POLICY']",
            "no_such_module.Policy",
        ),
    ],
)
def test_a_dotted_path_that_does_not_import_is_a_check_error(overrides, where, path):
    """A typo (`...permissions.Readonly`) passed `manage.py check` with a warning at most, and
    every request to the schema failed with a 500."""
    with override_settings(**overrides):
        problems = [p for p in find_problems() if p.is_error]
        assert [p.id for p in problems] == ["E008"]
        assert problems[0].message.startswith(f"{where}: '{path}' cannot be imported (")
        with pytest.raises(ImproperlyConfigured, match="cannot be imported"):
            get_schema()
