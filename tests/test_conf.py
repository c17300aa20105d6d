"""
Tests for the settings hierarchy (django_graphql_auto.conf) and its system checks.

Every test runs with a fixed INSTALLED_APPS: three contrib apps, the library, and a small app
declared in this module (label "conf_tests"), so the results do not depend on the example
project. No database is used.
"""

import os

import pytest
from django.apps import AppConfig
from django.contrib.auth.models import Group, Permission, User
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test import override_settings

from django_graphql_auto import conf
from django_graphql_auto.checks import check_settings
from django_graphql_auto.conf import (
    LEVELS,
    SETTINGS,
    ModelConfig,
    SchemaConfig,
    find_problems,
    load_schema_config,
    schema_names,
)

APP_LABEL = "conf_tests"


class ConfTestsConfig(AppConfig):
    name = __name__
    label = APP_LABEL
    path = os.path.dirname(os.path.abspath(__file__))
    default_auto_field = "django.db.models.AutoField"


class Author(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = APP_LABEL


class Tag(models.Model):
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(Author, through="Membership", related_name="member_tags")

    class Meta:
        app_label = APP_LABEL


class Article(models.Model):
    title = models.CharField(max_length=200)
    internal_notes = models.TextField(blank=True)
    api_token = models.CharField(max_length=64, blank=True)
    author = models.ForeignKey(Author, models.CASCADE, related_name="articles")
    tags = models.ManyToManyField(Tag, blank=True)  # auto-created through table

    class Meta:
        app_label = APP_LABEL

    class GraphQLMeta:
        exclude_fields = ["internal_notes"]
        DEFAULT_PAGE_SIZE = 5
        _private_helper = "ignored: starts with an underscore"


class Membership(models.Model):  # explicit through table: an ordinary model
    author = models.ForeignKey(Author, models.CASCADE)
    tag = models.ForeignKey(Tag, models.CASCADE)

    class Meta:
        app_label = APP_LABEL


class TimestampedBase(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        app_label = APP_LABEL

    class GraphQLMeta:
        max_page_size = 50


class Note(TimestampedBase):  # inherits the abstract parent's GraphQLMeta
    text = models.TextField()

    class Meta:
        app_label = APP_LABEL


class ArticleProxy(Article):  # does not inherit Article's GraphQLMeta (concrete parent)
    class Meta:
        proxy = True
        app_label = APP_LABEL


class Widget(models.Model):
    class Meta:
        app_label = APP_LABEL
        swappable = "CONF_TESTS_WIDGET_MODEL"


TEST_MODELS = [
    "conf_tests.Author",
    "conf_tests.Tag",
    "conf_tests.Article",
    "conf_tests.Membership",
    "conf_tests.Note",
    "conf_tests.ArticleProxy",
    "conf_tests.Widget",
]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    f"{__name__}.ConfTestsConfig",
    "django_graphql_auto",
]


@pytest.fixture(autouse=True)
def isolated_settings():
    with override_settings(
        INSTALLED_APPS=INSTALLED_APPS,
        DJANGO_GRAPHQL_AUTO={},
        GRAPHQL_AUTO_APPS={},
        GRAPHQL_AUTO_MODELS={},
    ):
        yield


def problems_for(**overrides):
    with override_settings(**overrides):
        return find_problems()


def only_problem(**overrides):
    problems = problems_for(**overrides)
    assert len(problems) == 1, problems
    return problems[0]


def labels(schema_config):
    return [config.label for config in schema_config.models]


# --- The table -------------------------------------------------------------------------------

EVERYWHERE = set(LEVELS)
GLOBAL_SCHEMA = {"global", "schema"}

EXPECTED = {
    "APPS": (None, GLOBAL_SCHEMA),
    "EXCLUDE_APPS": ([], GLOBAL_SCHEMA),
    "EXCLUDE_MODELS": ([], GLOBAL_SCHEMA),
    "NAME_CASE": ("snake", GLOBAL_SCHEMA),
    "POLICY": ("django_graphql_auto.security.policy.PermissionPolicy", GLOBAL_SCHEMA),
    "INTROSPECTION": (None, GLOBAL_SCHEMA),
    "GRAPHIQL": (None, GLOBAL_SCHEMA),
    "DOCUMENT_CACHE_SIZE": (1000, GLOBAL_SCHEMA),
    "MAX_REQUEST_BYTES": (1_048_576, GLOBAL_SCHEMA),
    "SANITIZE_FIELDS": ([], EVERYWHERE),
    "SANITIZE_TEXT_FIELDS": (False, EVERYWHERE),
    "SANITIZE_ALLOWED_TAGS": (None, EVERYWHERE),
    "SANITIZE_ALLOWED_ATTRIBUTES": (None, EVERYWHERE),
    "STATEMENT_TIMEOUT_MS": (10_000, GLOBAL_SCHEMA),
    "PREPARED_STATEMENTS": (True, GLOBAL_SCHEMA),
    "MAX_FILTER_DEPTH": (6, GLOBAL_SCHEMA),
    "MAX_FILTER_CONDITIONS": (100, GLOBAL_SCHEMA),
    "MAX_QUERY_DEPTH": (10, GLOBAL_SCHEMA),
    "MAX_QUERY_COST": (10_000, GLOBAL_SCHEMA),
    "FIELD_COSTS": ({}, GLOBAL_SCHEMA),
    "MAX_ALIASES": (30, GLOBAL_SCHEMA),
    "MAX_ROOT_FIELDS": (20, GLOBAL_SCHEMA),
    "MAX_TOKENS": (5_000, GLOBAL_SCHEMA),
    "MAX_DOCUMENT_BYTES": (100_000, GLOBAL_SCHEMA),
    "EXPOSE_QUERY_COST": (False, GLOBAL_SCHEMA),
    "DEBUG_ERRORS": (None, GLOBAL_SCHEMA),
    "SCHEMAS": ({}, {"global"}),
    "EXPOSE": (True, {"app", "model"}),
    "EXCLUDE_FIELDS": ([], EVERYWHERE),
    "ALLOW_SENSITIVE_FIELDS": ([], EVERYWHERE),
    "ENABLE_AUTHENTICATION": (True, EVERYWHERE),
    "JWT_ALGORITHM": ("HS256", GLOBAL_SCHEMA),
    "JWT_SECRET": (None, GLOBAL_SCHEMA),
    "JWT_PRIVATE_KEY_FILE": (None, GLOBAL_SCHEMA),
    "JWT_PUBLIC_KEY_FILE": (None, GLOBAL_SCHEMA),
    "JWT_ISSUER": ("django-graphql-auto", GLOBAL_SCHEMA),
    "JWT_AUDIENCE": ("django-graphql-auto", GLOBAL_SCHEMA),
    "JWT_ACCESS_TOKEN_LIFETIME": (300, GLOBAL_SCHEMA),
    "JWT_REFRESH_TOKEN_LIFETIME": (604_800, GLOBAL_SCHEMA),
    "JWT_LEEWAY": (0, GLOBAL_SCHEMA),
    "JWT_COOKIE": (False, GLOBAL_SCHEMA),
    "MFA_ISSUER": ("django-graphql-auto", GLOBAL_SCHEMA),
    "MFA_REQUIRED_ROLES": ([], GLOBAL_SCHEMA),
    "MFA_TICKET_LIFETIME": (300, GLOBAL_SCHEMA),
    "MFA_TOTP_WINDOW": (1, GLOBAL_SCHEMA),
    "MFA_BACKUP_CODES": (10, GLOBAL_SCHEMA),
    "ENABLE_REGISTRATION": (False, GLOBAL_SCHEMA),
    "ENABLE_PERMISSIONS": (True, EVERYWHERE),
    "ENABLE_RATE_LIMITING": (False, GLOBAL_SCHEMA),
    "RATE_LIMIT_QUERIES": ("120/minute", GLOBAL_SCHEMA),
    "RATE_LIMIT_MUTATIONS": ("30/minute", GLOBAL_SCHEMA),
    "RATE_LIMIT_LOGIN": ("10/minute", GLOBAL_SCHEMA),
    "RATE_LIMIT_BY_COST": (False, GLOBAL_SCHEMA),
    "RATE_LIMIT_CACHE": ("default", GLOBAL_SCHEMA),
    "TRUSTED_PROXIES": ([], GLOBAL_SCHEMA),
    "LOGIN_FAILURE_LIMIT": (5, GLOBAL_SCHEMA),
    "LOGIN_IP_FAILURE_LIMIT": (50, GLOBAL_SCHEMA),
    "LOGIN_LOCKOUT_SECONDS": (900, GLOBAL_SCHEMA),
    "ENABLE_QUERY_ANALYSIS": (True, EVERYWHERE),
    "ENABLE_MUTATIONS": (True, EVERYWHERE),
    "ENABLE_BULK_OPERATIONS": (True, EVERYWHERE),
    "PERMISSION_CLASSES": (
        ["django_graphql_auto.permissions.DjangoModelPermissions"],
        EVERYWHERE,
    ),
    "OWNER_FIELD": (None, EVERYWHERE),
    "FIELD_RULES": ({}, {"model"}),
    "ROLES": ({}, {"global"}),
    "DEFAULT_PAGE_SIZE": (20, EVERYWHERE),
    "MAX_PAGE_SIZE": (100, EVERYWHERE),
    "BULK_MAX_ITEMS": (500, EVERYWHERE),
    "REGEX_FILTER_FIELDS": ([], EVERYWHERE),
    "FIELDS": (None, {"model"}),
    "TYPE_NAME": (None, {"model"}),
    "PLURAL_NAME": (None, {"model"}),
    "MAX_NESTED_DEPTH": (4, GLOBAL_SCHEMA),
    "PERSISTED_QUERIES": ("apq", GLOBAL_SCHEMA),
    "ALLOWED_QUERIES_FILE": (None, GLOBAL_SCHEMA),
    "PERSISTED_QUERY_CACHE": ("default", GLOBAL_SCHEMA),
    "PERSISTED_QUERY_TTL": (86_400, GLOBAL_SCHEMA),
    "CACHE_TTL": (0, EVERYWHERE),
    "RESPONSE_CACHE": ("default", {"global"}),
    "UPLOAD_MAX_BYTES": (10_485_760, EVERYWHERE),
    "UPLOAD_MAX_REQUEST_BYTES": (52_428_800, GLOBAL_SCHEMA),
    "UPLOAD_ALLOWED_EXTENSIONS": (
        ["pdf", "txt", "csv", "png", "jpg", "jpeg", "gif", "webp"],
        EVERYWHERE,
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_table_has_every_documented_key(name):
    default, levels = EXPECTED[name]
    spec = SETTINGS[name]
    assert spec.name == name
    assert spec.default == default
    assert set(spec.levels) == levels
    assert spec.description and "\n" not in spec.description


def test_table_holds_nothing_undocumented():
    assert set(SETTINGS) == set(EXPECTED)
    assert all(set(spec.levels) <= set(LEVELS) for spec in SETTINGS.values())


def test_every_default_is_valid_at_every_level_it_may_appear():
    def at(level):
        return {n: s.default for n, s in SETTINGS.items() if level in s.levels}

    assert (
        problems_for(
            DJANGO_GRAPHQL_AUTO={**at("global"), "SCHEMAS": {"admin": at("schema")}},
            GRAPHQL_AUTO_APPS={APP_LABEL: at("app")},
            GRAPHQL_AUTO_MODELS={"conf_tests.Author": at("model")},
        )
        == []
    )


# --- A valid configuration ----------------------------------------------------------------------

VALID = {
    "DJANGO_GRAPHQL_AUTO": {
        "APPS": [APP_LABEL, "auth"],
        "EXCLUDE_MODELS": ["auth.Permission"],
        "NAME_CASE": "camel",
        "INTROSPECTION": False,
        "GRAPHIQL": None,
        "POLICY": object,  # a class is accepted as well as a dotted path
        "PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny", object],
        "SCHEMAS": {"admin": {"APPS": ["auth"], "MAX_PAGE_SIZE": 500}},
    },
    "GRAPHQL_AUTO_APPS": {APP_LABEL: {"EXCLUDE_FIELDS": ["api_token"], "MAX_PAGE_SIZE": 30}},
    "GRAPHQL_AUTO_MODELS": {
        "conf_tests.article": {"FIELDS": ["title", "author", "author_id", "tags"]},
        "conf_tests.Author": {"EXCLUDE_FIELDS": ["articles", "member_tags"], "TYPE_NAME": "Writer"},
        "auth.User": {"EXPOSE": False},
    },
}


def test_no_settings_at_all_is_valid():
    assert find_problems() == []


def test_valid_configuration_has_no_problems():
    assert problems_for(**VALID) == []
    with override_settings(**VALID):
        assert check_settings() == []
        call_command("check", tags=["django_graphql_auto"], verbosity=0)
        assert load_schema_config().name == "default"


# --- E001 unknown key ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"DJANGO_GRAPHQL_AUTO": {"EXCLUDE_FILEDS": []}}, "DJANGO_GRAPHQL_AUTO:"),
        (
            {"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": {"admin": {"EXCLUDE_FILEDS": []}}}},
            "DJANGO_GRAPHQL_AUTO['SCHEMAS']['admin']:",
        ),
        (
            {"GRAPHQL_AUTO_APPS": {APP_LABEL: {"EXCLUDE_FILEDS": []}}},
            "GRAPHQL_AUTO_APPS['conf_tests']:",
        ),
        (
            {"GRAPHQL_AUTO_MODELS": {"conf_tests.Article": {"EXCLUDE_FILEDS": []}}},
            "GRAPHQL_AUTO_MODELS['conf_tests.Article']:",
        ),
    ],
)
def test_e001_unknown_key_in_settings(overrides, where):
    problem = only_problem(**overrides)
    assert problem.id == "E001"
    assert problem.message.startswith(where)
    assert "unknown setting 'EXCLUDE_FILEDS'" in problem.message
    assert problem.hint == "Did you mean 'EXCLUDE_FIELDS'?"


