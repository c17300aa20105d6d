"""Query analysis (SPEC §6 "Limits"): hostile documents are refused before anything executes.

The rules are tested on their own against a small SDL schema whose costs are worked out by hand,
then through HTTP against the example project: the hostile documents of the benchmark
(`benchmarks/hostile.py`, the same objects), per-schema settings, the switch that turns analysis
off and `extensions.cost`.
"""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from graphql import (
    FragmentDefinitionNode,
    OperationDefinitionNode,
    build_schema,
    get_introspection_query,
    parse,
    validate,
)
from graphql.validation import NoFragmentCyclesRule

from benchmarks.hostile import HOSTILE
from django_graphql_auto.conf import find_problems
from django_graphql_auto.execution import engine
from django_graphql_auto.execution.limits import depth as depth_module
from django_graphql_auto.execution.limits.aliases import MaxAliasesRule
from django_graphql_auto.execution.limits.cost import (
    CEILING,
    CostModel,
    MaxCostRule,
    PageSizes,
    operation_cost,
)
from django_graphql_auto.execution.limits.depth import MaxDepthRule
from django_graphql_auto.execution.limits.introspection import IntrospectionDepthRule
from django_graphql_auto.execution.limits.root_fields import MaxRootFieldsRule
from django_graphql_auto.execution.limits.tokens import check_size, check_tokens
from django_graphql_auto.schema.registry import get_schema
from tests import factories as f
from tests.test_query_counts import CLINIC, NESTED

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# The example project's schemas, repeated so that a test changes one key only.
SCHEMAS = {"admin": {"APPS": ["blog", "clinic", "auth"]}}
ADMIN = "/admin-graphql/"

SDL = """
type Query {
  posts(limit: Int, offset: Int): [Post!]!
  post(id: ID!): Post
  post_pages(page: Int, page_size: Int): PostPage!
}
type Post {
  id: ID!
  title: String
  author: Author
  comments(limit: Int): [Comment!]!
  comments_count: Int!
  tags: [String!]!
}
type Author { name: String posts(limit: Int): [Post!]! }
type Comment { body: String post: Post }
type PostPage { items: [Post!]! page_info: PageInfo! }
type PageInfo { total_count: Int! }
"""
SCHEMA = build_schema(SDL)
POST_SIZES = PageSizes(default=20, maximum=100)
MODEL = CostModel(
    weights={"Post.comments_count": 2},
    size_arguments=frozenset({"limit", "page_size"}),
    sizes={"Post": POST_SIZES, "PostPage": POST_SIZES, "Comment": PageSizes(5, 50)},
    fallback=PageSizes(10, 1000),
)


def errors(rule, document: str, schema=SCHEMA):
    return validate(schema, parse(document), [rule])


def cost(document: str, model: CostModel = MODEL) -> int:
    node = parse(document)
    fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in node.definitions if isinstance(d, OperationDefinitionNode))
    return operation_cost(SCHEMA, model, fragments, operation)


def assert_refused(found, setting: str, actual: int) -> None:
    assert len(found) == 1, found
    extensions = found[0].extensions
    assert extensions["code"] == TOO_COMPLEX
    assert extensions["limit"] == setting and extensions["actual"] == actual
    assert setting in found[0].message and f"{actual:,}" in found[0].message


