"""Opt-in response cache for read queries, invalidated by writes, scoped per caller.

A query is cached only when every model it reads has `CACHE_TTL` > 0 (the smallest TTL
applies). The key holds the schema, the document, the variables and the caller (a user id or
"anonymous"): what one caller may see is never served to another.

Invalidation is generational: each concrete model has a counter in the cache, bumped by every
committed write (our mutations, bulk ones included, and Django's save/delete/m2m signals). An
entry remembers the counters of the models it read, as they were before the query ran; a hit
requires them unchanged, so a write anywhere in what the response read makes it stale at once,
on every process sharing the cache.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import orjson
from django.core.cache import caches
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from django_graphql_auto.mutations.events import changes_committed


def generation_key(model: type[models.Model]) -> str:
    return f"gqa:gen:{model._meta.concrete_model._meta.label_lower}"


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
        key = generation_key(model)
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


def _on_save_or_delete(sender: Any, **kwargs: Any) -> None:
    _bump_now_and_on_commit(sender)


def _on_m2m(sender: Any, instance: Any, model: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
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


class ResponseCache:
    """One lookup / store pair around the execution of one query."""

    def __init__(self, bundle: Any, ctx: Any, query: str, operation_name: str | None, variables):
        self.bundle = bundle
        self.ctx = ctx
        self.cache = caches[_alias()]
        raw = orjson.dumps(
            [bundle.name, query, operation_name, variables or {}, _scope(ctx)],
            option=orjson.OPT_SORT_KEYS,
        )
        self.key = "gqa:resp:" + hashlib.sha256(raw).hexdigest()
        # A hit needs every model read to have opted in: the others' counters never matter.
        self.models = [ms.model for ms in bundle.models.values() if ms.config["CACHE_TTL"] > 0]
        self.before: dict[str, Any] = {}

    def lookup(self) -> dict[str, Any] | None:
        keys = [generation_key(m) for m in self.models]
        entry = self.cache.get(self.key)
        self.before = self.cache.get_many(keys)
        if entry is None:
            return None
        if any(self.before.get(k) != v for k, v in entry["generations"].items()):
            return None
        return entry["payload"]

    def store(self, payload: dict[str, Any]) -> None:
        if payload.get("errors"):
            return
        read = self.ctx.models_read
        ttls = [ms.config["CACHE_TTL"] for ms in self.bundle.models.values() if ms.model in read]
        if not read or len(ttls) < len(read) or min(ttls) <= 0:
            return  # some model read has not opted in
        generations = {generation_key(m): self.before.get(generation_key(m)) for m in read}
        self.cache.set(self.key, {"generations": generations, "payload": payload}, min(ttls))


def may_cache(bundle: Any) -> bool:
    """Cheap pre-check, answered once per built schema: at least one exposed model opted in."""
    answer = bundle.extras.get("may_cache")
    if answer is None:
        answer = any(ms.config["CACHE_TTL"] > 0 for ms in bundle.models.values())
        bundle.extras["may_cache"] = answer
    return answer