def test_e001_unknown_key_in_graphql_meta(monkeypatch):
    class GraphQLMeta:
        exclude_filds = ["internal_notes"]

    monkeypatch.setattr(Article, "GraphQLMeta", GraphQLMeta)
    problem = only_problem()
    assert problem.id == "E001"
    assert "conf_tests.Article.GraphQLMeta: unknown setting 'exclude_filds'" in problem.message
    assert problem.hint == "Did you mean 'EXCLUDE_FIELDS'?"


def test_e001_settings_dicts_want_upper_case_names():
    problem = only_problem(DJANGO_GRAPHQL_AUTO={"max_page_size": 10})
    assert (problem.id, problem.hint) == ("E001", "Did you mean 'MAX_PAGE_SIZE'?")


def test_e001_non_string_key_and_no_close_match():
    problem = only_problem(DJANGO_GRAPHQL_AUTO={42: True})
    assert problem.id == "E001"
    assert problem.hint is None
    problem = only_problem(GRAPHQL_AUTO_APPS={APP_LABEL: {"FROBNICATE": 1}})
    assert "'FROBNICATE'" in problem.message
    assert problem.hint is None


# --- E002 wrong type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"DJANGO_GRAPHQL_AUTO": {"DEFAULT_PAGE_SIZE": "20"}}, "['DEFAULT_PAGE_SIZE']"),
        ({"DJANGO_GRAPHQL_AUTO": {"MAX_PAGE_SIZE": True}}, "['MAX_PAGE_SIZE']"),
        ({"DJANGO_GRAPHQL_AUTO": {"DEFAULT_PAGE_SIZE": 2.5}}, "['DEFAULT_PAGE_SIZE']"),
        ({"DJANGO_GRAPHQL_AUTO": {"ENABLE_MUTATIONS": 1}}, "['ENABLE_MUTATIONS']"),
        ({"DJANGO_GRAPHQL_AUTO": {"INTROSPECTION": "yes"}}, "['INTROSPECTION']"),
        ({"DJANGO_GRAPHQL_AUTO": {"APPS": "shop"}}, "['APPS']"),
        ({"DJANGO_GRAPHQL_AUTO": {"EXCLUDE_APPS": ["auth", 3]}}, "['EXCLUDE_APPS']"),
        ({"DJANGO_GRAPHQL_AUTO": {"POLICY": 3}}, "['POLICY']"),
        ({"DJANGO_GRAPHQL_AUTO": {"PERMISSION_CLASSES": "x.Y"}}, "['PERMISSION_CLASSES']"),
        ({"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": ["admin"]}}, "['SCHEMAS']"),
        ({"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": {"admin": 5}}}, "['SCHEMAS']['admin']"),
        ({"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": {5: {}}}}, "['SCHEMAS'][5]"),
        ({"GRAPHQL_AUTO_APPS": {APP_LABEL: ["EXPOSE"]}}, "GRAPHQL_AUTO_APPS['conf_tests']"),
        ({"GRAPHQL_AUTO_APPS": {APP_LABEL: {"EXPOSE": "no"}}}, "['EXPOSE']"),
        ({"GRAPHQL_AUTO_MODELS": {"conf_tests.Article": None}}, "['conf_tests.Article']"),
        (
            {"GRAPHQL_AUTO_MODELS": {"conf_tests.Article": {"EXCLUDE_FIELDS": "title"}}},
            "GRAPHQL_AUTO_MODELS['conf_tests.Article']['EXCLUDE_FIELDS']",
        ),
        ({"GRAPHQL_AUTO_MODELS": {"conf_tests.Article": {"TYPE_NAME": 7}}}, "['TYPE_NAME']"),
    ],
)
def test_e002_wrong_type(overrides, named):
    problem = only_problem(**overrides)
    assert problem.id == "E002"
    assert named in problem.message


