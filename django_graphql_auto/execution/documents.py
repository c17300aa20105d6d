"""Parsed and validated documents, cached per schema bundle (so per schema version).

Parsing and validating dominate the cost of small queries; a client sends the same few
documents again and again, so both results are kept in an LRU keyed by the query text.

Validation runs in two passes: the guards (introspection, the query-analysis limits) first, and
graphql-core's specified rules only for a document the guards accept, because some specified
rules take time in the square of a document's repeated fields (see `limits/__init__.py`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, specified_rules, validate
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule

from django_graphql_auto.execution.hygiene import FiniteFloatRule
from django_graphql_auto.execution.limits import first_pass
from django_graphql_auto.execution.limits.introspection import IntrospectionDepthRule


@dataclass(frozen=True)
class Document:
    node: DocumentNode | None
    parse_errors: tuple[GraphQLError, ...] = ()
    validation_errors: tuple[GraphQLError, ...] | None = None  # None: not validated yet


class DocumentCache:
    def __init__(
        self,
        schema: GraphQLSchema,
        size: int,
        introspection: bool,
        guards: Sequence[type[ASTValidationRule]] = (),
    ):
        self.schema = schema
        self.size = size
        gate = IntrospectionDepthRule if introspection else NoSchemaIntrospectionCustomRule
        self.guards = [gate, *guards]
        self.rules = [*specified_rules, FiniteFloatRule]
        self._entries: OrderedDict[str, Document] = OrderedDict()
        self._lock = threading.Lock()

    def _remember(self, query: str, document: Document) -> Document:
        with self._lock:
            self._entries[query] = document
            self._entries.move_to_end(query)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return document

    def __contains__(self, query: str) -> bool:
        """Whether `query` was seen (and so passed the checks made before parsing)."""
        return query in self._entries

    def parse(self, query: str) -> Document:
        cached = self._entries.get(query)
        if cached is not None:
            with self._lock:
                if query in self._entries:
                    self._entries.move_to_end(query)
            return cached
        try:
            node = parse(query)
        except GraphQLError as error:
            return self._remember(query, Document(None, (error,)))
        return self._remember(query, Document(node))

    def validate(self, query: str, document: Document) -> tuple[GraphQLError, ...]:
        if document.validation_errors is not None:
            return document.validation_errors
        errors = first_pass(self.schema, document.node, self.guards)
        if not errors:
            errors = tuple(validate(self.schema, document.node, self.rules))
        self._remember(query, Document(document.node, (), errors))
        return errors
