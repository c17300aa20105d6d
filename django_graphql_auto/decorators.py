"""`@graphql_mutation`: the only way a model method becomes a mutation.

Methods are never discovered by name: exposing `delete_everything()` because it happens to be
public would be a security hole. Arguments and the result type come from the type hints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Attribute set on decorated functions; introspection looks only for this.
MUTATION_MARKER = "__graphql_mutation__"


def graphql_mutation(
    function: Callable | None = None,
    *,
    name: str | None = None,
    operation: str = "change",
    permission: str | None = None,
    atomic: bool = True,
    description: str | None = None,
) -> Any:
    """Expose a model method as `<model>_<name>(id: ID!, ...)`.

    `operation` is the policy operation the caller needs on the row ("change" by default);
    `permission` is an extra Django permission ("blog.publish_post") checked with
    `user.has_perm(permission, obj)`; `atomic` runs the method in a transaction.
    """

    def mark(method: Callable) -> Callable:
        setattr(
            method,
            MUTATION_MARKER,
            {
                "name": name or method.__name__,
                "operation": operation,
                "permission": permission,
                "atomic": atomic,
                "description": description,
            },
        )
        return method

    return mark(function) if function is not None else mark


#: Attribute set on functions decorated with `@graphql_field`.
FIELD_MARKER = "__graphql_field__"


def graphql_field(
    function: Callable | None = None,
    *,
    name: str | None = None,
    requires: tuple[str, ...] | list[str] = (),
    description: str | None = None,
) -> Any:
    """Expose a computed value (a property or a method without arguments) as a read field.

    `requires` names the columns it reads (`"first_name"`, or `"author__name"` through a to-one
    relation) so the planner loads them with the row: a computed field never costs a query of
    its own. The GraphQL type comes from the return annotation (scalars and lists of them).
    Put `@property` above this decorator.
    """

    def mark(method: Callable) -> Callable:
        setattr(
            method,
            FIELD_MARKER,
            {
                "name": name or method.__name__,
                "requires": tuple(requires),
                "description": description,
            },
        )
        return method

    return mark(function) if function is not None else mark