def test_e002_message_says_what_is_expected():
    problem = only_problem(DJANGO_GRAPHQL_AUTO={"DEFAULT_PAGE_SIZE": "20"})
    assert problem.message == (
        "DJANGO_GRAPHQL_AUTO['DEFAULT_PAGE_SIZE'] must be an int, not str ('20')."
    )
    problem = only_problem(DJANGO_GRAPHQL_AUTO={"EXCLUDE_MODELS": ["auth.User", None]})
    assert problem.message == (
        "DJANGO_GRAPHQL_AUTO['EXCLUDE_MODELS'] must be a list or tuple of str; "
        "item 1 is NoneType (None)."
    )


def test_e002_graphql_meta_attribute_and_non_class(monkeypatch):
    class GraphQLMeta:
        max_page_size = "50"

    monkeypatch.setattr(Article, "GraphQLMeta", GraphQLMeta)
    problem = only_problem()
    assert problem.id == "E002"
    assert "conf_tests.Article.GraphQLMeta.max_page_size must be an int" in problem.message

    monkeypatch.setattr(Article, "GraphQLMeta", {"max_page_size": 50})
    problem = only_problem()
    assert problem.id == "E002"
    assert "conf_tests.Article.GraphQLMeta must be a class" in problem.message


# --- E003 key not allowed at that level ---------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key", "level"),
    [
        ({"GRAPHQL_AUTO_APPS": {APP_LABEL: {"NAME_CASE": "camel"}}}, "NAME_CASE", "app"),
        ({"GRAPHQL_AUTO_MODELS": {"conf_tests.Tag": {"APPS": None}}}, "APPS", "model"),
        ({"DJANGO_GRAPHQL_AUTO": {"EXPOSE": False}}, "EXPOSE", "global"),
        ({"DJANGO_GRAPHQL_AUTO": {"TYPE_NAME": "Thing"}}, "TYPE_NAME", "global"),
        ({"GRAPHQL_AUTO_APPS": {APP_LABEL: {"FIELDS": ["id"]}}}, "FIELDS", "app"),
        (
            {"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": {"admin": {"SCHEMAS": {}}}}},
            "SCHEMAS",
            "schema",
        ),
        (
            {"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": {"admin": {"EXPOSE": True}}}},
            "EXPOSE",
            "schema",
        ),
    ],
)
def test_e003_key_not_allowed_at_level(overrides, key, level):
    problem = only_problem(**overrides)
    assert problem.id == "E003"
    assert f"setting '{key}' is not allowed at {level} level" in problem.message
    assert problem.hint.startswith(f"{key} may appear in ")


