"""The one policy seam: every step that decides "may this caller ..." asks a `Policy`.

Root fields, nested relations, counts, filters and ordering all go through the same three
questions, so a rule written once holds on every path:

- `allows(ctx, model, operation)`: may the caller perform this operation on this model at all?
- `filter_rows(ctx, model, queryset)`: which rows may the caller see (a queryset filter)?
- `readable_fields(ctx, model)`: which exposed fields may the caller read, filter and order on?

A project swaps the whole policy with the `POLICY` setting (per schema); the default one is
driven by the `PERMISSION_CLASSES` of each model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from django.utils.module_loading import import_string

from django_graphql_auto.permissions import VIEW, AllowAny, BasePermission

if TYPE_CHECKING:
    from django_graphql_auto.conf import SchemaConfig


class Policy:
    """Base class: allows everything. Subclass and override what you need."""

    def __init__(self, config: SchemaConfig):
        self.config = config

    def allows(self, ctx: Any, model: type[Model], operation: str) -> bool:
        return True

    def filters_rows(self, ctx: Any, model: type[Model]) -> bool:
        """False when `filter_rows` is the identity: the planner may then use plain joins."""
        return True

    def filter_rows(self, ctx: Any, model: type[Model], queryset: QuerySet) -> QuerySet:
        return queryset

    def readable_fields(self, ctx: Any, model: type[Model]) -> frozenset[str] | None:
        """Model field/relation names the caller may read; None means every exposed one."""
        return None


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
            self._permissions[model_config.model] = combined

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


def load_policy(config: SchemaConfig) -> Policy:
    policy = config["POLICY"]
    if isinstance(policy, str):
        policy = import_string(policy)
    return policy(config)


__all__ = ["VIEW", "PermissionPolicy", "Policy", "load_policy"]
