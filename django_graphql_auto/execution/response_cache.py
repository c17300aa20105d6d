"""Opt-in response cache for read queries, invalidated by writes, scoped per caller.

A query is cached only when every model it reads has `CACHE_TTL` > 0 (the smallest TTL
applies). The key holds the schema, the document, the variables and the caller (a user id or
"anonymous"): what one caller may see is never served to another.

What a response read is taken from the SQL it ran: every table named in it, so the models a
row rule or an owner path joins, and the to-one relations joined into a row, count as read as
much as the rows shown. Tables of Django's auth and contenttypes apps that the schema does not
expose (a permission lookup, an owner path through the user) are covered by the authorization
generation below; any other table outside the schema makes the response uncacheable.

Invalidation is generational: each concrete model has a counter in the cache, bumped by every
committed write (our mutations, bulk ones included, and Django's save/delete/m2m signals). An
entry remembers the counters of the models it read, as they were before the query ran; a hit
requires them unchanged, so a write anywhere in what the response read makes it stale at once,
on every process sharing the cache.

A hit runs no permission check, so an entry also remembers the authorization generation: a
counter bumped by every change to users, groups, permissions and their links (a revoked
permission, a role taken away, a user made staff), except a login's `last_login`. A policy that
decides from other data calls `authorization_changed()` when that data changes.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import orjson
from django.apps import apps
from django.core.cache import caches
from django.db import connections, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from django_graphql_auto.mutations.events import changes_committed

#: The counter of who may see what (see the module docstring).
AUTHORIZATION_KEY = "gqa:gen:@authorization"


logger = logging.getLogger("django_graphql_auto")


def generation_key(model: type[models.Model]) -> str:
    return f"gqa:gen:{model._meta.concrete_model._meta.label_lower}"


@functools.cache
def authorization_models() -> frozenset[type[models.Model]]:
    """The models the default policies decide from: the user model, groups, permissions, their
    link tables and content types (every permission lookup joins them). Computed once, when a
    signal first asks (the app registry is ready by then)."""
    found: set[type[models.Model]] = set()
    for label in ("auth.Group", "auth.Permission", "contenttypes.ContentType"):
        app_label, name = label.split(".")
        if apps.is_installed(f"django.contrib.{app_label}"):
            found.add(apps.get_model(app_label, name))
    if apps.is_installed("django.contrib.auth"):
        from django.contrib.auth import get_user_model

        user = get_user_model()
        found.add(user)
        for model in list(found):
            for field in model._meta.local_many_to_many:
                found.add(field.remote_field.through)
    return frozenset(m._meta.concrete_model for m in found)


def _alias() -> str:
    from django.conf import settings

    return getattr(settings, "DJANGO_GRAPHQL_AUTO", {}).get("RESPONSE_CACHE", "default")


_opted_in: frozenset[type[models.Model]] | None = None


def opted_in_models() -> frozenset[type[models.Model]] | None:
    """The concrete models some schema caches responses of (`CACHE_TTL` > 0), or None when the
    settings cannot be resolved (then every model counts). Only their counters matter: a
    response is cached only when every model it read opted in, so bumping any other counter,
    or reading it, would be work for nothing. Computed once; `reset()` on a settings change."""
    global _opted_in
    if _opted_in is None:
        from django.core.exceptions import ImproperlyConfigured

        from django_graphql_auto.conf import load_schema_config, schema_names

        try:
            _opted_in = frozenset(
                config.model._meta.concrete_model
                for name in schema_names()
                for config in load_schema_config(name).models
                if config["CACHE_TTL"] > 0
            )
        except ImproperlyConfigured:
            return None
    return _opted_in


def reset() -> None:
    global _opted_in
    _opted_in = None


def _counted(model_classes: tuple[type[models.Model], ...]) -> set[type[models.Model]]:
    concrete = {m._meta.concrete_model for m in model_classes}
    opted_in = opted_in_models()
    return concrete if opted_in is None else concrete & opted_in


def bump(*model_classes: type[models.Model]) -> None:
    models_to_bump = _counted(model_classes)
    if not models_to_bump:
        return
    cache = caches[_alias()]
    for model in models_to_bump:
        _bump_key(cache, generation_key(model))


def _bump_key(cache: Any, key: str) -> None:
    """Move a generation counter on, so that every entry that remembered it is stale."""
    try:
        cache.incr(key)
    except ValueError:  # not there yet (or evicted): any new value differs from the old
        cache.set(key, secrets.randbelow(2**62), None)


def _bump_now_and_on_commit(*model_classes: type[models.Model]) -> None:
    """Now, so this process stops serving stale entries at once; again after the commit, so an
    entry cached by a reader that saw the old rows in between is stale too."""
    if not _counted(model_classes):
        return
    bump(*model_classes)
    transaction.on_commit(lambda: bump(*model_classes))


def authorization_changed() -> None:
    """Make every cached response stale: who may see what has changed. The library calls it for
    Django's auth models; call it when a policy of yours decides from other data."""
    if opted_in_models() == frozenset():
        return  # nothing is ever cached
    cache = caches[_alias()]
    _bump_key(cache, AUTHORIZATION_KEY)
    transaction.on_commit(lambda: _bump_key(cache, AUTHORIZATION_KEY))