def test_e003_in_graphql_meta(monkeypatch):
    class GraphQLMeta:
        name_case = "camel"

    monkeypatch.setattr(Article, "GraphQLMeta", GraphQLMeta)
    problem = only_problem()
    assert problem.id == "E003"
    assert problem.message == (
        "conf_tests.Article.GraphQLMeta: setting 'name_case' is not allowed at model level."
    )
    assert problem.hint == (
        "NAME_CASE may appear in DJANGO_GRAPHQL_AUTO, DJANGO_GRAPHQL_AUTO['SCHEMAS'][<name>]."
    )


# --- E004 not among choices ---------------------------------------------------------------------


def test_e004_value_not_among_choices():
    problem = only_problem(DJANGO_GRAPHQL_AUTO={"NAME_CASE": "kebab"})
    assert problem.id == "E004"
    assert problem.message == (
        "DJANGO_GRAPHQL_AUTO['NAME_CASE'] must be one of 'snake', 'camel', not 'kebab'."
    )
    problem = only_problem(DJANGO_GRAPHQL_AUTO={"SCHEMAS": {"admin": {"NAME_CASE": "Camel"}}})
    assert problem.id == "E004"
    assert "DJANGO_GRAPHQL_AUTO['SCHEMAS']['admin']['NAME_CASE']" in problem.message