def _bomb(levels: int) -> str:
    """2**levels copies of `id` through fragments spreading the next one twice."""
    spreads = " ".join(
        f"fragment F{i} on Post {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"{{ post(id: 1) {{ ...F0 }} }} {spreads} fragment F{levels} on Post {{ id }}"


def _chain(length: int) -> str:
    links = " ".join(f"fragment F{i} on Post {{ ...F{i + 1} }}" for i in range(length))
    return f"{{ posts {{ ...F0 }} }} {links} fragment F{length} on Post {{ id }}"


# --- Cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{ posts { title } }", 1 + 20 * 1),  # no limit: the item model's default page size
        ("{ posts(limit: 3) { title author { name } } }", 1 + 3 * (1 + (1 + 1))),
        ("{ posts(limit: 1000) { title } }", 1 + 100 * 1),  # above MAX_PAGE_SIZE counts as it
        ("{ posts(limit: -5) { title } }", 1),
        ("query($n: Int) { posts(limit: $n) { title } }", 1 + 100 * 1),  # a variable: the max
        ("{ posts(limit: 2) { comments { body } comments_count } }", 1 + 2 * ((1 + 5) + 2)),
        ("{ post_pages(page_size: 4) { items { title } page_info { total_count } } }", 8),
        ("{ post_pages { items { title } } }", 1 + (1 + 20 * 1)),
        ("{ posts(limit: 2) { ...P } } fragment P on Post { title author { name } }", 7),
        ("{ post_pages(page_size: 3) { ...G } } fragment G on PostPage { items { id } }", 5),
        ("{ post_pages(page_size: 3) { ... on PostPage { items { id } } } }", 5),
        ("{ posts(limit: 1) { tags } }", 2),  # a list of scalars is a leaf
        ("{ __typename posts(limit: 1) { __typename } }", 1 + (1 + 1)),
        # post 1 + comments (1 + 50 * (post 1 + author (1 + posts (1 + 20 * 1))))
        ("{ post(id: 1) { comments(limit: 50) { post { author { posts { id } } } } } }", 1152),
    ],
)
def test_cost_by_hand(document, expected):
    assert cost(document) == expected


def test_field_costs_override_the_weights():
    model = CostModel(
        weights={"Query.posts": 10, "Post.comments_count": 0},
        size_arguments=MODEL.size_arguments,
        sizes=MODEL.sizes,
        fallback=MODEL.fallback,
    )
    assert cost("{ posts(limit: 2) { title comments_count } }", model) == 10 + 2 * (1 + 0)


def test_a_fragment_bomb_is_costed_without_expanding_it():
    start = time.perf_counter()
    assert cost(_bomb(30)) == 1 + 2**30
    assert cost(_bomb(80)) == CEILING  # saturates: JSON clients cannot read bigger numbers
    assert time.perf_counter() - start < 1


def test_cost_rule_reports_the_measured_cost():
    rule = MaxCostRule.bound(60, model=MODEL)
    assert errors(rule, "{ posts(limit: 4) { title } }") == []
    assert_refused(errors(rule, "{ posts { title author { name } } }"), "MAX_QUERY_COST", 61)
    (saturated,) = errors(rule, _bomb(80))
    assert "over 9,007,199,254,740,990" in saturated.message


# --- Depth --------------------------------------------------------------------------------------


def test_depth_counts_fields_with_the_root_field_at_one():
    document = "{ posts { author { name } } }"
    assert errors(MaxDepthRule.bound(3), document) == []
    assert_refused(errors(MaxDepthRule.bound(2), document), "MAX_QUERY_DEPTH", 3)


def test_depth_follows_fragments_and_ignores_inline_fragment_nesting():
    document = """{ posts { ... on Post { ...P } } }
        fragment P on Post { author { ... on Author { posts { id } } } }"""
    assert_refused(errors(MaxDepthRule.bound(3), document), "MAX_QUERY_DEPTH", 4)


def test_depth_does_not_descend_into_introspection():
    document = "{ __schema { types { fields { type { ofType { name } } } } } __typename }"
    assert errors(MaxDepthRule.bound(1), document) == []


def test_a_fragment_cycle_ends_and_is_reported_by_graphql_core():
    document = """{ posts { ...A } }
        fragment A on Post { author { ...B } }
        fragment B on Author { posts { ...A } }"""
    rules = [MaxDepthRule.bound(10), MaxCostRule.bound(10_000, model=MODEL), NoFragmentCyclesRule]
    (cycle,) = validate(SCHEMA, parse(document), rules)
    assert "within itself" in cycle.message


def test_a_long_fragment_chain_stops_the_walk(monkeypatch):
    # graphql-core 3.2.14+ aborts validation of a 200-spread chain itself, so lower our bound.
    monkeypatch.setattr(depth_module, "MAX_NESTING", 20)
    (found,) = errors(MaxDepthRule.bound(10), _chain(50))
    assert found.extensions["code"] == TOO_COMPLEX
    assert "more than 20 levels" in found.message


