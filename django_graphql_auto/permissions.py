"""Permission classes: the building blocks of the default policy.

A permission answers three questions for one model: may this caller perform this operation at
all (`has_permission`), which rows may they see (`filter_queryset`), and may they write this
particular row (`has_object_permission`). Rows are a queryset filter, never a per-row Python
check, so lists, counts, pages and nested lists stay one SQL query each; the object question is
asked only for writes, on rows the write has loaded anyway. Classes compose like `Q`:
`IsAuthenticated & ReadOnly`, `IsAdminUser | ReadOnly`, `~IsAdminUser`.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ObjectDoesNotExist
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

    def has_object_permission(self, request: Any, obj: Model, operation: str) -> bool:
        """May the caller perform `operation` ("add", "change", "delete") on this row?

        Asked on writes only, after `has_permission` allowed the operation: for the row an
        update or delete targets (and, for creates and updates, the row as it would be saved),
        rows connected, added or removed through a relation, and the row of a method mutation.
        """
        return True

    def object_relations(self, model: type[Model]) -> tuple[str, ...]:
        """The relations `has_object_permission` reads on a row of `model`, as
        `select_related` paths ("author", "post__author"): forward foreign keys and one-to-ones.

        Writes load them together with the rows they check, so a check that follows a relation
        costs no query per row. A subclass whose check reads related rows declares them here.
        """
        return ()

    def bind(self, model: type[Model], config: Any) -> BasePermission:
        """This permission as used for `model` (whose resolved settings are `config`).

        The policy calls it once per model when the schema is built: a permission that reads
        per-model settings (like `IsOwnerOrAdmin` and `OWNER_FIELD`) returns a configured copy.
        """
        return self

    def __and__(self, other):
        return And(self, _instance(other))

    def __or__(self, other):
        return Or(self, _instance(other))

    def __invert__(self):
        return Not(self)


def _both(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """The relations either branch reads, each once, in order."""
    return tuple(dict.fromkeys((*first, *second)))


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

    def has_object_permission(self, request, obj, operation):
        return self.first.has_object_permission(
            request, obj, operation
        ) and self.second.has_object_permission(request, obj, operation)

    def object_relations(self, model):
        return _both(self.first.object_relations(model), self.second.object_relations(model))

    def bind(self, model, config):
        return And(self.first.bind(model, config), self.second.bind(model, config))


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

    def has_object_permission(self, request, obj, operation):
        # A branch counts only when it allows the operation itself: `IsOwnerOrAdmin |
        # DjangoModelPermissions` lets owners and holders of the model permission write.
        model = type(obj)
        return any(
            p.has_permission(request, model, operation)
            and p.has_object_permission(request, obj, operation)
            for p in (self.first, self.second)
        )

    def object_relations(self, model):
        return _both(self.first.object_relations(model), self.second.object_relations(model))

    def bind(self, model, config):
        return Or(self.first.bind(model, config), self.second.bind(model, config))


class Not(BasePermission):
    """Inverts `has_permission` only: it restricts no rows and no objects (an inverted row
    filter or object rule is rarely what anybody means)."""

    def __init__(self, inner: BasePermission):
        self.inner = inner

    def has_permission(self, request, model, operation):
        return not self.inner.has_permission(request, model, operation)

    def bind(self, model, config):
        return Not(self.inner.bind(model, config))


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


def permission_names(model: type[Model], operation: str) -> tuple[str, ...]:
    """Django permission names that grant `operation` on `model`: "blog.change_post"; for a
    proxy model its own permission first, then the concrete model's."""
    opts = model._meta
    names = [f"{opts.app_label}.{operation}_{opts.model_name}"]
    if opts.proxy:
        concrete = opts.concrete_model._meta
        names.append(f"{concrete.app_label}.{operation}_{concrete.model_name}")
    return tuple(names)


class DjangoModelPermissions(BasePermission):
    """Django's `app.view_model` / `add_` / `change_` / `delete_` permissions; superusers pass."""

    def has_permission(self, request, model, operation):
        user = _user(request)
        if user is None or not user.is_authenticated:
            return False
        return any(user.has_perm(name) for name in permission_names(model, operation))


class DjangoObjectPermissions(DjangoModelPermissions):
    """The model permission, or the permission on the row: `user.has_perm(perm, obj)`.

    Writes: creating needs the model's `add` permission; changing or deleting a row needs
    `change` / `delete` on the model or on that row, as the authentication backends answer
    `user.has_perm("blog.change_post", post)` (django-guardian's per-object permissions,
    django-rules predicates), so a logged-in user passes the operation check and the row decides.

    Reads are decided per operation, like `DjangoModelPermissions` (`view` on the model): rows
    are a queryset filter, never a per-row check. To show each user only the rows they hold a
    per-object `view` permission on, subclass and set `filters_rows = True` with a
    `filter_queryset`, e.g. with guardian's `get_objects_for_user`; reading then needs only a
    login and the filter decides which rows exist.
    """

    def has_permission(self, request, model, operation):
        user = _user(request)
        if user is None or not user.is_authenticated:
            return False
        if operation in (CHANGE, DELETE) or (operation == VIEW and self.filters_rows):
            return True  # the row decides (has_object_permission / filter_queryset)
        return super().has_permission(request, model, operation)

    def has_object_permission(self, request, obj, operation):
        user = _user(request)
        if user is None or not user.is_authenticated:
            return False
        names = permission_names(type(obj), operation)
        return any(user.has_perm(name) for name in names) or any(
            user.has_perm(name, obj) for name in names
        )


def _is_admin(user: Any) -> bool:
    return bool(user.is_staff or user.is_superuser)