# --- E005 reference to something that does not exist ---------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected", "hint"),
    [
        (
            {"GRAPHQL_AUTO_APPS": {"conf_test": {}}},
            "GRAPHQL_AUTO_APPS: 'conf_test' is not an installed app label.",
            "Did you mean 'conf_tests'?",
        ),
        (
            {"GRAPHQL_AUTO_MODELS": {"conf_tests.Artcle": {}}},
            "GRAPHQL_AUTO_MODELS: 'conf_tests.Artcle' is not an installed model",
            "Did you mean 'conf_tests.Article'?",
        ),
        (
            {"GRAPHQL_AUTO_MODELS": {"Article": {}}},
            "GRAPHQL_AUTO_MODELS: 'Article' is not an installed model",
            None,
        ),
        (
            {"DJANGO_GRAPHQL_AUTO": {"EXCLUDE_MODELS": ["auth.Groups"]}},
            "DJANGO_GRAPHQL_AUTO['EXCLUDE_MODELS']: 'auth.Groups' is not an installed model",
            "Did you mean 'auth.Group'?",
        ),
        (
            {"DJANGO_GRAPHQL_AUTO": {"APPS": ["conf_tests", "shop"]}},
            "DJANGO_GRAPHQL_AUTO['APPS']: 'shop' is not an installed app label.",
            None,
        ),
        (
            {"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": {"admin": {"APPS": ["auht"]}}}},
            "DJANGO_GRAPHQL_AUTO['SCHEMAS']['admin']['APPS']: 'auht' is not an installed app",
            "Did you mean 'auth'?",
        ),
        (
            {"DJANGO_GRAPHQL_AUTO": {"EXCLUDE_APPS": ["session"]}},
            "DJANGO_GRAPHQL_AUTO['EXCLUDE_APPS']: 'session' is not an installed app label.",
            "Did you mean 'sessions'?",
        ),
        (
            {"GRAPHQL_AUTO_MODELS": {"conf_tests.Article": {"EXCLUDE_FIELDS": ["intrnal_notes"]}}},
            "GRAPHQL_AUTO_MODELS['conf_tests.Article']['EXCLUDE_FIELDS']: 'intrnal_notes' is "
            "not a field of conf_tests.Article.",
            "Did you mean 'internal_notes'?",
        ),
        (
            {"GRAPHQL_AUTO_MODELS": {"conf_tests.Author": {"FIELDS": ["name", "article"]}}},
            "['FIELDS']: 'article' is not a field of conf_tests.Author.",
            "Did you mean 'articles'?",
        ),
    ],
)
def test_e005_reference_does_not_exist(overrides, expected, hint):
    problem = only_problem(**overrides)
    assert problem.id == "E005"
    assert expected in problem.message
    assert problem.hint == hint


def test_e005_field_name_in_graphql_meta(monkeypatch):
    class GraphQLMeta:
        REGEX_FILTER_FIELDS = ["titel"]

    monkeypatch.setattr(Article, "GraphQLMeta", GraphQLMeta)
    problem = only_problem()
    assert problem.id == "E005"
    assert "conf_tests.Article.GraphQLMeta.REGEX_FILTER_FIELDS: 'titel'" in problem.message


def test_e005_model_labels_are_case_insensitive():
    assert problems_for(GRAPHQL_AUTO_MODELS={"CONF_TESTS.article": {"EXPOSE": False}}) == []
    assert problems_for(DJANGO_GRAPHQL_AUTO={"EXCLUDE_MODELS": ["Auth.group"]}) == []


# --- E006 top-level setting not a dict ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["DJANGO_GRAPHQL_AUTO", "GRAPHQL_AUTO_APPS", "GRAPHQL_AUTO_MODELS"]
)
@pytest.mark.parametrize("value", [5, None, ["EXPOSE"], "conf_tests"])
def test_e006_top_level_setting_not_a_dict(name, value):
    problem = only_problem(**{name: value})
    assert problem.id == "E006"
    assert problem.message == f"{name} must be a dict, not {type(value).__name__}."


