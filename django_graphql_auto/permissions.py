"""Permission classes: the building blocks of the default policy.

A permission answers two questions for one model: may this caller perform this operation at
all (`has_permission`), and which rows may they see (`filter_queryset`). Rows are a queryset
filter, never a per-row Python check, so lists, counts, pages and nested lists stay one SQL
query each. Classes compose like `Q`: `IsAuthenticated & ReadOnly`, `IsAdminUser | ReadOnly`,
`~IsAdminUser`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

#: Operations the policy is asked about, named after Django's default model permissions.
VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
OPERATIONS = (VIEW, ADD, CHANGE, DELETE)


class _PermissionMeta(type):
    """Lets the classes themselves compose: `IsAuthenticated & ReadOnly` without parentheses."""

    def __and__(cls, other):
        return And(cls(), _instance(other))

    def __or__(cls, other):
        return Or(cls(), _instance(other))

    def __invert__(cls):
        return Not(cls())


def _instance(permission: Any) -> BasePermission:
    return permission() if isinstance(permission, type) else permission


class BasePermission(metaclass=_PermissionMeta):
    """Allows nothing to be restricted by default; subclasses narrow it."""

    #: False when `filter_queryset` returns its input unchanged; lets the planner use joins.
    filters_rows = False

    def has_permission(self, request: Any, model: type[Model], operation: str) -> bool:
        return True

    def filter_queryset(self, request: Any, model: type[Model], queryset: QuerySet) -> QuerySet:
        return queryset

    def __and__(self, other):
        return And(self, _instance(other))

    def __or__(self, other):
        return Or(self, _instance(other))

    def __invert__(self):
        return Not(self)


class And(BasePermission):
    def __init__(self, first: BasePermission, second: BasePermission):
        self.first, self.second = first, second
        self.filters_rows = first.filters_rows or second.filters_rows

    def has_permission(self, request, model, operation):
        return self.first.has_permission(request, model, operation) and self.second.has_permission(
            request, model, operation
        )

    def filter_queryset(self, request, model, queryset):
        queryset = self.first.filter_queryset(request, model, queryset)
        return self.second.filter_queryset(request, model, queryset)


class Or(BasePermission):
    def __init__(self, first: BasePermission, second: BasePermission):
        self.first, self.second = first, second
        self.filters_rows = first.filters_rows or second.filters_rows

    def has_permission(self, request, model, operation):
        return self.first.has_permission(request, model, operation) or self.second.has_permission(
            request, model, operation
        )

    def filter_queryset(self, request, model, queryset):
        if not self.filters_rows:
            return queryset
        # Rows visible through either branch; a branch that denies the operation adds nothing.
        # Rows are asked for reading, so a branch counts when it allows VIEW.
        allowed = [p for p in (self.first, self.second) if p.has_permission(request, model, VIEW)]
        if not allowed:
            return queryset.none()
        if any(not p.filters_rows for p in allowed):
            return queryset
        first, *rest = (p.filter_queryset(request, model, queryset) for p in allowed)
        for other in rest:
            first = first | other
        return first


class Not(BasePermission):
    def __init__(self, inner: BasePermission):
        self.inner = inner

    def has_permission(self, request, model, operation):
        return not self.inner.has_permission(request, model, operation)


def _user(request: Any):
    return getattr(request, "user", None)


class AllowAny(BasePermission):
    """Everything, for everybody: open a model deliberately with this."""


class IsAuthenticated(BasePermission):
    def has_permission(self, request, model, operation):
        user = _user(request)
        return bool(user is not None and user.is_authenticated)


class IsAdminUser(BasePermission):
    """Staff users only (Django's `is_staff`)."""

    def has_permission(self, request, model, operation):
        user = _user(request)
        return bool(user is not None and user.is_authenticated and user.is_staff)


class ReadOnly(BasePermission):
    """Reading is allowed to anybody; writing is not (combine with `|` to allow writers)."""

    def has_permission(self, request, model, operation):
        return operation == VIEW


class DjangoModelPermissions(BasePermission):
    """Django's `app.view_model` / `add_` / `change_` / `delete_` permissions; superusers pass."""

    def has_permission(self, request, model, operation):
        user = _user(request)
        if user is None or not user.is_authenticated:
            return False
        opts = model._meta.concrete_model._meta if model._meta.proxy else model._meta
        codename = f"{opts.app_label}.{operation}_{opts.model_name}"
        if model._meta.proxy:
            proxy_codename = f"{model._meta.app_label}.{operation}_{model._meta.model_name}"
            return user.has_perm(proxy_codename) or user.has_perm(codename)
        return user.has_perm(codename)


__all__ = [
    "ADD",
    "CHANGE",
    "DELETE",
    "OPERATIONS",
    "VIEW",
    "AllowAny",
    "And",
    "BasePermission",
    "DjangoModelPermissions",
    "IsAdminUser",
    "IsAuthenticated",
    "Not",
    "Or",
    "ReadOnly",
]