# --- Aliases, root fields, tokens, size, introspection ------------------------------------------


def test_aliases_are_counted_in_the_whole_document():
    document = "{ a: posts { b: title } } fragment P on Post { c: title d: title }"
    assert errors(MaxAliasesRule.bound(4), document) == []
    assert_refused(errors(MaxAliasesRule.bound(3), document), "MAX_ALIASES", 4)


@pytest.mark.parametrize(
    "document",
    [
        "{ a: posts { b: title } }",
        'query($x: Int = 1, $y: String = "a:b") { posts(limit: $x) { t: title @skip(if: false) } }',
        "{ p: post(id: 1) { c: comments(limit: 2) { body } } }",
        "query { posts(limit: 1) { id } } fragment F on Post { a: title b: author { n: name } }",
        "mutation { x: __typename }",
        '{ a: posts(filters: {title: {exact: "x"}, or: [{id: 1}]}) { id } }',
        "{ posts { id } }",
    ],
)
def test_the_lexer_counts_aliases_like_the_rule(document):
    """Aliases are counted before parsing; the count must match what the rule would say."""
    by_rule = errors(MaxAliasesRule.bound(0), document)
    lexed = check_tokens(document, max_tokens=1000, max_aliases=0)
    assert [e.extensions["actual"] for e in lexed] == [e.extensions["actual"] for e in by_rule]


def test_root_fields_are_counted_as_written():
    document = """{ posts { id } posts { title } ...R ...R ... on Query { post(id: 1) { id } } }
        fragment R on Query { post_pages { items { id } } }"""
    assert errors(MaxRootFieldsRule.bound(4), document) == []
    assert_refused(errors(MaxRootFieldsRule.bound(3), document), "MAX_ROOT_FIELDS", 4)


def test_tokens_are_counted_before_parsing_and_stop_at_the_limit():
    assert check_tokens("{ posts { id title } }", max_tokens=7, max_aliases=0) == []
    (found,) = check_tokens("{ posts { id title } }", max_tokens=6, max_aliases=0)
    assert found.extensions["code"] == TOO_COMPLEX and found.extensions["limit"] == "MAX_TOKENS"
    assert "more than 6 tokens" in found.message
    # Comments are not tokens; a syntax error is left to the parser.
    assert check_tokens("# a comment\n{ id }", max_tokens=3, max_aliases=0) == []
    assert check_tokens('{ posts(x: "unterminated) }', max_tokens=10, max_aliases=0) == []


def test_document_size_is_in_utf8_bytes():
    assert check_size("é" * 50, 100) is None
    found = check_size("é" * 51, 100)
    assert found.extensions["actual"] == 102 and "MAX_DOCUMENT_BYTES" in found.message
    assert check_size("\ud800" * 200, 100).extensions["actual"] == 600  # lone surrogates


def test_the_standard_introspection_query_passes_and_cycles_do_not():
    assert errors(IntrospectionDepthRule, get_introspection_query()) == []
    cyclic = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    (found,) = errors(IntrospectionDepthRule, cyclic)
    assert found.extensions["code"] == TOO_COMPLEX
    through_fragments = """{ __type(name: "Post") { ...T } }
        fragment T on __Type { fields { type { interfaces { possibleTypes { name } } } } }"""
    assert len(errors(IntrospectionDepthRule, through_fragments)) == 1


# --- Through HTTP: hostile documents ------------------------------------------------------------