def _owner_path(model: type[Model], path: str) -> list[Any]:
    """The model fields along `path` ("author__user"), checked: each step a relation, the last
    one leading to the user model."""
    fields = []
    current = model
    for part in path.split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(
                f"Owner field {path!r} of {model._meta.label}: {current._meta.label} has no "
                f"field {part!r}."
            ) from None
        if not field.is_relation or field.related_model is None:
            raise ImproperlyConfigured(
                f"Owner field {path!r} of {model._meta.label}: {part!r} is not a relation."
            )
        fields.append(field)
        current = field.related_model
    user_model = settings.AUTH_USER_MODEL.lower()
    if current._meta.label_lower != user_model:
        raise ImproperlyConfigured(
            f"Owner field {path!r} of {model._meta.label} leads to {current._meta.label}, "
            f"not to the user model ({settings.AUTH_USER_MODEL})."
        )
    return fields


def _walks_loaded_row(path: list[Any]) -> bool:
    """Whether the owner is read along the loaded row: only forward foreign keys and
    one-to-ones, which `select_related` can load with the row (else the database is asked)."""
    return all((f.many_to_one or f.one_to_one) and f.concrete for f in path)


def owner_path_problem(model: type[Model], path: str) -> str | None:
    """Why `path` is not a lookup from `model` to the user model, or None."""
    try:
        _owner_path(model, path)
    except ImproperlyConfigured as error:
        return str(error).rstrip(".")
    return None


def default_owner_field(model: type[Model]) -> str | None:
    """The model's only forward foreign key or one-to-one to the user model, if exactly one."""
    user_model = settings.AUTH_USER_MODEL.lower()
    candidates = [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation
        and (f.many_to_one or f.one_to_one)
        and f.related_model is not None
        and f.related_model._meta.label_lower == user_model
        and not getattr(f.remote_field, "parent_link", False)
    ]
    return candidates[0] if len(candidates) == 1 else None


class IsOwnerOrAdmin(BasePermission):
    """Staff see and write every row; other logged-in users only the rows they own.

    The owner is found through `owner_field`, a lookup path from the model to the user model
    ("user", "author__user"): `IsOwnerOrAdmin.with_field("author__user")`, else the model's
    `OWNER_FIELD` setting, else the model's only foreign key to the user model. Rows are a
    queryset filter (`filter(author__user=request.user)`); writes need the row to be owned by
    the caller, before the change and as it would be saved (so a row cannot be created for, or
    handed over to, somebody else). Anonymous callers get nothing; combine with `| ReadOnly` to
    let everybody read every row.
    """

    filters_rows = True
    owner_field: str | None = None

    def __init__(self, owner_field: str | None = None):
        if owner_field is not None:
            self.owner_field = owner_field
        self._path: list[Any] | None = None

    @classmethod
    def with_field(cls, owner_field: str) -> IsOwnerOrAdmin:
        """An instance owned through `owner_field`, for `PERMISSION_CLASSES`."""
        return cls(owner_field)

    def bind(self, model, config):
        field = self.owner_field
        if field is None:
            field = config["OWNER_FIELD"] if config is not None else None
        if field is None:
            field = default_owner_field(model)
        if field is None:
            raise ImproperlyConfigured(
                f"IsOwnerOrAdmin on {model._meta.label}: set OWNER_FIELD for the model or use "
                'IsOwnerOrAdmin.with_field("...") (no single foreign key to the user model).'
            )
        bound = copy.copy(self)
        bound.owner_field = field
        bound._path = _owner_path(model, field)
        return bound

    def _field(self, model: type[Model]) -> str:
        if self.owner_field is None:
            field = default_owner_field(model)
            if field is None:
                raise ImproperlyConfigured(
                    f"IsOwnerOrAdmin on {model._meta.label} needs an owner field."
                )
            return field
        return self.owner_field

    def has_permission(self, request, model, operation):
        user = _user(request)
        return bool(user is not None and user.is_authenticated)

    def filter_queryset(self, request, model, queryset):
        user = _user(request)
        if user is None or not user.is_authenticated:
            return queryset.none()
        if _is_admin(user):
            return queryset
        return queryset.filter(**{self._field(model): user})

    def has_object_permission(self, request, obj, operation):
        user = _user(request)
        if user is None or not user.is_authenticated:
            return False
        return _is_admin(user) or self.is_owner(obj, user)

    def object_relations(self, model):
        """The owner path without its last hop: "author" for "author__user" (the last hop is
        a column of the row before it, `author.user_id`). Nothing for a path through a to-many
        or reverse relation: that check asks the database instead."""
        path = self._bound_path(model)
        if not _walks_loaded_row(path) or len(path) < 2:
            return ()
        return ("__".join(f.name for f in path[:-1]),)

    def _bound_path(self, model: type[Model]) -> list[Any]:
        return self._path if self._path is not None else _owner_path(model, self._field(model))

    def is_owner(self, obj: Model, user: Any) -> bool:
        """Whether `user` owns the row, read from the loaded row along the owner path (no
        query when the related rows are loaded, as writes load them: `object_relations`)."""
        model = type(obj)
        path = self._bound_path(model)
        if not _walks_loaded_row(path):
            # Through a to-many or reverse relation: ask the database (the row is saved).
            if obj.pk is None:
                return False
            lookup = {"pk": obj.pk, self._field(model): user}
            return model._base_manager.filter(**lookup).exists()
        current: Any = obj
        for field in path[:-1]:
            try:
                current = getattr(current, field.name)
            except ObjectDoesNotExist:
                return False
            if current is None:
                return False
        owner = getattr(current, path[-1].attname)
        return owner is not None and owner == user.pk


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
    "DjangoObjectPermissions",
    "IsAdminUser",
    "IsAuthenticated",
    "IsOwnerOrAdmin",
    "Not",
    "Or",
    "ReadOnly",
    "permission_names",
]
