"""A foreign key to a unique column that is not the primary key (`to_field`).

`City.country` holds `Country.iso` ("FR"), while the API's ids are primary keys (SPEC §10). Every
place that correlates or groups a country's cities must compare the cities' key with the
country's `iso`, not with its `id`: counts, relation filters, a single row's lists, prefetches,
and the writer's "is this a child of this object" check. An id given as `country: "<id>"` is the
Country's primary key and stores its `iso`.

Reads run over HTTP on the compiled path and on the general executor (`executor`), which must
answer alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_graphql_auto.execution import engine
from django_graphql_auto.security.policy import Policy
from tests.test_apps import test_app

pytestmark = pytest.mark.django_db(transaction=True)


class HideGermanyAndLyon(Policy):
    """Germany and Lyon do not exist for the caller: Country is not joinable, so to-one reads,
    orderings and filters through `City.country` take their subquery and prefetch paths."""

    def filters_rows(self, ctx: Any, model: Any) -> bool:
        return model._meta.app_label == "oddities" and model.__name__ in ("Country", "City")

    def filter_rows(self, ctx: Any, model: Any, queryset: Any) -> Any:
        if model.__name__ == "Country":
            return queryset.exclude(iso="DE")
        return queryset.exclude(name="Lyon")


@pytest.fixture(params=[None], ids=["open"])
def odd(request: Any, transactional_db: Any) -> Iterator[dict[str, Any]]:
    """The oddities schema with FR (Lyon, Paris), DE (Berlin) and IT (no city). A country's
    primary key never equals its iso, so a comparison of the two can only go wrong. An
    indirect parameter names a policy."""
    policy = {"POLICY": request.param} if request.param else {}
    with test_app("oddities", **policy) as path:
        from tests.oddities.models import City, Country

        de = Country.objects.create(iso="DE", name="Germany")
        fr = Country.objects.create(iso="FR", name="France")
        it = Country.objects.create(iso="IT", name="Italy")
        cities = {
            name: City.objects.create(name=name, country=country)
            for name, country in (("Paris", fr), ("Lyon", fr), ("Berlin", de))
        }
        yield {"path": path, "de": de, "fr": fr, "it": it, **cities, "City": City}


@pytest.fixture(params=["compiled", "general"])
def run(request: Any, monkeypatch: Any, graphql: Any, odd: dict[str, Any]) -> Any:
    """POST a read document to the oddities endpoint on one execution path, returning the data.
    On the compiled path, the compiled executor must have answered it itself."""
    real = engine.execute_compiled
    answered: list[bool] = []

    def spy(*args: Any) -> Any:
        result = real(*args)
        answered.append(result is not None)
        return result

    general = request.param == "general"
    monkeypatch.setattr(engine, "execute_compiled", (lambda *args: None) if general else spy)

    def execute(query: str, variables: dict[str, Any] | None = None) -> Any:
        answered.clear()
        data = graphql(query, variables, path=odd["path"]).ok()
        assert general or answered == [True], "the compiled path should answer reads"
        return data

    return execute


def _mutate(graphql: Any, odd: dict[str, Any], query: str, variables: dict[str, Any]) -> Any:
    result = graphql(query, variables, path=odd["path"]).ok()
    payload = next(iter(result.values()))
    assert payload["ok"], payload
    return payload


def _keys(odd: dict[str, Any]) -> dict[str, str]:
    """City name -> the country key it holds, as stored."""
    return dict(odd["City"].objects.values_list("name", "country_id"))


# Reads ------------------------------------------------------------------------------------------

COUNTRIES = """{
  countries(order_by: [{iso: ASC}]) {
    iso
    cities(order_by: [{name: ASC}]) { name }
    cities_count
    paris: cities_count(filters: {name: {exact: "Paris"}})
    first: cities(order_by: [{name: DESC}], limit: 1) { name }
  }
}"""


def test_nested_list_and_counts_follow_the_iso(run):
    assert run(COUNTRIES)["countries"] == [
        {"iso": "DE", "cities": [{"name": "Berlin"}], "cities_count": 1, "paris": 0,
         "first": [{"name": "Berlin"}]},
        {"iso": "FR", "cities": [{"name": "Lyon"}, {"name": "Paris"}], "cities_count": 2,
         "paris": 1, "first": [{"name": "Paris"}]},
        {"iso": "IT", "cities": [], "cities_count": 0, "paris": 0, "first": []},
    ]  # fmt: skip


def test_a_single_rows_lists_follow_the_iso(run, odd):
    query = """query($id: ID!) { country(id: $id) {
        iso cities(order_by: [{name: ASC}]) { name } cities_count } }"""
    data = run(query, {"id": str(odd["fr"].pk)})
    assert data["country"] == {
        "iso": "FR",
        "cities": [{"name": "Lyon"}, {"name": "Paris"}],
        "cities_count": 2,
    }


def test_pages_follow_the_iso(run):
    query = """{ country_pages(order_by: [{iso: DESC}], page_size: 2) {
        items { iso cities(order_by: [{name: ASC}]) { name } cities_count }
        page_info { total_count } } }"""
    assert run(query)["country_pages"] == {
        "items": [
            {"iso": "IT", "cities": [], "cities_count": 0},
            {"iso": "FR", "cities": [{"name": "Lyon"}, {"name": "Paris"}], "cities_count": 2},
        ],
        "page_info": {"total_count": 3},
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ('{cities: {name: {exact: "Paris"}}}', ["FR"]),
        ('{cities: {name: {exact: "Paris"}, id: {exact: "0"}}}', []),
        ("{cities: {isnull: true}}", ["IT"]),
        ("{cities: {isnull: false}}", ["DE", "FR"]),
        ('{not: {cities: {name: {startswith: "B"}}}}', ["FR", "IT"]),
        ('{cities: {country: {iso: {exact: "DE"}}}}', ["DE"]),
    ],
)
def test_relation_filters_follow_the_iso(run, filters, expected):
    query = f"{{ countries(filters: {filters}, order_by: [{{iso: ASC}}]) {{ iso }} }}"
    assert [row["iso"] for row in run(query)["countries"]] == expected


def test_to_one_from_city_to_country(run, odd):
    query = """{ cities(order_by: [{country: {name: ASC}}, {name: DESC}]) {
        name country { iso cities_count cities(order_by: [{name: ASC}]) { name } } } }"""
    de = {"iso": "DE", "cities_count": 1, "cities": [{"name": "Berlin"}]}
    fr = {"iso": "FR", "cities_count": 2, "cities": [{"name": "Lyon"}, {"name": "Paris"}]}
    assert run(query)["cities"] == [
        {"name": "Paris", "country": fr},
        {"name": "Lyon", "country": fr},
        {"name": "Berlin", "country": de},
    ]
    single = run("query($id: ID!) { city(id: $id) { country { iso } } }", {"id": odd["Lyon"].pk})
    assert single == {"city": {"country": {"iso": "FR"}}}
    query = """{ cities(filters: {country: {cities: {name: {exact: "Berlin"}}}}) { name } }"""
    assert run(query)["cities"] == [{"name": "Berlin"}]
    query = """{ cities(filters: {country: {iso: {in: ["FR"]}}}, order_by: [{name: ASC}]) {
        name } }"""
    assert run(query)["cities"] == [{"name": "Lyon"}, {"name": "Paris"}]


HIDDEN = f"{__name__}.HideGermanyAndLyon"


@pytest.mark.parametrize("odd", [HIDDEN], indirect=True, ids=["rules"])
def test_row_rules_on_both_sides_of_the_key(run, odd):
    """Subqueries instead of joins: each still compares the cities' key with the iso."""
    query = """{
      countries(order_by: [{iso: ASC}]) { iso cities { name } cities_count }
      cities(order_by: [{country: {name: ASC_NULLS_LAST}}, {name: ASC}]) {
        name country { iso } }
      with_paris: countries(filters: {cities: {name: {in: ["Paris", "Lyon"]}}}) { iso }
      french: cities(filters: {country: {iso: {exact: "FR"}}}) { name }
    }"""
    assert run(query) == {
        "countries": [
            {"iso": "FR", "cities": [{"name": "Paris"}], "cities_count": 1},
            {"iso": "IT", "cities": [], "cities_count": 0},
        ],
        "cities": [
            {"name": "Paris", "country": {"iso": "FR"}},
            {"name": "Berlin", "country": None},
        ],
        "with_paris": [{"iso": "FR"}],
        "french": [{"name": "Paris"}],
    }