# --- E007 page sizes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"DJANGO_GRAPHQL_AUTO": {"DEFAULT_PAGE_SIZE": 0}},
            "DJANGO_GRAPHQL_AUTO['DEFAULT_PAGE_SIZE'] must be at least 1, not 0.",
        ),
        (
            {"GRAPHQL_AUTO_APPS": {APP_LABEL: {"MAX_PAGE_SIZE": -5}}},
            "GRAPHQL_AUTO_APPS['conf_tests']['MAX_PAGE_SIZE'] must be at least 1, not -5.",
        ),
        (
            {"DJANGO_GRAPHQL_AUTO": {"BULK_MAX_ITEMS": 0}},
            "DJANGO_GRAPHQL_AUTO['BULK_MAX_ITEMS'] must be at least 1, not 0.",
        ),
        (
            # Note's GraphQLMeta sets MAX_PAGE_SIZE = 50: a second conflict, unless Note is hidden.
            {
                "DJANGO_GRAPHQL_AUTO": {
                    "DEFAULT_PAGE_SIZE": 200,
                    "EXCLUDE_MODELS": ["conf_tests.Note"],
                }
            },
            "DEFAULT_PAGE_SIZE (200, from DJANGO_GRAPHQL_AUTO) is greater than "
            "MAX_PAGE_SIZE (100, from the default).",
        ),
        (
            {
                "DJANGO_GRAPHQL_AUTO": {"MAX_PAGE_SIZE": 10, "DEFAULT_PAGE_SIZE": 10},
                "GRAPHQL_AUTO_APPS": {APP_LABEL: {"DEFAULT_PAGE_SIZE": 10}},
                "GRAPHQL_AUTO_MODELS": {"conf_tests.Tag": {"DEFAULT_PAGE_SIZE": 11}},
            },
            "DEFAULT_PAGE_SIZE (11, from GRAPHQL_AUTO_MODELS['conf_tests.Tag']) is greater "
            "than MAX_PAGE_SIZE (10, from DJANGO_GRAPHQL_AUTO).",
        ),
        (
            {"DJANGO_GRAPHQL_AUTO": {"SCHEMAS": {"admin": {"MAX_PAGE_SIZE": 15}}}},
            "DEFAULT_PAGE_SIZE (20, from the default) is greater than MAX_PAGE_SIZE "
            "(15, from DJANGO_GRAPHQL_AUTO['SCHEMAS']['admin']).",
        ),
    ],
)
def test_e007_page_sizes(overrides, expected):
    # One problem even though every exposed model inherits the same conflict.
    problem = only_problem(**overrides)
    assert problem.id == "E007"
    assert problem.message == expected


def test_e007_graphql_meta_conflicts_with_app_maximum():
    # Article's GraphQLMeta sets DEFAULT_PAGE_SIZE = 5.
    problem = only_problem(
        GRAPHQL_AUTO_APPS={APP_LABEL: {"MAX_PAGE_SIZE": 4, "DEFAULT_PAGE_SIZE": 3}}
    )
    assert problem.id == "E007"
    assert "(5, from conf_tests.Article.GraphQLMeta)" in problem.message
    assert "(4, from GRAPHQL_AUTO_APPS['conf_tests'])" in problem.message


# --- Robustness ----------------------------------------------------------------------------------


def test_malformed_settings_never_crash_the_checks(monkeypatch):
    class GraphQLMeta:
        fields = 3
        EXCLUDE_FIELDS = [None, ["x"]]

        def method(self):
            pass

    monkeypatch.setattr(Tag, "GraphQLMeta", GraphQLMeta, raising=False)
    overrides = {
        "DJANGO_GRAPHQL_AUTO": {
            "SCHEMAS": {"": {}, None: [], "admin": {"APPS": [{}], "DEFAULT_PAGE_SIZE": [1]}},
            "APPS": [["auth"]],
            "EXCLUDE_MODELS": [5],
            ("tuple",): 1,
            "NAME_CASE": ["snake"],
        },
        "GRAPHQL_AUTO_APPS": {("a",): {}, APP_LABEL: {"EXPOSE": {}}, "auth": 5},
        "GRAPHQL_AUTO_MODELS": {5: {}, "a.b.c": [], "conf_tests.Tag": {"FIELDS": {"x": 1}}},
    }
    problems = problems_for(**overrides)
    assert {p.id for p in problems} >= {"E001", "E002", "E005"}
    with override_settings(**overrides):
        messages = check_settings()
        assert len(messages) == len(problems)
        assert all(isinstance(m, checks.Error) for m in messages)
        with pytest.raises(ImproperlyConfigured):
            load_schema_config()


# --- The system check itself ---------------------------------------------------------------------


def test_check_is_registered_with_its_tag():
    assert "django_graphql_auto" in checks.registry.registry.tags_available()
    assert check_settings in checks.registry.registry.get_checks()


def test_check_messages_have_stable_ids():
    with override_settings(DJANGO_GRAPHQL_AUTO={"MAX_PAGE_SIZE": "many"}):
        (message,) = check_settings()
    assert isinstance(message, checks.Error)
    assert message.id == "django_graphql_auto.E002"
    assert "MAX_PAGE_SIZE" in message.msg


def test_manage_py_check_names_the_key():
    with (
        override_settings(
            GRAPHQL_AUTO_MODELS={"conf_tests.Article": {"EXCLUDE_FILEDS": ["internal_notes"]}}
        ),
        pytest.raises(SystemCheckError) as raised,
    ):
        call_command("check")
    text = str(raised.value)
    assert "(django_graphql_auto.E001) GRAPHQL_AUTO_MODELS['conf_tests.Article']: " in text
    assert "unknown setting 'EXCLUDE_FILEDS'" in text
    assert "HINT: Did you mean 'EXCLUDE_FIELDS'?" in text


def test_load_schema_config_refuses_a_broken_configuration():
    with (
        override_settings(GRAPHQL_AUTO_APPS={APP_LABEL: {"NAME_CASE": "camel"}}),
        pytest.raises(ImproperlyConfigured) as raised,
    ):
        load_schema_config()
    assert "(E003) GRAPHQL_AUTO_APPS['conf_tests']: setting 'NAME_CASE'" in str(raised.value)


