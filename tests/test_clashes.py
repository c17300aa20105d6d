"""Models whose names or values collide with names the generator derives (`tests/clashes`,
served at /clashes-graphql/), and the collisions that must fail the build loudly.

- A model named like a name derived from another model (`ProductOrder` is Product's order
  input, `ProductSize` the enum of `Product.size`, `BlogPage` Blog's page type) or like a
  library type (`Upload`) gets its app label in front; the other model keeps its names.
- Choice values that normalise to nothing (`+`, `-`, `?`) are named after their characters.
- A field whose name GraphQL cannot carry (`prénom`) is left out with warning W102.
- Two fields that would share one GraphQL name, and clashes no prefix can undo, raise
  ImproperlyConfigured when the schema is built, and `manage.py check` reports E101.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.test import override_settings
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    assert_valid_schema,
    print_schema,
)

from django_graphql_auto.conf import ModelConfig, SchemaConfig, load_schema_config
from django_graphql_auto.decorators import graphql_field
from django_graphql_auto.naming import NameCase, enum_value_names, is_graphql_name
from django_graphql_auto.schema.builder import build_schema
from django_graphql_auto.schema.metadata import _type_names, collect_model_schemas
from django_graphql_auto.schema.registry import get_schema
from django_graphql_auto.settings_table import SETTINGS
from tests.test_apps import test_app

PATH = "/clashes-graphql/"
PAYLOAD = "ok errors field_errors { field messages code }"


@pytest.fixture
def clashes():
    with test_app("clashes") as path:
        yield path


def _ok(result) -> Any:
    assert result.status == 200, result.body
    return result.ok()


# Names derived from another model -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_model_named_like_an_order_input_or_enum_is_prefixed(graphql, clashes):
    from tests.clashes.models import Product, ProductOrder, ProductSize

    created = _ok(
        graphql(
            'mutation { create_product(input: {name: "Tea", size: L}) { ok object { id } } }',
            path=PATH,
        )
    )
    product_id = created["create_product"]["object"]["id"]
    order = _ok(
        graphql(
            "mutation($p: ID!) { create_clashes_product_order(input: {product: $p, quantity: 3})"
            " { ok object { id quantity product { name size } } } }",
            {"p": product_id},
            path=PATH,
        )
    )["create_clashes_product_order"]
    assert order["ok"] and order["object"]["product"] == {"name": "Tea", "size": "L"}
    size = _ok(
        graphql(
            'mutation { create_clashes_product_size(input: {label: "XL"})'
            " { ok object { label } } }",
            path=PATH,
        )
    )
    assert size["create_clashes_product_size"]["object"] == {"label": "XL"}
    data = _ok(
        graphql(
            "{ products(order_by: [{name: ASC}], filters: {size: {exact: L}}) { name size"
            " orders { quantity } } clashes_product_orders { quantity }"
            " clashes_product_sizes { label } }",
            path=PATH,
        )
    )
    assert data["products"] == [{"name": "Tea", "size": "L", "orders": [{"quantity": 3}]}]
    assert data["clashes_product_orders"] == [{"quantity": 3}]
    assert data["clashes_product_sizes"] == [{"label": "XL"}]
    assert ProductOrder.objects.get().product == Product.objects.get(name="Tea", size="l")
    assert ProductSize.objects.get().label == "XL"
    sdl = print_schema(get_schema("clashes").schema)
    for name in ("input ProductOrder {", "enum ProductSize {", "type ClashesProductOrder {"):
        assert name in sdl
    assert "type ClashesProductSize {" in sdl and "input ClashesProductOrderOrder {" in sdl


@pytest.mark.django_db(transaction=True)
def test_a_model_named_like_a_scalar_is_prefixed(graphql, clashes):
    from tests.clashes.models import Upload

    result = _ok(
        graphql(
            'mutation { create_clashes_upload(input: {name: "a.txt"}) { ok object { name } } }',
            path=PATH,
        )
    )
    assert result["create_clashes_upload"] == {"ok": True, "object": {"name": "a.txt"}}
    assert _ok(graphql("{ clashes_uploads { name } }", path=PATH)) == {
        "clashes_uploads": [{"name": "a.txt"}]
    }
    assert Upload.objects.get().name == "a.txt"


@pytest.mark.django_db(transaction=True)
def test_a_model_named_like_a_page_type_leaves_the_pages_field_alone(graphql, clashes):
    from tests.clashes.models import Blog, BlogPage

    blog = _ok(
        graphql('mutation { create_blog(input: {title: "B"}) { object { id } } }', path=PATH)
    )
    blog_id = blog["create_blog"]["object"]["id"]
    page = _ok(
        graphql(
            'mutation($b: ID!) { create_clashes_blog_page(input: {blog: $b, title: "P1"}) {'
            f" {PAYLOAD} }} }}",
            {"b": blog_id},
            path=PATH,
        )
    )
    assert page["create_clashes_blog_page"]["ok"]
    data = _ok(
        graphql(
            "{ blog_pages(page: 1, page_size: 5) { items { title pages { title } }"
            " page_info { total_count } } clashes_blog_pages { title blog { title } }"
            " clashes_blog_page_pages { items { title } } }",
            path=PATH,
        )
    )
    assert data["blog_pages"] == {
        "items": [{"title": "B", "pages": [{"title": "P1"}]}],
        "page_info": {"total_count": 1},
    }
    assert data["clashes_blog_pages"] == [{"title": "P1", "blog": {"title": "B"}}]
    assert data["clashes_blog_page_pages"] == {"items": [{"title": "P1"}]}
    assert BlogPage.objects.get().blog == Blog.objects.get(title="B")


# Enum values -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_symbol_choices_get_valid_names(graphql, clashes):
    """`+`, `-` and `?` are all `_` by §10's rule; the later ones are numbered (`_2`, `_3`, not
    `__2`, which GraphQL reserves: every request to the endpoint was a 500)."""
    from tests.clashes.models import Vote

    for mark in ("_", "_2", "_3"):
        result = _ok(
            graphql(f"mutation {{ create_vote(input: {{mark: {mark}}}) {{ ok }} }}", path=PATH)
        )
        assert result == {"create_vote": {"ok": True}}
    assert sorted(Vote.objects.values_list("mark", flat=True)) == ["+", "-", "?"]
    data = _ok(
        graphql(
            "{ votes(order_by: [{id: ASC}]) { mark }"
            " down: votes(filters: {mark: {exact: _2}}) { mark } }",
            path=PATH,
        )
    )
    assert data["votes"] == [{"mark": "_"}, {"mark": "_2"}, {"mark": "_3"}]
    assert data["down"] == [{"mark": "_2"}]


@pytest.mark.parametrize(
    ("values", "names"),
    [
        (["+", "-", "?"], ["_", "_2", "_3"]),
        (["--", "??", "_2"], ["_", "_2", "_2_2"]),
        (["ß", "ø", ""], ["_", "_2", "_3"]),
        (["__x", "_x", "x"], ["_X", "_X_2", "X"]),
        (["a+", "a-", "a?", "A__2"], ["A_", "A__2", "A__3", "A__2_2"]),
        (["draft", 1, "2x", "in-progress"], ["DRAFT", "_1", "_2X", "IN_PROGRESS"]),
    ],
)
def test_enum_value_names_are_always_valid_and_unique(values, names):
    assert enum_value_names(values) == names
    assert all(is_graphql_name(name) for name in names)
    enum = GraphQLEnumType("E", dict(zip(names, values, strict=True)))
    assert_valid_schema(GraphQLSchema(GraphQLObjectType("Query", {"e": GraphQLField(enum)})))


# Field names GraphQL cannot carry ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_field_with_a_non_graphql_name_is_left_out_with_a_warning(graphql, clashes):
    from tests.clashes.models import Guest

    guest = Guest.objects.create(prénom="Zoë", family_name="Roe")
    data = _ok(graphql("{ guests { id family_name } }", path=PATH))
    assert data == {"guests": [{"id": str(guest.pk), "family_name": "Roe"}]}
    result = _ok(
        graphql(
            'mutation($id: ID!) { update_guest(id: $id, input: {family_name: "Doe"}) { ok } }',
            {"id": str(guest.pk)},
            path=PATH,
        )
    )
    assert result == {"update_guest": {"ok": True}}
    guest.refresh_from_db()
    assert (guest.prénom, guest.family_name) == ("Zoë", "Doe")
    assert "pr" not in print_schema(get_schema("clashes").schema).split("type Guest {")[1][:80]
    warnings = [m for m in run_checks() if m.id == "django_graphql_auto.W102"]
    assert len(warnings) == 1
    assert "clashes.Guest.prénom" in warnings[0].msg and "@graphql_field" in warnings[0].hint


@pytest.mark.django_db(transaction=True)
def test_the_clashes_schema_passes_the_checks(clashes):
    ids = {m.id for m in run_checks() if m.id.startswith("django_graphql_auto.E")}
    assert ids == set()


# Clashes that must fail the build ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_clash_a_type_name_pins_fails_the_build_and_the_check(graphql):
    with (
        test_app("clashes") as path,
        override_settings(
            GRAPHQL_AUTO_MODELS={"clashes.ProductOrder": {"TYPE_NAME": "ProductOrder"}}
        ),
    ):
        with pytest.raises(ImproperlyConfigured) as raised:
            get_schema("clashes")
        message = str(raised.value)
        assert "'ProductOrder'" in message and "TYPE_NAME" in message
        assert "clashes.Product" in message and "clashes.ProductOrder" in message
        errors = [m for m in run_checks() if m.id == "django_graphql_auto.E101"]
        assert len(errors) == 1 and "clashes.ProductOrder" in errors[0].msg
        assert path


def _probe(name: str, fields: dict[str, Any], app_label: str = "naming_probe"):
    """A model outside every installed app, for the clashes no installed test app may have
    (its schema would not build)."""
    meta = type("Meta", (), {"app_label": app_label})
    return type(name, (models.Model,), {"__module__": __name__, "Meta": meta, **fields})


def _schema_config(*probes, **values) -> SchemaConfig:
    """A schema config for `probes`, with the default values of every setting."""
    defaults = {name: spec.default for name, spec in SETTINGS.items() if "model" in spec.levels}
    configs = tuple(
        ModelConfig(model=probe, label=probe._meta.label, values={**defaults, **values})
        for probe in probes
    )
    return SchemaConfig(name="probe", values=load_schema_config("default").values, models=configs)


LINES = _probe(
    "Address",
    {"line_1": models.CharField(max_length=9), "line1": models.CharField(max_length=9)},
)
WRITER = _probe("Writer", {})
ESSAY = _probe(
    "Essay",
    {
        "writer": models.ForeignKey(WRITER, models.CASCADE),
        "nested_writer": models.CharField(max_length=9),
    },
)


def _nice_name(self) -> str:
    return "x"


NICE = _probe("Nice", {"vollständig": property(graphql_field()(_nice_name))})
DATUM = _probe("Datum", {})
DATA = _probe("Data", {})


def test_two_fields_with_one_camel_name_fail_the_build():
    collect_model_schemas(_schema_config(LINES), NameCase())  # snake: line_1 and line1
    with pytest.raises(ImproperlyConfigured) as raised:
        collect_model_schemas(_schema_config(LINES), NameCase(camel=True))
    message = str(raised.value)
    assert "naming_probe.Address" in message and "'line_1'" in message and "'line1'" in message


def test_a_field_named_like_a_nested_input_fails_the_build():
    with pytest.raises(ImproperlyConfigured) as raised:
        collect_model_schemas(_schema_config(WRITER, ESSAY), NameCase())
    message = str(raised.value)
    assert "naming_probe.Essay" in message and "'nested_writer'" in message
    assert "'writer'" in message
    # Without mutations there is no input to clash in.
    collect_model_schemas(_schema_config(WRITER, ESSAY, ENABLE_MUTATIONS=False), NameCase())


def test_a_root_field_clash_prefixes_the_model_whose_own_name_is_taken():
    names = _type_names(tuple(_schema_config(DATUM, DATA).models))
    assert names == {DATUM: "Datum", DATA: "NamingProbeData"}  # Datum's list field is `data`


def test_an_invalid_schema_fails_the_build():
    with pytest.raises(ImproperlyConfigured) as raised:
        build_schema(_schema_config(NICE))
    assert "not a valid GraphQL schema" in str(raised.value)
    assert "vollständig" in str(raised.value)


def test_the_schema_check_does_not_touch_the_database():
    """No django_db mark: pytest-django fails any query; the checks still build the schemas."""
    assert not [m for m in run_checks() if m.id.startswith("django_graphql_auto.E")]
    assert get_schema("default").schema is not None


@pytest.mark.django_db
def test_a_model_with_nothing_to_update_gets_no_update_mutation(graphql, settings):
    """Every field of Tag excluded: `UpdateTagInput` would have no field, which GraphQL
    forbids; the schema used to build and then answer every request with a 500."""
    models_settings = {**settings.GRAPHQL_AUTO_MODELS, "blog.Tag": {"EXCLUDE_FIELDS": ["name"]}}
    with override_settings(GRAPHQL_AUTO_MODELS=models_settings):
        result = graphql("{ __typename }")
        assert result.status == 200 and result.ok() == {"__typename": "Query"}
        fields = get_schema().schema.mutation_type.fields
        assert "update_tag" not in fields and "bulk_update_tag" not in fields
        assert {"delete_tag", "bulk_delete_tag", "update_post"} <= set(fields)
