"""Per-request state handed to resolvers as graphql-core's `context_value`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet

from django_graphql_auto.execution.errors import forbidden
from django_graphql_auto.permissions import VIEW
from django_graphql_auto.security import audit

if TYPE_CHECKING:
    from django_graphql_auto.schema.builder import SchemaBundle


def _repeats_rows(query: Any) -> bool:
    """Whether a queryset's own joins or DISTINCT could change how its rows combine with more
    joins: a join along a to-many relation (reverse foreign key, many-to-many)."""
    if query.distinct:
        return True
    for join in query.alias_map.values():
        field = getattr(join, "join_field", None)
        if field is not None and (field.one_to_many or field.many_to_many):
            return True
    return False


@dataclass
class RequestContext:
    """The request plus memoised policy answers: a decision that does not depend on the row is
    taken once per request, not once per row."""

    request: Any
    bundle: SchemaBundle
    _allowed: dict[tuple[type[Model], str], bool] = field(default_factory=dict)
    _fields: dict[type[Model], frozenset[str] | None] = field(default_factory=dict)
    _masks: dict[type[Model], Mapping[str, Any]] = field(default_factory=dict)
    _writable: dict[type[Model], frozenset[str] | None] = field(default_factory=dict)
    _relations: dict[type[Model], tuple[str, ...]] = field(default_factory=dict)
    _roles: frozenset[str] | None = None
    #: Concrete models whose rows this request read (the response cache keys on them).
    models_read: set[type[Model]] = field(default_factory=set)
    #: The login attempt an auth mutation is checking (`security.ratelimit.LoginAttempt`).
    login_attempt: Any = None

    @property
    def user(self) -> Any:
        return getattr(self.request, "user", None)

    @property
    def policy(self):
        return self.bundle.policy

    @property
    def roles(self) -> frozenset[str]:
        """The caller's roles (names of their Django groups), read once per request."""
        if self._roles is None:
            user = self.user
            if user is None or not getattr(user, "is_authenticated", False):
                self._roles = frozenset()
            else:
                from django_graphql_auto.security.auth import user_roles

                self._roles = frozenset(user_roles(user))
        return self._roles

    def allows(self, model: type[Model], operation: str) -> bool:
        key = (model, operation)
        if key not in self._allowed:
            self._allowed[key] = bool(self.policy.allows(self, model, operation))
        return self._allowed[key]

    def require(self, model: type[Model], operation: str) -> None:
        if not self.allows(model, operation):
            message = f"You may not {operation} {self.bundle.type_name(model)} objects."
            audit.denied(self, model, operation, message)
            raise forbidden(message)

    def require_relation(self, relation: Any) -> None:
        """Reading a relation reads its target; a many-to-many through a model the schema
        exposes also reads that model, whose rows are the links (`doctor.patients` shows which
        appointments exist). Row rules on such a model cannot be applied to the links, so the
        relation is refused while they restrict anything: read the through model instead."""
        self.require(relation.target, VIEW)
        through = relation.info.through
        if through is None or through not in self.bundle.models:
            return
        self.require(through, VIEW)
        if not self.joinable(through):
            names = self.bundle.type_name(relation.target), self.bundle.type_name(through)
            message = (
                f"You may not read {names[0]} objects through {names[1]}: some {names[1]} "
                f"rows are hidden from you. Read the {names[1]} objects instead."
            )
            audit.denied(self, through, VIEW, message)
            raise forbidden(message)

    def readable(self, model: type[Model]) -> frozenset[str] | None:
        if model not in self._fields:
            self._fields[model] = self.policy.readable_fields(self, model)
        return self._fields[model]

    def masks(self, model: type[Model]) -> Mapping[str, Any]:
        """Field name -> shown value, for the fields of `model` the caller sees masked."""
        if model not in self._masks:
            self._masks[model] = self.policy.masked_fields(self, model)
        return self._masks[model]

    def require_field(self, model: type[Model], name: str, action: str = "read") -> None:
        """Selecting (`action="read"`) also accepts a masked field; filtering, ordering and
        counting need the field readable."""
        readable = self.readable(model)
        if readable is not None and name not in readable:
            if action == "read" and name in self.masks(model):
                return
            type_name = self.bundle.type_name(model)
            message = f"You may not {action} field '{name}' of {type_name}."
            audit.field_denied(self, model, name, action, message)
            raise forbidden(message)

    def writable(self, model: type[Model]) -> frozenset[str] | None:
        if model not in self._writable:
            self._writable[model] = self.policy.writable_fields(self, model)
        return self._writable[model]

    def require_writable(self, model: type[Model], name: str, where: str) -> None:
        writable = self.writable(model)
        if writable is not None and name not in writable:
            type_name = self.bundle.type_name(model)
            message = f"You may not write field '{name}' of {type_name} (at {where})."
            audit.field_denied(self, model, name, "write", message)
            raise forbidden(message)

    def allows_object(self, obj: Model, operation: str) -> bool:
        """Not memoised: the answer is about one row."""
        return bool(self.policy.allows_object(self, obj, operation))

    def object_relations(self, model: type[Model]) -> tuple[str, ...]:
        """The relations the object check reads on a row of `model` (asked once per request)."""
        if model not in self._relations:
            self._relations[model] = tuple(self.policy.object_relations(self, model))
        return self._relations[model]

    def visible_for_checks(self, model: type[Model], also: Iterable[str] = ()) -> QuerySet:
        """The rows of `model` the caller may see (`visible`), loading in the same query what
        the object check reads on them (and `also`: what the check of a row pointing at them
        reads through them), so a write that checks many rows pays no query per row. Rows
        whose manager defers columns are left as they are: `select_related` refuses to follow
        a deferred key."""
        rows = self.visible(model)
        paths = tuple(dict.fromkeys((*self.object_relations(model), *also)))
        if not paths or rows.query.deferred_loading[0]:
            return rows
        return rows.select_related(*paths)

    def conceals(self, obj: Model, operation: str) -> bool:
        """Whether a row found by id must be answered as not existing: the caller may neither
        read its model nor `operation` this row. A FORBIDDEN naming the id would tell them the
        id exists (with per-object rules, the row is in the queryset whatever they may do)."""
        return not self.allows(type(obj), VIEW) and not self.allows_object(obj, operation)

    def require_object(self, obj: Model, operation: str) -> None:
        if not self.allows_object(obj, operation):
            type_name = self.bundle.type_name(type(obj))
            what = f"{type_name} {obj.pk}" if obj.pk is not None else f"this {type_name}"
            message = f"You may not {operation} {what}."
            audit.denied(self, type(obj), operation, message, object_id=obj.pk)
            raise forbidden(message)

    def visible(self, model: type[Model]):
        """Every row of `model` the caller may see, as a queryset (custom managers respected).

        A row rule that joins a to-many relation (or asks for DISTINCT) is kept inside a
        subquery: its joins would otherwise repeat rows, and mix with the joins the planner adds
        (a nested list's parent key, a window, a count), picking the wrong rows."""
        self.models_read.add(model)
        rows = self.policy.filter_rows(self, model, model._default_manager.all())
        if _repeats_rows(rows.query):
            rows = model._default_manager.filter(pk__in=rows.values("pk"))
        return rows

    def joinable(self, model: type[Model]) -> bool:
        """True when row rules do not restrict `model`, so a plain SQL join is safe."""
        return not self.policy.filters_rows(self, model)