def test_load_schema_config_refuses_an_unknown_schema():
    with (
        override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": {"admin": {}}}),
        pytest.raises(
            ImproperlyConfigured,
            match="Unknown GraphQL schema 'public'; configured schemas: default, admin",
        ),
    ):
        load_schema_config("public")


# --- Resolution ----------------------------------------------------------------------------------

LADDER = {
    "DJANGO_GRAPHQL_AUTO": {
        "DEFAULT_PAGE_SIZE": 10,
        "SCHEMAS": {"admin": {"DEFAULT_PAGE_SIZE": 11}},
    },
    "GRAPHQL_AUTO_APPS": {APP_LABEL: {"DEFAULT_PAGE_SIZE": 12}},
    "GRAPHQL_AUTO_MODELS": {"conf_tests.Article": {"DEFAULT_PAGE_SIZE": 14}},
}


def page_size(model, schema="default", **overrides):
    with override_settings(**overrides):
        return load_schema_config(schema).for_model(model)["DEFAULT_PAGE_SIZE"]


def test_resolution_model_setting_beats_graphql_meta():
    assert page_size(Article, **LADDER) == 14
    assert page_size(Article, "admin", **LADDER) == 14


def test_resolution_graphql_meta_beats_app():
    ladder = {**LADDER, "GRAPHQL_AUTO_MODELS": {}}
    assert page_size(Article, **ladder) == 5
    assert page_size(Article, "admin", **ladder) == 5


def test_resolution_app_beats_schema_and_global():
    assert page_size(Author, **LADDER) == 12
    assert page_size(Author, "admin", **LADDER) == 12


def test_resolution_schema_override_beats_global():
    ladder = {**LADDER, "GRAPHQL_AUTO_APPS": {}}
    assert page_size(Author, "admin", **ladder) == 11
    assert page_size(Author, "default", **ladder) == 10


def test_resolution_falls_back_to_the_default():
    assert page_size(Author) == 20


def test_resolution_replaces_lists_instead_of_merging():
    overrides = {
        "DJANGO_GRAPHQL_AUTO": {"EXCLUDE_FIELDS": ["created"]},
        "GRAPHQL_AUTO_APPS": {APP_LABEL: {"EXCLUDE_FIELDS": ["name"]}},
        "GRAPHQL_AUTO_MODELS": {"conf_tests.Article": {"EXCLUDE_FIELDS": ["api_token"]}},
    }
    with override_settings(**overrides):
        config = load_schema_config()
    assert config.for_model(Article)["EXCLUDE_FIELDS"] == ["api_token"]
    assert config.for_model(Author)["EXCLUDE_FIELDS"] == ["name"]
    assert config["EXCLUDE_FIELDS"] == ["created"]
    with override_settings(**{**overrides, "GRAPHQL_AUTO_MODELS": {}}):
        assert load_schema_config().for_model(Article)["EXCLUDE_FIELDS"] == ["internal_notes"]


def test_graphql_meta_accepts_any_case_and_ignores_private_names():
    config = load_schema_config().for_model(Article)
    assert config["EXCLUDE_FIELDS"] == ["internal_notes"]  # spelt exclude_fields
    assert config["DEFAULT_PAGE_SIZE"] == 5  # spelt DEFAULT_PAGE_SIZE
    assert "_PRIVATE_HELPER" not in config.values


def test_graphql_meta_is_inherited_from_abstract_parents_only():
    config = load_schema_config()
    assert config.for_model(Note)["MAX_PAGE_SIZE"] == 50
    assert config.for_model(ArticleProxy)["DEFAULT_PAGE_SIZE"] == 20
    # ...except the field rules: a proxy reads the same columns as its concrete model.
    assert config.for_model(ArticleProxy)["EXCLUDE_FIELDS"] == ["internal_notes"]


def test_model_config_holds_every_model_level_key():
    config = load_schema_config().for_model(Author)
    assert isinstance(config, ModelConfig)
    assert config.model is Author
    assert config.label == "conf_tests.Author"
    assert set(config.values) == {n for n, s in SETTINGS.items() if "model" in s.levels}
    assert config["TYPE_NAME"] is None
    with pytest.raises(KeyError, match="NAME_CASE"):
        config["NAME_CASE"]


def test_schema_config_holds_every_schema_level_key():
    with override_settings(
        DJANGO_GRAPHQL_AUTO={"NAME_CASE": "camel", "SCHEMAS": {"admin": {"NAME_CASE": "snake"}}}
    ):
        default, admin = load_schema_config(), load_schema_config("admin")
    assert isinstance(default, SchemaConfig)
    assert set(default.values) == {n for n, s in SETTINGS.items() if "schema" in s.levels}
    assert (default["NAME_CASE"], admin["NAME_CASE"]) == ("camel", "snake")
    assert default["INTROSPECTION"] is None
    assert default["MAX_REQUEST_BYTES"] == 1_048_576
    with pytest.raises(KeyError, match="TYPE_NAME"):
        default["TYPE_NAME"]


def test_resolved_defaults_are_copies():
    config = load_schema_config().for_model(Author)
    config["EXCLUDE_FIELDS"].append("name")
    assert SETTINGS["EXCLUDE_FIELDS"].default == []
    assert load_schema_config().for_model(Author)["EXCLUDE_FIELDS"] == []


