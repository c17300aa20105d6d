"""Names: plurals, enum values, case conversion, type-name clashes."""

from __future__ import annotations

import pytest
from django.db import models

from django_graphql_auto.conf import ModelConfig
from django_graphql_auto.naming import (
    NameCase,
    camel_case,
    enum_value_name,
    pluralize,
    snake_case,
)
from django_graphql_auto.schema.metadata import _type_names


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        ("post", "posts"),
        ("category", "categories"),
        ("day", "days"),
        ("box", "boxes"),
        ("match", "matches"),
        ("person", "people"),
        ("child", "children"),
        ("knife", "knives"),
        ("leaf", "leaves"),
        ("roof", "roofs"),
        ("series", "series"),
        ("quiz", "quizzes"),
        ("waltz", "waltzes"),
        ("published_post", "published_posts"),
        ("blog_category", "blog_categories"),
    ],
)
def test_pluralize(word, plural):
    assert pluralize(word) == plural


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("draft", "DRAFT"),
        ("a+", "A_"),
        ("in-progress", "IN_PROGRESS"),
        (1, "_1"),
        ("2x", "_2X"),
        ("Ünïcode", "UNICODE"),
    ],
)
def test_enum_value_names(value, name):
    assert enum_value_name(value) == name


def test_cases():
    assert snake_case("PublishedPost") == "published_post"
    assert snake_case("HTTPLog") == "http_log"
    assert camel_case("total_count") == "totalCount"
    assert NameCase(camel=True)("has_next_page") == "hasNextPage"
    assert NameCase()("has_next_page") == "has_next_page"


def _model(name: str, app_label: str) -> type[models.Model]:
    meta = type("Meta", (), {"app_label": app_label})
    return type(name, (models.Model,), {"__module__": __name__, "Meta": meta})


def _config(model, **values):
    defaults = {"TYPE_NAME": None}
    return ModelConfig(model=model, label=model._meta.label, values={**defaults, **values})


def test_type_names_are_prefixed_only_on_clash():
    first, second = _model("Item", "naming_one"), _model("Item", "naming_two")
    unique = _model("Widget", "naming_one")
    reserved = _model("PageInfo", "naming_one")
    renamed = _model("Thing", "naming_two")
    names = _type_names(
        (
            _config(first),
            _config(second),
            _config(unique),
            _config(reserved),
            _config(renamed, TYPE_NAME="Gadget"),
        )
    )
    assert names[first] == "NamingOneItem"
    assert names[second] == "NamingTwoItem"
    assert names[unique] == "Widget"
    assert names[reserved] == "NamingOnePageInfo"
    assert names[renamed] == "Gadget"