# Let the 5 MB document through the transport's body limits, so that the engine is what refuses it.
LARGE_BODIES = {
    "DATA_UPLOAD_MAX_MEMORY_SIZE": None,
    "DJANGO_GRAPHQL_AUTO": {"SCHEMAS": SCHEMAS, "MAX_REQUEST_BYTES": 10_000_000},
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_documents_are_refused_before_execution(graphql, name):
    hostile = HOSTILE[name]
    query = hostile.build()
    with override_settings(**LARGE_BODIES), CaptureQueriesContext(connection) as queries:
        result = graphql(query)
    assert result.status == 400, result.body
    assert result.codes and set(result.codes) <= hostile.codes, result.body
    assert "data" not in result.body
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_a_5mb_body_is_refused_by_the_transport_by_default(graphql):
    result = graphql(HOSTILE["5 MB document"].build())
    assert result.status == 413


@pytest.mark.django_db
def test_a_refused_text_is_not_cached_and_stays_refused():
    bundle = get_schema()
    query = "{ posts {" + " id" * 6000 + " } }"
    for _ in range(2):
        outcome = engine.process("default", query)
        assert outcome.kind == "validation_error"
        assert [e["extensions"]["code"] for e in outcome.payload["errors"]] == [TOO_COMPLEX]
    assert query not in engine.documents(bundle)


@pytest.mark.django_db
def test_example_queries_are_accepted(graphql):
    f.post(author=f.author(), tags=[f.tag()])
    f.appointment(doctor=f.doctor())
    for document in (NESTED, CLINIC):
        assert graphql(document).ok()


@pytest.mark.django_db
@override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "INTROSPECTION": True})
def test_introspection_is_not_limited_by_depth_or_cost_where_allowed(graphql):
    assert graphql(get_introspection_query()).ok()["__schema"]["types"]
    cyclic = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    assert graphql(cyclic).codes == [TOO_COMPLEX]


# --- Settings: per schema, global, off ----------------------------------------------------------

# One document per limit, each breaking only that limit under TIGHT.
TIGHT = {
    "MAX_QUERY_DEPTH": 2,
    "MAX_QUERY_COST": 30,
    "MAX_ALIASES": 1,
    "MAX_ROOT_FIELDS": 2,
    "MAX_TOKENS": 40,
    "MAX_DOCUMENT_BYTES": 300,
}
BREAKS = {
    "MAX_QUERY_DEPTH": "{ posts(limit: 1) { author { name } } }",
    "MAX_QUERY_COST": "{ posts(limit: 40) { id } }",
    "MAX_ALIASES": "{ a: tags(limit: 1) { b: id } }",
    "MAX_ROOT_FIELDS": "{ tags(limit: 1) { id } authors(limit: 1) { id } __typename }",
    "MAX_TOKENS": "{ tags(limit: 1) { " + "id " * 40 + "} }",
    "MAX_DOCUMENT_BYTES": "{ tags(limit: 1) { id } }" + " " * 300,
}


@pytest.mark.django_db
@pytest.mark.parametrize("setting", list(TIGHT))
def test_limits_are_set_per_schema(graphql, setting):
    admin = {**SCHEMAS["admin"], **TIGHT}
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": {"admin": admin}}):
        assert graphql(BREAKS[setting]).ok() is not None  # the default schema keeps defaults
        refused = graphql(BREAKS[setting], path=ADMIN)
    assert refused.status == 400
    assert refused.codes == [TOO_COMPLEX], refused.body
    assert refused.errors[0]["extensions"]["limit"] == setting


@pytest.mark.django_db
def test_global_limits_apply_to_every_schema_unless_it_overrides_them(graphql):
    deep = BREAKS["MAX_QUERY_DEPTH"]
    schemas = {"admin": {**SCHEMAS["admin"], "MAX_QUERY_DEPTH": 5}}
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": schemas, "MAX_QUERY_DEPTH": 2}):
        assert graphql(deep).codes == [TOO_COMPLEX]
        assert graphql(deep, path=ADMIN).ok() is not None


@pytest.mark.django_db
def test_analysis_off_keeps_only_the_document_size_limit(graphql):
    admin = {**SCHEMAS["admin"], **TIGHT, "ENABLE_QUERY_ANALYSIS": False}
    with override_settings(DJANGO_GRAPHQL_AUTO={"SCHEMAS": {"admin": admin}}):
        for setting, document in BREAKS.items():
            result = graphql(document, path=ADMIN)
            if setting == "MAX_DOCUMENT_BYTES":
                assert result.codes == [TOO_COMPLEX]
            else:
                assert result.ok() is not None, setting


# --- extensions.cost ----------------------------------------------------------------------------

COSTED = "{ posts(limit: 2) { title comments_count author { name } } }"


