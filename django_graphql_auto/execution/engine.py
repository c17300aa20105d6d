"""Runs one GraphQL request against a named schema: document cache, operation checks, execution.

Transport (HTTP, WebSocket) calls `process()` and maps the `Outcome.kind` to its own status codes;
it never touches graphql-core directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from graphql import GraphQLError, OperationDefinitionNode, execute
from graphql.execution.values import get_variable_values

from django_graphql_auto.execution import errors, persisted, response_cache, timeouts
from django_graphql_auto.execution.compiled import execute_compiled
from django_graphql_auto.execution.context import RequestContext
from django_graphql_auto.execution.databases import databases_of
from django_graphql_auto.execution.documents import DocumentCache
from django_graphql_auto.execution.hygiene import input_problem
from django_graphql_auto.execution.limits import Analysis
from django_graphql_auto.execution.prepared import prepared_statements
from django_graphql_auto.schema.builder import SchemaBundle
from django_graphql_auto.schema.registry import get_schema
from django_graphql_auto.security import audit

OutcomeKind = Literal[
    "ok",  # executed; payload has "data" (and maybe "errors")
    "parse_error",  # the document does not parse (code GRAPHQL_PARSE_FAILED)
    "validation_error",  # the document is invalid for the schema (GRAPHQL_VALIDATION_FAILED)
    "request_error",  # unknown operation name, several operations without a name,
    # variables that do not coerce (BAD_USER_INPUT): nothing was executed
    "operation_not_allowed",  # e.g. a mutation over GET: nothing was executed
    "rate_limited",  # `before_execute` refused the request (RATE_LIMITED): nothing was executed
]


@dataclass
class Outcome:
    kind: OutcomeKind
    payload: dict[str, Any] = field(default_factory=dict)  # {"data": ..., "errors": [...]}
    operation_type: str | None = None  # "query", "mutation", "subscription" once known


def _follow_debug(value: bool | None) -> bool:
    return bool(settings.DEBUG) if value is None else bool(value)


def analysis(bundle: SchemaBundle) -> Analysis:
    limits = bundle.extras.get("analysis")
    if limits is None:
        limits = bundle.extras["analysis"] = Analysis.for_bundle(bundle)
    return limits


def documents(bundle: SchemaBundle) -> DocumentCache:
    cache = bundle.extras.get("documents")
    if cache is None:
        cache = DocumentCache(
            bundle.schema,
            bundle.config["DOCUMENT_CACHE_SIZE"],
            introspection=_follow_debug(bundle.config["INTROSPECTION"]),
            guards=analysis(bundle).rules,
        )
        bundle.extras["documents"] = cache
    return cache


def _failure(
    kind: OutcomeKind, error_list: list[GraphQLError] | tuple, code: str, show: bool
) -> Outcome:
    return Outcome(
        kind,
        {
            "errors": [
                errors.format_error(e, default_code=code, show_internal=show) for e in error_list
            ]
        },
    )


_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def _unsuggested(bundle: SchemaBundle, error_list: list[GraphQLError]) -> list[GraphQLError]:
    """graphql-core's "Did you mean 'title'?" hints name the schema's types, fields and
    arguments: with introspection off they would let a client rebuild the schema by guessing,
    so they are left out."""
    if _follow_debug(bundle.config["INTROSPECTION"]):
        return error_list
    return [
        GraphQLError(
            _SUGGESTION.sub("", e.message),
            e.nodes,
            e.source,
            e.positions,
            e.path,
            e.original_error,
            e.extensions,
        )
        for e in error_list
    ]


def _operation(document: Any, operation_name: str | None) -> OperationDefinitionNode | str:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) == 1:
            return operations[0]
        if not operations:
            return "The document contains no operation."
        return "The document has several operations: send an operationName."
    for operation in operations:
        if operation.name and operation.name.value == operation_name:
            return operation
    return f"Unknown operation named '{operation_name}'."


def process(
    schema_name: str,
    query: str | None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    *,
    request: Any = None,
    allowed_operations: frozenset[str] = frozenset({"query", "mutation"}),
    before_execute: Callable[[str, float], GraphQLError | None] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Outcome:
    """Parse (cached), check the operation type, validate (cached), execute; never raises for bad
    client input. Every error in `payload["errors"]` carries `extensions.code`.

    `before_execute(operation_type, cost)` runs once the request is known to be executable (the
    transport charges its rate limit there; `cost` is the query cost when RATE_LIMIT_BY_COST or
    EXPOSE_QUERY_COST asks for it, else 1); a GraphQLError it returns refuses the request with
    the outcome kind "rate_limited"."""
    bundle = get_schema(schema_name)
    show = _follow_debug(bundle.config["DEBUG_ERRORS"])
    query, refusal = persisted.resolve_query(bundle, query, extensions)
    if refusal is not None:
        audit.query_rejected(request, bundle, operation_name, [refusal])
        return _failure("request_error", [refusal], errors.BAD_USER_INPUT, show)
    cache = documents(bundle)
    limits = analysis(bundle)
    if query not in cache:  # a cached text passed these checks; a refused one is never cached
        refused = limits.check_source(query)
        if refused:
            audit.query_rejected(request, bundle, operation_name, refused)
            return _failure("validation_error", refused, errors.QUERY_TOO_COMPLEX, show)
    document = cache.parse(query)
    if document.node is None:
        return _failure("parse_error", document.parse_errors, errors.GRAPHQL_PARSE_FAILED, show)
    operation = _operation(document.node, operation_name)
    if isinstance(operation, str):
        return _failure("request_error", [GraphQLError(operation)], errors.BAD_USER_INPUT, show)
    operation_type = operation.operation.value
    root_type = {
        "query": bundle.schema.query_type,
        "mutation": bundle.schema.mutation_type,
        "subscription": bundle.schema.subscription_type,
    }[operation_type]
    if root_type is None or (
        operation_type == "subscription" and "subscription" not in allowed_operations
    ):
        where = "over WebSocket" if operation_type == "subscription" and root_type else "here"
        message = f"This schema serves no {operation_type} operations {where}."
        outcome = _failure("request_error", [GraphQLError(message)], errors.BAD_USER_INPUT, show)
        outcome.operation_type = operation_type
        return outcome
    if operation_type not in allowed_operations:
        message = f"{operation_type.capitalize()} operations are not allowed here."
        outcome = _failure(
            "operation_not_allowed", [GraphQLError(message)], errors.BAD_USER_INPUT, show
        )
        outcome.operation_type = operation_type
        return outcome
    name = operation.name.value if operation.name else None
    validation_errors = cache.validate(query, document)
    if validation_errors:
        audit.query_rejected(request, bundle, name, validation_errors)
        outcome = _failure(
            "validation_error",
            _unsuggested(bundle, validation_errors),
            errors.GRAPHQL_VALIDATION_FAILED,
            show,
        )
        outcome.operation_type = operation_type
        return outcome
    persisted.remember(bundle, query, extensions)
    problem = input_problem(query, document.node, variables)
    if problem is not None:
        outcome = _failure("request_error", [GraphQLError(problem)], errors.BAD_USER_INPUT, show)
        outcome.operation_type = operation_type
        return outcome
    coerced = get_variable_values(
        bundle.schema, operation.variable_definitions or (), variables or {}
    )
    if isinstance(coerced, list):
        outcome = _failure(
            "request_error", _unsuggested(bundle, coerced), errors.BAD_USER_INPUT, show
        )
        outcome.operation_type = operation_type
        return outcome
    wants_cost = limits.expose_cost or bundle.config["RATE_LIMIT_BY_COST"]
    cost = limits.cost(bundle.schema, document.node, operation) if wants_cost else 1
    refusal = before_execute(operation_type, cost) if before_execute is not None else None
    if refusal is not None:
        outcome = _failure("rate_limited", [refusal], errors.RATE_LIMITED, show)
        outcome.operation_type = operation_type
        return outcome
    context = RequestContext(request=request, bundle=bundle)
    stored = None
    if operation_type == "query" and response_cache.may_cache(bundle):
        stored = response_cache.ResponseCache(bundle, context, query, operation_name, variables)
        hit = stored.lookup()
        if hit is not None:
            return Outcome("ok", hit, operation_type)
    aliases = databases_of(bundle)  # asks the routers once for both scopes below
    with (
        audit.operation(name),
        timeouts.statement_timeout(bundle, operation_type, aliases=aliases) as guard,
        prepared_statements(bundle, operation_type, aliases),
        stored.watching(aliases) if stored is not None else nullcontext(),
    ):
        compiled = execute_compiled(bundle, document.node, operation, coerced, context)
        if compiled is not None:
            data, error_list = compiled["data"], compiled["errors"]
        elif guard.timed_out:  # no second try: the general executor would meet the same wall
            data, error_list = None, []
        else:
            result = execute(
                bundle.schema,
                document.node,
                variable_values=variables or {},
                operation_name=operation_name,
                context_value=context,
            )
            data, error_list = result.data, result.errors
        data, error_list = guard.review(data, error_list, operation_type, context)
    payload: dict[str, Any] = {}
    if error_list:
        payload["errors"] = [
            # Execution errors without a code of their own (a non-null field resolved to null,
            # a value the scalar could not serialize) are the server's fault.
            errors.format_error(e, default_code=errors.INTERNAL_SERVER_ERROR, show_internal=show)
            for e in error_list
        ]
    payload["data"] = data
    if limits.expose_cost:
        payload.setdefault("extensions", {})["cost"] = cost
    if stored is not None:
        stored.store(payload)
    return Outcome("ok", payload, operation_type)
