"""The one policy seam: every step that decides "may this caller ..." asks a `Policy`.

Root fields, nested relations, counts, filters, ordering and writes all go through the same
questions, so a rule written once holds on every path:

- `allows(ctx, model, operation)`: may the caller perform this operation on this model at all?
- `filter_rows(ctx, model, queryset)`: which rows may the caller see (a queryset filter)?
- `allows_object(ctx, obj, operation)`: may the caller write this row (asked on writes only)?
- `object_relations(ctx, model)`: which relations does that object check read (loaded with
  the rows a write checks)?
- `readable_fields(ctx, model)`: which exposed fields may the caller read, filter and order on?
- `masked_fields(ctx, model)`: which fields may they select only with a replaced value?
- `writable_fields(ctx, model)`: which fields may their inputs set?

A project swaps the whole policy with the `POLICY` setting (per schema); the default one is
driven by the `PERMISSION_CLASSES` of each model. The field answers of the base class come from
each model's `FIELD_RULES`, so a subclass that overrides them should start from `super()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from django.utils.module_loading import import_string

from django_graphql_auto.permissions import VIEW, AllowAny, BasePermission
from django_graphql_auto.security.field_rules import ModelFieldRules

if TYPE_CHECKING:
    from django_graphql_auto.conf import SchemaConfig


class Policy:
    """Base class: allows every operation on every row; applies each model's `FIELD_RULES`.
    Subclass and override what you need."""

    def __init__(self, config: SchemaConfig):
        self.config = config
        self._field_rules: dict[type[Model], ModelFieldRules] = {}
        for model_config in config.models:
            rules = ModelFieldRules(model_config["FIELD_RULES"])
            if rules:
                self._field_rules[model_config.model] = rules

    def allows(self, ctx: Any, model: type[Model], operation: str) -> bool:
        return True

    def filters_rows(self, ctx: Any, model: type[Model]) -> bool:
        """False when `filter_rows` is the identity: the planner may then use plain joins."""
        return True

    def filter_rows(self, ctx: Any, model: type[Model], queryset: QuerySet) -> QuerySet:
        return queryset

    def allows_object(self, ctx: Any, obj: Model, operation: str) -> bool:
        """May the caller `operation` ("add", "change", "delete") this very row?

        Asked on writes, after `allows` said yes for the model, for rows the write has loaded
        anyway: the row updated or deleted (and for creates and updates, the row as it would be
        saved), children updated or deleted through their parent, rows connected, added or
        removed through a relation, and the row of a method mutation. A refusal is FORBIDDEN
        and nothing is written."""
        return True

    def object_relations(self, ctx: Any, model: type[Model]) -> tuple[str, ...]:
        """The relations `allows_object` reads on a row of `model`, as `select_related` paths
        (forward foreign keys and one-to-ones). Writes load them with the rows they check, so
        the check costs no query per row of a bulk write."""
        return ()

    # Fields ------------------------------------------------------------------------------------

    def field_rules(self, model: type[Model]) -> ModelFieldRules | None:
        return self._field_rules.get(model)

    def readable_fields(self, ctx: Any, model: type[Model]) -> frozenset[str] | None:
        """Model field/relation names the caller may read, filter, order and count on; None
        means every exposed one. A masked field is not readable (it cannot be filtered or
        ordered on), yet may be selected: see `masked_fields`."""
        rules = self._field_rules.get(model)
        if rules is None:
            return None
        unreadable = rules.unreadable(ctx.user, _roles_for(ctx, rules))
        if not unreadable:
            return None
        return _exposed(ctx, model) - unreadable

    def masked_fields(self, ctx: Any, model: type[Model]) -> Mapping[str, Any]:
        """Field name -> the value shown instead, for fields the caller may select but not see.

        Only names in `maskable_fields(model)` are looked at."""
        rules = self._field_rules.get(model)
        if rules is None or not rules.maskable:
            return {}
        return rules.masks(ctx.user, _roles_for(ctx, rules))

    def maskable_fields(self, model: type[Model]) -> frozenset[str]:
        """Fields `masked_fields` may ever name for this model (asked once, at build time: only
        these fields pay for the per-request mask lookup)."""
        rules = self._field_rules.get(model)
        return rules.maskable if rules is not None else frozenset()

    def writable_fields(self, ctx: Any, model: type[Model]) -> frozenset[str] | None:
        """Model field/relation names the caller's inputs may set; None means every input."""
        rules = self._field_rules.get(model)
        if rules is None:
            return None
        unwritable = rules.unwritable(ctx.user, _roles_for(ctx, rules))
        if not unwritable:
            return None
        return _exposed(ctx, model, writes=True) - unwritable


def _roles_for(ctx: Any, rules: Any) -> frozenset[str]:
    """The caller's roles, looked up only when one of the model's rules depends on a role."""
    return ctx.roles if rules.any_conditional else frozenset()


def _exposed(ctx: Any, model: type[Model], writes: bool = False) -> frozenset[str]:
    """Every model name the schema exposes for `model` (read side, or input side)."""
    ms = ctx.bundle.models[model]
    names = ms.field_names()
    if writes:
        names = names | frozenset(s.name for s in ms.create_fields.values())
        names = names | frozenset(s.name for s in ms.update_fields.values())
    return names


def _load(permission: Any) -> BasePermission:
    if isinstance(permission, str):
        permission = import_string(permission)
    return permission() if isinstance(permission, type) else permission


class PermissionPolicy(Policy):
    """The default: each model's `PERMISSION_CLASSES`, all of which must allow."""

    def __init__(self, config: SchemaConfig):
        super().__init__(config)
        self._permissions: dict[type[Model], BasePermission] = {}
        for model_config in config.models:
            classes = model_config["PERMISSION_CLASSES"] or []
            if not model_config["ENABLE_PERMISSIONS"] or not classes:
                combined: BasePermission = AllowAny()
            else:
                first, *rest = (_load(p) for p in classes)
                combined = first
                for other in rest:
                    combined = combined & other
            self._permissions[model_config.model] = combined.bind(model_config.model, model_config)

    def permission_for(self, model: type[Model]) -> BasePermission:
        try:
            return self._permissions[model]
        except KeyError:  # not exposed in this schema: nothing is allowed
            raise LookupError(f"{model._meta.label} is not exposed in this schema") from None

    def allows(self, ctx, model, operation):
        try:
            permission = self.permission_for(model)
        except LookupError:
            return False
        return permission.has_permission(ctx.request, model, operation)

    def filters_rows(self, ctx, model):
        return self.permission_for(model).filters_rows

    def filter_rows(self, ctx, model, queryset):
        permission = self.permission_for(model)
        if not permission.filters_rows:
            return queryset
        return permission.filter_queryset(ctx.request, model, queryset)

    def allows_object(self, ctx, obj, operation):
        try:
            permission = self.permission_for(type(obj))
        except LookupError:
            return False
        return permission.has_object_permission(ctx.request, obj, operation)

    def object_relations(self, ctx, model):
        try:
            permission = self.permission_for(model)
        except LookupError:
            return ()
        return permission.object_relations(model)


def load_policy(config: SchemaConfig) -> Policy:
    policy = config["POLICY"]
    if isinstance(policy, str):
        policy = import_string(policy)
    return policy(config)


__all__ = ["VIEW", "PermissionPolicy", "Policy", "load_policy"]
