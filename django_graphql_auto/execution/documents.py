"""Parsed and validated documents, cached per schema bundle (so per schema version).

Parsing and validating dominate the cost of small queries; a client sends the same few
documents again and again, so both results are kept in an LRU keyed by the query text.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule


@dataclass(frozen=True)
class Document:
    node: DocumentNode | None
    parse_errors: tuple[GraphQLError, ...] = ()
    validation_errors: tuple[GraphQLError, ...] | None = None  # None: not validated yet


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, size: int, introspection: bool):
        self.schema = schema
        self.size = size
        self.rules = list(specified_rules)
        if not introspection:
            self.rules.append(NoSchemaIntrospectionCustomRule)
        self._entries: OrderedDict[str, Document] = OrderedDict()
        self._lock = threading.Lock()

    def _remember(self, query: str, document: Document) -> Document:
        with self._lock:
            self._entries[query] = document
            self._entries.move_to_end(query)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return document

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
        errors = tuple(validate(self.schema, document.node, self.rules))
        self._remember(query, Document(document.node, (), errors))
        return errors