@pytest.mark.parametrize("odd", [HIDDEN], indirect=True, ids=["rules"])
def test_statements_do_not_grow_with_rows_under_row_rules(run, odd):
    query = "{ cities { name country { name } } }"
    with CaptureQueriesContext(connection) as small:
        run(query)
    _more_countries(odd, 6)
    with CaptureQueriesContext(connection) as large:
        assert len(run(query)["cities"]) == 8
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]


def _more_countries(odd: dict[str, Any], n: int) -> None:
    from tests.oddities.models import Country

    for i in range(n):
        country = Country.objects.create(iso=f"X{i}", name=f"Extra {i}")
        odd["City"].objects.create(name=f"Town {i}", country=country)


@pytest.mark.parametrize(
    "query",
    [
        "{ countries { name cities { name } cities_count } }",
        "{ countries { name cities(limit: 1) { name country { name } } } }",
        "{ cities { name country { name cities_count } } }",
        "{ cities { name country { name cities(limit: 1) { name } } } }",
        "{ country_pages { items { name cities { name } } } }",
    ],
)
def test_statements_do_not_grow_with_rows(run, odd, query):
    """The country's iso is loaded with the rows that need it (none of these documents asks
    for it), not one SELECT per row."""
    with CaptureQueriesContext(connection) as small:
        run(query)
    _more_countries(odd, 6)
    with CaptureQueriesContext(connection) as large:
        data = run(query)
    rows = next(iter(data.values()))
    assert len(rows["items"] if isinstance(rows, dict) else rows) == 9
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]


