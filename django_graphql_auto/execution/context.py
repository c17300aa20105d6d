"""Per-request state handed to resolvers as graphql-core's `context_value`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_graphql_auto.execution.errors import forbidden

if TYPE_CHECKING:
    from django_graphql_auto.schema.builder import SchemaBundle


@dataclass
class RequestContext:
    """The request plus memoised policy answers: a decision that does not depend on the row is
    taken once per request, not once per row."""

    request: Any
    bundle: SchemaBundle
    _allowed: dict[tuple[type[Model], str], bool] = field(default_factory=dict)
    _fields: dict[type[Model], frozenset[str] | None] = field(default_factory=dict)
    #: Concrete models whose rows this request read (the response cache keys on them).
    models_read: set[type[Model]] = field(default_factory=set)

    @property
    def user(self) -> Any:
        return getattr(self.request, "user", None)

    @property
    def policy(self):
        return self.bundle.policy

    def allows(self, model: type[Model], operation: str) -> bool:
        key = (model, operation)
        if key not in self._allowed:
            self._allowed[key] = bool(self.policy.allows(self, model, operation))
        return self._allowed[key]

    def require(self, model: type[Model], operation: str) -> None:
        if not self.allows(model, operation):
            raise forbidden(f"You may not {operation} {self.bundle.type_name(model)} objects.")

    def readable(self, model: type[Model]) -> frozenset[str] | None:
        if model not in self._fields:
            self._fields[model] = self.policy.readable_fields(self, model)
        return self._fields[model]

    def require_field(self, model: type[Model], name: str, action: str = "read") -> None:
        readable = self.readable(model)
        if readable is not None and name not in readable:
            type_name = self.bundle.type_name(model)
            raise forbidden(f"You may not {action} field '{name}' of {type_name}.")

    def visible(self, model: type[Model]):
        """Every row of `model` the caller may see, as a queryset (custom managers respected)."""
        self.models_read.add(model)
        return self.policy.filter_rows(self, model, model._default_manager.all())

    def joinable(self, model: type[Model]) -> bool:
        """True when row rules do not restrict `model`, so a plain SQL join is safe."""
        return not self.policy.filters_rows(self, model)