def _on_save_or_delete(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
    # A login saves the user's `last_login` and nothing else: no one's rights change.
    login = update_fields == frozenset({"last_login"})
    if sender._meta.concrete_model in authorization_models() and not login:
        authorization_changed()
    _bump_now_and_on_commit(sender)


def _on_m2m(sender: Any, instance: Any, model: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        if sender._meta.concrete_model in authorization_models():
            authorization_changed()
        _bump_now_and_on_commit(sender, type(instance), model)


def _on_committed(sender: Any, events: list, **kwargs: Any) -> None:
    bump(*{event.model for event in events})


def connect_signals() -> None:
    post_save.connect(_on_save_or_delete, dispatch_uid="gqa.cache.save")
    post_delete.connect(_on_save_or_delete, dispatch_uid="gqa.cache.delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="gqa.cache.m2m")
    changes_committed.connect(_on_committed, dispatch_uid="gqa.cache.committed")


def _scope(ctx: Any) -> str:
    user = ctx.user
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return f"user:{user.pk}"


_QUOTED = re.compile(r'"([^"]+)"|`([^`]+)`')


def _tables(bundle: Any) -> dict[str, tuple[type[models.Model], ...]]:
    """Table name -> the concrete models whose counters cover it, for every installed model (an
    auto-created many-to-many table: the two models it links, whose counters its changes bump).
    Computed once per built schema."""
    tables = bundle.extras.get("cache_tables")
    if tables is None:
        tables = {}
        for model in apps.get_models(include_auto_created=True):
            concrete = model._meta.concrete_model
            ends: tuple[type[models.Model], ...] = (concrete,)
            if concrete._meta.auto_created:
                ends = tuple(
                    f.remote_field.model._meta.concrete_model
                    for f in concrete._meta.fields
                    if f.is_relation
                )
            tables[concrete._meta.db_table] = ends
        bundle.extras["cache_tables"] = tables
    return tables


def _ttl(bundle: Any, model: type[models.Model]) -> int:
    """`CACHE_TTL` of a model read: its own when the schema exposes it (a proxy included), else
    (a table read by a proxy's query, or joined) the smallest of the models stored in it."""
    ttls = bundle.extras.get("cache_ttls")
    if ttls is None:
        ttls = {ms.model: ms.config["CACHE_TTL"] for ms in bundle.models.values()}
        bundle.extras["cache_ttls"] = ttls
    if model in ttls:
        return ttls[model]
    return min(ttl for m, ttl in ttls.items() if m._meta.concrete_model is model)


class ResponseCache:
    """One lookup / store pair around the execution of one query."""

    def __init__(self, bundle: Any, ctx: Any, query: str, operation_name: str | None, variables):
        self.bundle = bundle
        self.ctx = ctx
        self.cache = caches[_alias()]
        try:
            raw = orjson.dumps(
                [bundle.name, query, operation_name, variables or {}, _scope(ctx)],
                option=orjson.OPT_SORT_KEYS,
            )
        except orjson.JSONEncodeError:  # a file a multipart request mapped into a variable
            raw = None
        self.key = None if raw is None else "gqa:resp:" + hashlib.sha256(raw).hexdigest()
        # A hit needs every model read to have opted in: the others' counters never matter.
        self.models = [ms.model for ms in bundle.models.values() if ms.config["CACHE_TTL"] > 0]
        self.before: dict[str, Any] = {}
        self.statements: list[str] = []

    def lookup(self) -> dict[str, Any] | None:
        """The stored payload, or None. A cache that is down is a miss, and nothing is stored
        for this request: the query runs as if nothing were cached."""
        if self.key is None:
            return None
        keys = [generation_key(m) for m in self.models] + [AUTHORIZATION_KEY]
        try:
            entry = self.cache.get(self.key)
            self.before = self.cache.get_many(keys)
        except Exception:
            logger.warning("Response cache unavailable; the query runs uncached", exc_info=True)
            self.key = None
            return None
        if entry is None:
            return None
        if any(self.before.get(k) != v for k, v in entry["generations"].items()):
            return None
        return entry["payload"]

    @contextmanager
    def watching(self, aliases: list[str]) -> Iterator[None]:
        """Record the SQL the query runs on these databases (what it read is taken from it)."""

        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            self.statements.append(sql)
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for alias in aliases:
                stack.enter_context(connections[alias].execute_wrapper(record))
            yield

    def _read(self) -> set[type[models.Model]] | None:
        """The concrete models the response read (rows shown, joined or filtered on), or None
        when it read a table no counter covers."""
        tables = _tables(self.bundle)
        authorization = authorization_models()
        exposed = {ms.model._meta.concrete_model for ms in self.bundle.models.values()}
        read = set(self.ctx.models_read)
        for sql in self.statements:
            for quoted in _QUOTED.finditer(sql):
                for model in tables.get(quoted.group(1) or quoted.group(2), ()):
                    if model in exposed:
                        read.add(model)
                    elif model not in authorization:
                        return None
        return read

    def store(self, payload: dict[str, Any]) -> None:
        if self.key is None or payload.get("errors"):
            return
        read = self._read()
        if not read:
            return
        ttls = [_ttl(self.bundle, model) for model in read]
        if min(ttls) <= 0:
            return  # some model read has not opted in
        generations = {generation_key(m): self.before.get(generation_key(m)) for m in read}
        generations[AUTHORIZATION_KEY] = self.before.get(AUTHORIZATION_KEY)
        try:
            self.cache.set(self.key, {"generations": generations, "payload": payload}, min(ttls))
        except Exception:  # down since the lookup: the answer stands, unstored
            logger.warning("Response cache unavailable; the answer was not stored", exc_info=True)


def may_cache(bundle: Any) -> bool:
    """Cheap pre-check, answered once per built schema: at least one exposed model opted in."""
    answer = bundle.extras.get("may_cache")
    if answer is None:
        answer = any(ms.config["CACHE_TTL"] > 0 for ms in bundle.models.values())
        bundle.extras["may_cache"] = answer
    return answer