# Writes -----------------------------------------------------------------------------------------

CITY = "ok object { name country { id iso } } field_errors { field messages code }"


def test_create_city_connects_by_the_countrys_id_and_stores_its_iso(graphql, odd):
    query = f"mutation($input: CreateCityInput!) {{ create_city(input: $input) {{ {CITY} }} }}"
    payload = _mutate(graphql, odd, query, {"input": {"name": "Nice", "country": odd["fr"].pk}})
    assert payload["object"] == {"name": "Nice", "country": {"id": str(odd["fr"].pk), "iso": "FR"}}
    assert _keys(odd)["Nice"] == "FR"
    nested = {"name": "Rome", "nested_country": {"iso": "VA", "name": "Vatican"}}
    payload = _mutate(graphql, odd, query, {"input": nested})
    assert payload["object"]["country"]["iso"] == "VA"
    assert _keys(odd)["Rome"] == "VA"


def test_update_city_moves_it_by_the_countrys_id(graphql, odd):
    query = f"""mutation($id: ID!, $input: UpdateCityInput!) {{
        update_city(id: $id, input: $input) {{ {CITY} }} }}"""
    variables = {"id": odd["Berlin"].pk, "input": {"country": odd["it"].pk}}
    payload = _mutate(graphql, odd, query, variables)
    assert payload["object"]["country"] == {"id": str(odd["it"].pk), "iso": "IT"}
    assert _keys(odd)["Berlin"] == "IT"


COUNTRY = """ok object { iso cities(order_by: [{name: ASC}]) { name } cities_count }
    field_errors { field messages code }"""


def test_create_country_with_nested_cities(graphql, odd):
    query = f"""mutation($input: CreateCountryInput!) {{
        create_country(input: $input) {{ {COUNTRY} }} }}"""
    variables = {"input": {"iso": "ES", "name": "Spain", "nested_cities": [{"name": "Madrid"}]}}
    payload = _mutate(graphql, odd, query, variables)
    assert payload["object"] == {"iso": "ES", "cities": [{"name": "Madrid"}], "cities_count": 1}
    assert _keys(odd)["Madrid"] == "ES"


UPDATE_COUNTRY = f"""mutation($id: ID!, $input: UpdateCountryInput!) {{
    update_country(id: $id, input: $input) {{ {COUNTRY} }} }}"""


def test_update_country_creates_updates_and_deletes_its_cities(graphql, odd):
    variables = {
        "id": odd["fr"].pk,
        "input": {
            "nested_cities": [{"name": "Nice"}],
            "update_cities": [{"id": odd["Paris"].pk, "name": "Paris 2"}],
            "delete_cities": [odd["Lyon"].pk],
        },
    }
    payload = _mutate(graphql, odd, UPDATE_COUNTRY, variables)
    assert payload["object"] == {
        "iso": "FR",
        "cities": [{"name": "Nice"}, {"name": "Paris 2"}],
        "cities_count": 2,
    }
    assert _keys(odd) == {"Paris 2": "FR", "Nice": "FR", "Berlin": "DE"}