def test_settings_are_read_at_call_time():
    assert load_schema_config()["NAME_CASE"] == "snake"
    with override_settings(DJANGO_GRAPHQL_AUTO={"NAME_CASE": "camel"}):
        assert load_schema_config()["NAME_CASE"] == "camel"


# --- Exposure ------------------------------------------------------------------------------------


def test_default_exposure_is_every_non_django_app_in_order():
    config = load_schema_config()
    # Django's own apps and the library are hidden; the auto-created Article.tags table is
    # skipped; the explicit through model (Membership) and the proxy are exposed.
    assert labels(config) == TEST_MODELS


def test_contrib_apps_are_exposed_only_when_listed():
    with override_settings(DJANGO_GRAPHQL_AUTO={"APPS": [APP_LABEL, "auth"]}):
        config = load_schema_config()
    # INSTALLED_APPS order (auth before conf_tests), whatever the order in APPS.
    assert labels(config) == ["auth.Permission", "auth.Group", "auth.User", *TEST_MODELS]
    assert config.for_model(Group) is not None
    assert all(not m.model._meta.auto_created for m in config.models)  # no User_groups etc.


def test_apps_selects_and_exclude_apps_wins():
    with override_settings(DJANGO_GRAPHQL_AUTO={"APPS": ["auth"], "EXCLUDE_APPS": []}):
        assert labels(load_schema_config()) == ["auth.Permission", "auth.Group", "auth.User"]
    with override_settings(DJANGO_GRAPHQL_AUTO={"APPS": ["auth"], "EXCLUDE_APPS": ["auth"]}):
        assert labels(load_schema_config()) == []
    with override_settings(DJANGO_GRAPHQL_AUTO={"EXCLUDE_APPS": [APP_LABEL]}):
        assert labels(load_schema_config()) == []


def test_exclude_models_is_case_insensitive_and_wins_over_expose():
    with override_settings(
        DJANGO_GRAPHQL_AUTO={"EXCLUDE_MODELS": ["CONF_TESTS.note", "conf_tests.Widget"]},
        GRAPHQL_AUTO_MODELS={"conf_tests.Note": {"EXPOSE": True}},
    ):
        config = load_schema_config()
    assert labels(config) == [*TEST_MODELS[:4], "conf_tests.ArticleProxy"]
    assert config.for_model(Note) is None


def test_expose_false_follows_the_hierarchy(monkeypatch):
    with override_settings(
        GRAPHQL_AUTO_APPS={APP_LABEL: {"EXPOSE": False}},
        GRAPHQL_AUTO_MODELS={"conf_tests.Tag": {"EXPOSE": True}},
    ):
        assert labels(load_schema_config()) == ["conf_tests.Tag"]

    class GraphQLMeta:
        expose = False

    monkeypatch.setattr(Author, "GraphQLMeta", GraphQLMeta, raising=False)
    config = load_schema_config()
    assert config.for_model(Author) is None
    assert "conf_tests.Author" not in labels(config)
    with override_settings(GRAPHQL_AUTO_MODELS={"conf_tests.Author": {"EXPOSE": True}}):
        assert load_schema_config().for_model(Author) is not None


def test_swapped_models_are_skipped():
    with override_settings(CONF_TESTS_WIDGET_MODEL="conf_tests.Note"):
        assert "conf_tests.Widget" not in labels(load_schema_config())
    with override_settings(DJANGO_GRAPHQL_AUTO={"APPS": ["auth"]}):
        assert User in [m.model for m in load_schema_config().models]
    with override_settings(
        DJANGO_GRAPHQL_AUTO={"APPS": ["auth"]}, AUTH_USER_MODEL="conf_tests.Author"
    ):
        assert User not in [m.model for m in load_schema_config().models]


def test_each_schema_has_its_own_models():
    with override_settings(
        DJANGO_GRAPHQL_AUTO={
            "EXCLUDE_MODELS": ["conf_tests.Widget"],
            "SCHEMAS": {"admin": {"APPS": ["auth", APP_LABEL], "EXCLUDE_MODELS": []}},
        }
    ):
        default, admin = load_schema_config(), load_schema_config("admin")
    assert "conf_tests.Widget" not in labels(default)
    assert admin.for_model(Permission) is not None
    assert admin.for_model("conf_tests.widget") is not None
    assert default.for_model(Permission) is None


def test_for_model_accepts_class_instance_and_label():
    config = load_schema_config()
    by_class = config.for_model(Article)
    assert by_class is not None
    assert config.for_model(Article(title="x")) is by_class
    assert config.for_model("CONF_TESTS.ARTICLE") is by_class
    assert config.for_model(ArticleProxy) is not by_class
    assert config.for_model(Group) is None
    assert config.for_model("nope.Nothing") is None


# --- Schema names --------------------------------------------------------------------------------


def test_schema_names():
    assert schema_names() == ("default",)
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": {"admin": {}, "default": {}}}):
        assert schema_names() == ("default", "admin")
        assert load_schema_config("admin").name == "admin"
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": {"public": {}, "admin": {}}}):
        assert schema_names() == ("default", "public", "admin")
    # A malformed SCHEMAS is an error for the checks, not a crash here.
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": 5}):
        assert schema_names() == ("default",)
    assert conf.DEFAULT_SCHEMA == "default"
