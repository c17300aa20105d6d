"""GraphiQL: the page on the endpoint URL and its locally served, whitelisted assets."""

from __future__ import annotations

import gzip
import re

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

from django_graphql_auto.transport.graphiql import ASSET_CONTENT_TYPES, ASSET_DIR

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# A mount without a trailing slash, to check that asset URLs still resolve (see test below).
urlpatterns = [path("api", include("django_graphql_auto.urls"))]


@pytest.fixture
def graphiql_on(settings):
    settings.DJANGO_GRAPHQL_AUTO = {**settings.DJANGO_GRAPHQL_AUTO, "GRAPHIQL": True}


@pytest.fixture
def graphiql_off(settings):
    settings.DJANGO_GRAPHQL_AUTO = {**settings.DJANGO_GRAPHQL_AUTO, "GRAPHIQL": False}


def open_page(client: Client, url: str = "/graphql/"):
    return client.get(url, headers={"Accept": BROWSER_ACCEPT})


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*graphiql/[^"]+)"', html)


def resolve_relative(page_url: str, relative: str) -> str:
    """How a browser resolves a relative URL against the page URL (paths only)."""
    return page_url.rsplit("/", 1)[0] + "/" + relative


# --- the page --------------------------------------------------------------------------------


def test_browser_gets_the_page(client, graphiql_on):
    response = open_page(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert '<div id="graphiql">' in html
    assert 'id="graphiql-config"' in html
    assert "csrfToken" in html
    assert "no-store" in response["Cache-Control"]
    assert "Accept" in response["Vary"]


def test_page_has_a_strict_content_security_policy(client, graphiql_on):
    response = open_page(client)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline scripts, no eval, no CDN
    assert "unsafe-inline" not in policy["style-src"]
    nonce = re.search(r"'nonce-([^']+)'", policy["style-src"]).group(1)
    html = response.content.decode()
    assert f'<style nonce="{nonce}">' in html
    assert f'"styleNonce": "{nonce}"' in html
    # Every script the page loads is an external, same-origin file.
    assert "<script>" not in html
    assert "http://" not in html and "https://" not in html


def test_page_loads_only_whitelisted_assets_through_relative_urls(client, graphiql_on):
    html = open_page(client).content.decode()
    urls = asset_urls(html)
    assert len(urls) == 5
    for url in urls:
        assert url.startswith("graphiql/")
        name = url.removeprefix("graphiql/").split("?")[0]
        assert name in ASSET_CONTENT_TYPES
        assert client.get(resolve_relative("/graphql/", url)).status_code == 200


def test_page_on_a_second_mount_uses_that_mount(client, graphiql_on):
    html = open_page(client, "/admin-graphql/").content.decode()
    assert "GraphiQL · admin" in html
    for url in asset_urls(html):
        assert client.get(resolve_relative("/admin-graphql/", url)).status_code == 200


@override_settings(ROOT_URLCONF=__name__)
def test_page_on_a_mount_without_trailing_slash(client, graphiql_on):
    html = open_page(client, "/api").content.decode()
    urls = asset_urls(html)
    assert urls and all(url.startswith("apigraphiql/") for url in urls)
    for url in urls:
        assert client.get(resolve_relative("/api", url)).status_code == 200


def test_disabled_graphiql_is_a_plain_get(client, graphiql_off):
    response = open_page(client)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert client.get("/graphql/graphiql/graphiql.min.js").status_code == 404


@pytest.mark.parametrize(("debug", "status"), [(True, 200), (False, 400)])
def test_graphiql_follows_debug_by_default(client, settings, debug, status):
    settings.DJANGO_GRAPHQL_AUTO = {
        key: value for key, value in settings.DJANGO_GRAPHQL_AUTO.items() if key != "GRAPHIQL"
    }
    settings.DEBUG = debug
    assert open_page(client).status_code == status


def test_browser_with_a_query_gets_the_result(client, graphiql_on):
    response = client.get(
        "/graphql/", {"query": "{ __typename }"}, headers={"Accept": BROWSER_ACCEPT}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_api_client_never_gets_the_page(client, graphiql_on):
    response = client.get("/graphql/", headers={"Accept": "application/json"})
    assert response.status_code == 400


# --- the assets ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ASSET_CONTENT_TYPES))
def test_asset_is_served_with_long_caching(client, graphiql_on, name):
    response = client.get(f"/graphql/graphiql/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == ASSET_CONTENT_TYPES[name]
    assert "immutable" in response["Cache-Control"]
    assert "max-age=31536000" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == (ASSET_DIR / name).read_bytes()
    etag = response["ETag"]
    again = client.get(f"/graphql/graphiql/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_asset_is_gzipped_when_accepted(client, graphiql_on):
    plain = client.get("/graphql/graphiql/graphiql.min.js")
    packed = client.get("/graphql/graphiql/graphiql.min.js", headers={"Accept-Encoding": "gzip"})
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert packed["ETag"] != plain["ETag"]
    assert len(packed.content) < len(plain.content) / 2
    assert gzip.decompress(packed.content) == plain.content


@pytest.mark.parametrize(
    "asset",
    [
        "unknown.js",
        "VERSIONS.txt",
        "../../../templates/django_graphql_auto/graphiql.html",
        "%2e%2e/%2e%2e/conf.py",
        "graphiql.min.js/",
    ],
)
def test_only_whitelisted_assets_are_served(client, graphiql_on, asset):
    assert client.get(f"/graphql/graphiql/{asset}").status_code == 404


def test_assets_are_read_only(client, graphiql_on):
    response = client.post("/graphql/graphiql/graphiql.min.js")
    assert response.status_code == 405


def test_vendored_files_are_production_builds():
    """The refresh script copies production UMD builds; development builds are ~10x larger."""
    for name in ASSET_CONTENT_TYPES:
        assert (ASSET_DIR / name).is_file(), name
    total = sum((ASSET_DIR / name).stat().st_size for name in ASSET_CONTENT_TYPES)
    assert total < 2_000_000
    assert (ASSET_DIR / "VERSIONS.txt").read_text().count("sha512-") == 3
