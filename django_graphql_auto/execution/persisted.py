"""Automatic persisted queries (Apollo's APQ protocol) and the allow-list mode.

A client may send `extensions.persistedQuery = {version: 1, sha256Hash}` without the query text;
the server answers from its cache or with PERSISTED_QUERY_NOT_FOUND, and the client retries with
text and hash, which the server checks and remembers. The cache is the Django cache, so several
processes share what one learned.

With `PERSISTED_QUERIES = "allowlist"` only documents listed in `ALLOWED_QUERIES_FILE` (a JSON
object of sha256 hex -> document text) run, whether sent by hash or as text: a locked-down
production API that accepts nothing it has not seen at build time.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from graphql import GraphQLError

from django_graphql_auto.execution.errors import BAD_USER_INPUT, PERSISTED_QUERY_NOT_FOUND

logger = logging.getLogger("django_graphql_auto")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _allowlist(path: str) -> dict[str, str]:
    try:
        entries = orjson.loads(Path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ImproperlyConfigured(
            f"ALLOWED_QUERIES_FILE {path!r} cannot be read: {error}"
        ) from error
    if not isinstance(entries, dict):
        raise ImproperlyConfigured("ALLOWED_QUERIES_FILE must hold a JSON object hash -> query.")
    for digest, text in entries.items():
        if sha256(text) != digest:
            raise ImproperlyConfigured(
                f"ALLOWED_QUERIES_FILE: {digest} is not the hash of its query."
            )
    return entries


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _key(bundle: Any, digest: str) -> str:
    return f"gqa:apq:{bundle.name}:{digest}"


def resolve_query(
    bundle: Any, query: str | None, extensions: dict[str, Any] | None
) -> tuple[str | None, GraphQLError | None]:
    """The document text to run, or the error that refuses the request."""
    mode = bundle.config["PERSISTED_QUERIES"]
    persisted = (extensions or {}).get("persistedQuery")
    if mode == "allowlist":
        allowed = _allowlist(bundle.config["ALLOWED_QUERIES_FILE"] or "")
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if query is not None:
            digest = sha256(query)
        if not isinstance(digest, str) or digest not in allowed:  # a list or object: no hash
            return None, _error(
                "This document is not in the allow-list.", PERSISTED_QUERY_NOT_FOUND
            )
        return allowed[digest], None
    if persisted is None:
        if query is None:
            return None, _error("The 'query' parameter is required.", BAD_USER_INPUT)
        return query, None
    if mode == "off":
        return None, _error("Persisted queries are not supported here.", PERSISTED_QUERY_NOT_FOUND)
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        return None, _error("Unsupported persistedQuery version (send version 1).", BAD_USER_INPUT)
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str):
        return None, _error("persistedQuery needs a sha256Hash.", BAD_USER_INPUT)
    if query is None:
        try:
            stored = caches[bundle.config["PERSISTED_QUERY_CACHE"]].get(_key(bundle, digest))
        except Exception:  # the cache is down: the client sends the text again, as on a miss
            logger.warning("Persisted query cache unavailable; answered as a miss", exc_info=True)
            stored = None
        if stored is None:
            return None, _error("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND)
        return stored, None
    if sha256(query) != digest:
        return None, _error("provided sha does not match query", BAD_USER_INPUT)
    return query, None


def remember(bundle: Any, query: str, extensions: dict[str, Any] | None) -> None:
    """Keep a valid document sent with its hash, so the next request may send the hash alone."""
    persisted = (extensions or {}).get("persistedQuery")
    if bundle.config["PERSISTED_QUERIES"] != "apq" or not isinstance(persisted, dict):
        return
    try:
        caches[bundle.config["PERSISTED_QUERY_CACHE"]].set(
            _key(bundle, sha256(query)), query, bundle.config["PERSISTED_QUERY_TTL"]
        )
    except Exception:  # the cache is down: the document runs, only unremembered
        logger.warning("Persisted query cache unavailable; document not remembered", exc_info=True)
