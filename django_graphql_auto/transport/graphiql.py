"""GraphiQL, served on the endpoint URL itself, with assets that never leave the server.

The browser build of GraphiQL and React are vendored in
``static/django_graphql_auto/graphiql/`` (see ``tests/http_audit/vendor_graphiql.sh`` for their
provenance) and served by :func:`graphiql_asset` rather than by ``staticfiles``: the page must work
with ``DEBUG`` off, without ``collectstatic`` and without internet access, under any mount point.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, get_conditional_response
from django.views.decorators.http import require_safe

ASSET_DIR = Path(__file__).resolve().parent.parent / "static" / "django_graphql_auto" / "graphiql"

_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"

# The only files the asset view will ever read: a request names a key, never a path.
ASSET_CONTENT_TYPES: dict[str, str] = {
    "graphiql.min.js": _JS,
    "graphiql.min.css": _CSS,
    "react.production.min.js": _JS,
    "react-dom.production.min.js": _JS,
    "graphiql-init.js": _JS,
}

# Template variable -> file, in the order the page loads them.
_PAGE_ASSETS = {
    "css": "graphiql.min.css",
    "react": "react.production.min.js",
    "react_dom": "react-dom.production.min.js",
    "graphiql": "graphiql.min.js",
    "init": "graphiql-init.js",
}

_ONE_YEAR = 365 * 24 * 60 * 60
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def transport_settings(schema_name: str) -> Any:
    """The schema's resolved settings, held by its built bundle (rebuilt when settings change)."""
    from django_graphql_auto.schema.registry import get_schema

    return get_schema(schema_name).config


def graphiql_enabled(schema_name: str) -> bool:
    """GraphiQL follows ``DEBUG`` unless the schema's ``GRAPHIQL`` setting says otherwise."""
    flag = transport_settings(schema_name)["GRAPHIQL"]
    return bool(settings.DEBUG) if flag is None else flag


@dataclass(frozen=True)
class _Asset:
    body: bytes
    gzipped: bytes | None  # None when compression would not make it smaller
    content_type: str
    digest: str  # content hash: ETag and cache-busting version in the page's URLs


@cache
def _load_asset(name: str) -> _Asset:
    """Read, hash and compress a vendored file once per process; they never change at run time."""
    body = (ASSET_DIR / name).read_bytes()
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    return _Asset(
        body=body,
        gzipped=packed if len(packed) < len(body) else None,
        content_type=ASSET_CONTENT_TYPES[name],
        digest=hashlib.sha256(body).hexdigest()[:16],
    )


def _asset_prefix(request: HttpRequest) -> str:
    """Relative URL prefix of the asset route, seen from the endpoint URL.

    The asset route is the endpoint route plus ``graphiql/``. Relative to ``/graphql/`` that is
    ``graphiql/``; relative to ``/graphql`` (mounted without a slash) it is ``graphqlgraphiql/``.
    Relative URLs keep working behind a proxy that strips a path prefix.
    """
    last_segment = request.path.rsplit("/", 1)[-1]
    return f"{last_segment}graphiql/"


def _content_security_policy(style_nonce: str) -> str:
    """Only this origin may supply scripts, styles and data; GraphiQL's fonts are data: URLs and
    the <style> elements it injects carry the per-response nonce."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{style_nonce}'",
            "font-src 'self' data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def graphiql_page(request: HttpRequest, schema_name: str) -> HttpResponse:
    """The GraphiQL HTML page; the caller has checked that GraphiQL is enabled."""
    style_nonce = secrets.token_urlsafe(16)
    prefix = _asset_prefix(request)
    assets = {
        key: f"{prefix}{name}?v={_load_asset(name).digest}" for key, name in _PAGE_ASSETS.items()
    }
    context = {
        "schema_name": schema_name,
        "assets": assets,
        "style_nonce": style_nonce,
        "config": {"csrfToken": get_token(request), "styleNonce": style_nonce},
    }
    html = render_to_string("django_graphql_auto/graphiql.html", context, request=request)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = _content_security_policy(style_nonce)
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"
    # The page carries a CSRF token and a nonce: it must never be cached or shared.
    add_never_cache_headers(response)
    return response


@require_safe
def graphiql_asset(request: HttpRequest, asset: str, schema_name: str = "default") -> HttpResponse:
    """Serve one whitelisted vendored file with long-lived caching.

    URLs in the page carry a content hash (``?v=``), so a year of ``immutable`` caching is safe
    across upgrades. Nothing is served while GraphiQL is disabled for the schema.
    """
    if asset not in ASSET_CONTENT_TYPES or not graphiql_enabled(schema_name):
        return HttpResponseNotFound(b"Not found", content_type="text/plain; charset=utf-8")
    loaded = _load_asset(asset)
    use_gzip = loaded.gzipped is not None and bool(
        _ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", ""))
    )
    etag = f'"{loaded.digest}-gzip"' if use_gzip else f'"{loaded.digest}"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        loaded.gzipped if use_gzip else loaded.body, content_type=loaded.content_type
    )
    if use_gzip and response.status_code == 200:
        response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={_ONE_YEAR}, immutable"
    response["Vary"] = "Accept-Encoding"
    response["X-Content-Type-Options"] = "nosniff"
    return response