@pytest.mark.django_db
def test_cost_is_not_exposed_by_default(graphql):
    assert "extensions" not in graphql(COSTED).body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "query", "variables", "expected"),
    [
        # posts 1 + 2 * (title 1 + comments_count 2 + author (1 + name 1))
        ({}, COSTED, None, 1 + 2 * (1 + 2 + 2)),
        # a variable size counts as Post's MAX_PAGE_SIZE (100)
        (
            {},
            "query($n: Int) { posts(limit: $n) { title comments_count author { name } } }",
            {"n": 2},
            1 + 100 * 5,
        ),
        ({"FIELD_COSTS": {"Post.comments_count": 10}}, COSTED, None, 1 + 2 * (1 + 10 + 2)),
        # page_size reaches `items`; page_info is not multiplied
        (
            {},
            "{ post_pages(page_size: 3) { items { title } page_info { total_count } } }",
            None,
            1 + (1 + 3 * 1) + (1 + 1),
        ),
    ],
)
def test_cost_is_exposed_when_enabled(graphql, extra, query, variables, expected):
    author = f.author()
    f.post(author=author)
    f.post(author=author)
    with override_settings(
        DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "EXPOSE_QUERY_COST": True, **extra}
    ):
        result = graphql(query, variables)
    assert result.ok() is not None
    assert result.body["extensions"] == {"cost": expected}


# --- Settings checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"comments_count": 2}, '"Type.field"'),
        ({"Post.comments_count": -1}, "at least 0"),
        ({"Post.comments_count": True}, "at least 0"),
        ({("Post", "title"): 1}, '"Type.field"'),
    ],
)
def test_field_costs_are_checked(value, fragment):
    with override_settings(DJANGO_GRAPHQL_AUTO={"FIELD_COSTS": value}):
        problems = [p for p in find_problems() if "FIELD_COSTS" in p.message]
    assert [p.id for p in problems] == ["E008"]
    assert fragment in problems[0].message


@pytest.mark.django_db
def test_field_costs_naming_a_missing_field_of_a_schema_type_is_an_error(graphql):
    misspelt = override_settings(DJANGO_GRAPHQL_AUTO={"FIELD_COSTS": {"Post.titel": 5}})
    with misspelt, pytest.raises(ImproperlyConfigured, match=r"Did you mean 'Post\.title'\?"):
        engine.process("default", "{ posts { title } }")
    # A type the schema does not have may belong to another schema.
    with override_settings(DJANGO_GRAPHQL_AUTO={"FIELD_COSTS": {"User.email": 5}}):
        assert graphql("{ tags { name } }").ok() is not None


# --- With introspection off, errors do not suggest the schema's names ---------------------------

SUGGESTIONS = [
    ("{ postz { id } }", "GRAPHQL_VALIDATION_FAILED", "posts"),
    ("{ posts { titl } }", "GRAPHQL_VALIDATION_FAILED", "title"),
    ('{ posts(filters: {titl: {exact: "a"}}) { id } }', "GRAPHQL_VALIDATION_FAILED", "title"),
    ("query($f: PostFiltr) { posts { id } }", "GRAPHQL_VALIDATION_FAILED", "PostFilter"),
    ("query($f: PostFilter) { posts(filters: $f) { id } }", "BAD_USER_INPUT", "title"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "code", "name"), SUGGESTIONS)
@pytest.mark.parametrize("introspection", [True, False])
def test_errors_suggest_names_only_where_introspection_is_on(
    graphql, query, code, name, introspection
):
    """graphql-core's "Did you mean 'title'?" would let a client rebuild a schema whose
    introspection is off, one guess at a time."""
    variables = {"f": {"titl": {"exact": "a"}}} if "$f: PostFilter)" in query else None
    with override_settings(
        DJANGO_GRAPHQL_AUTO={"SCHEMAS": SCHEMAS, "INTROSPECTION": introspection}
    ):
        result = graphql(query, variables)
    assert result.codes and set(result.codes) == {code}
    message = " ".join(e["message"] for e in result.errors)
    assert ("Did you mean" in message) is introspection, message
    assert (f"'{name}'" in message) is introspection, message