@pytest.mark.parametrize("operation", ["update_cities", "delete_cities"])
def test_another_countrys_city_is_still_refused(graphql, odd, operation):
    berlin = odd["Berlin"].pk
    items = [{"id": berlin, "name": "Moved"}] if operation == "update_cities" else [berlin]
    variables = {"id": odd["fr"].pk, "input": {operation: items}}
    result = graphql(UPDATE_COUNTRY, variables, path=odd["path"]).ok()["update_country"]
    assert not result["ok"]
    assert result["field_errors"] == [
        {
            "field": operation,
            "messages": [f"Not children of this object: {berlin}."],
            "code": "invalid",
        }
    ]
    assert _keys(odd)["Berlin"] == "DE"


def test_bulk_update_country_updates_its_cities(graphql, odd):
    query = """mutation($inputs: [BulkUpdateCountryInput!]!) {
        bulk_update_country(inputs: $inputs) { ok objects { iso cities_count }
        field_errors { field messages } } }"""
    inputs = [
        {"id": odd["fr"].pk, "update_cities": [{"id": odd["Lyon"].pk, "name": "Lyon 2"}]},
        {"id": odd["de"].pk, "delete_cities": [odd["Berlin"].pk]},
    ]
    payload = _mutate(graphql, odd, query, {"inputs": inputs})
    assert payload["objects"] == [
        {"iso": "FR", "cities_count": 2},
        {"iso": "DE", "cities_count": 0},
    ]
    assert _keys(odd) == {"Paris": "FR", "Lyon 2": "FR"}


def test_bulk_create_and_update_city_connect_by_the_countrys_id(graphql, odd):
    query = """mutation($inputs: [CreateCityInput!]!) {
        bulk_create_city(inputs: $inputs) { ok objects { name country { iso } } } }"""
    inputs = [
        {"name": "Nice", "country": odd["fr"].pk},
        {"name": "Munich", "country": odd["de"].pk},
    ]
    payload = _mutate(graphql, odd, query, {"inputs": inputs})
    assert payload["objects"] == [
        {"name": "Nice", "country": {"iso": "FR"}},
        {"name": "Munich", "country": {"iso": "DE"}},
    ]
    query = """mutation($inputs: [BulkUpdateCityInput!]!) {
        bulk_update_city(inputs: $inputs) { ok objects { name country { iso } } } }"""
    inputs = [{"id": odd["Paris"].pk, "country": odd["it"].pk}]
    payload = _mutate(graphql, odd, query, {"inputs": inputs})
    assert payload["objects"] == [{"name": "Paris", "country": {"iso": "IT"}}]
    assert _keys(odd) == {"Paris": "IT", "Lyon": "FR", "Berlin": "DE", "Nice": "FR", "Munich": "DE"}


def test_a_null_parent_key_has_no_rows(odd):
    """A `to_field` column may be NULL (a unique nullable column): no row points at such a
    parent, where `filter(country=None)` would pick the rows whose own key is NULL."""
    from django_graphql_auto.execution.planner import ListPlan

    rows = odd["City"].objects.order_by("name")
    plan = ListPlan("s", rows, "country", 0, 10, {}, parent="iso")
    assert plan.for_parent(None).query.is_empty()
    assert [city.name for city in plan.for_parent("FR")] == ["Lyon", "Paris"]


@pytest.mark.parametrize("bulk", [False, True], ids=["single", "bulk"])
def test_changing_the_column_cities_point_at_is_a_field_error(graphql, odd, bulk):
    """The database checks the foreign key when the transaction commits, after the write
    resolved: that was a server error. Nothing is written."""
    if bulk:
        query = """mutation($inputs: [BulkUpdateCountryInput!]!) {
            bulk_update_country(inputs: $inputs) { ok field_errors { field messages code } } }"""
        variables = {"inputs": [{"id": odd["fr"].pk, "iso": "FX"}]}
    else:
        query = """mutation($id: ID!) { update_country(id: $id, input: {iso: "FX"}) {
            ok field_errors { field messages code } } }"""
        variables = {"id": odd["fr"].pk}
    payload = next(iter(graphql(query, variables, path=odd["path"]).ok().values()))
    assert payload == {
        "ok": False,
        "field_errors": [
            {
                "field": "__all__",
                "messages": [
                    "The write conflicts with rows that point at it (a constraint was violated)."
                ],
                "code": "invalid",
            }
        ],
    }
    assert odd["City"].objects.get(name="Paris").country.iso == "FR"
    assert _keys(odd)["Paris"] == "FR"
