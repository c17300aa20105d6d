"""Query analysis: refuse hostile documents before they cost anything (SPEC §6, "Limits").

Three stages, cheapest first, each refusing with `extensions.code` QUERY_TOO_COMPLEX:

1. the text, before parsing (`tokens.py`): MAX_DOCUMENT_BYTES, MAX_TOKENS, MAX_ALIASES;
2. a first validation pass of cheap rules: MAX_QUERY_DEPTH (`depth.py`), MAX_QUERY_COST
   (`cost.py`), MAX_ALIASES (`aliases.py`), MAX_ROOT_FIELDS (`root_fields.py`), and introspection
   (refused by graphql-core's NoSchemaIntrospectionCustomRule, GRAPHQL_VALIDATION_FAILED, where it
   is off; bounded by `introspection.py` where it is on);
3. graphql-core's specified rules, only for documents that passed: some of them take time in the
   square of a document's repeated fields, which stage 2 bounds.

Every stage's verdict on a text is cached with the document (rejected texts are not parsed, so
they never enter the cache). With the schema's ENABLE_QUERY_ANALYSIS off only MAX_DOCUMENT_BYTES
and the introspection rules apply: the size bound protects the parser, which no schema can opt
out of safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    validate,
)
from graphql.validation import ASTValidationRule

from django_graphql_auto.execution.limits.aliases import MaxAliasesRule
from django_graphql_auto.execution.limits.base import TooDeep
from django_graphql_auto.execution.limits.cost import CostModel, MaxCostRule, operation_cost
from django_graphql_auto.execution.limits.depth import MaxDepthRule
from django_graphql_auto.execution.limits.root_fields import MaxRootFieldsRule
from django_graphql_auto.execution.limits.tokens import check_size, check_tokens

if TYPE_CHECKING:
    from django_graphql_auto.schema.builder import SchemaBundle

__all__ = ["Analysis", "first_pass"]

#: A hostile document breaks many limits at once; a few errors say enough.
FIRST_PASS_MAX_ERRORS = 10


@dataclass(frozen=True)
class Analysis:
    """One schema's limits, read once from its settings (schema level)."""

    enabled: bool
    max_document_bytes: int
    max_tokens: int
    max_aliases: int
    expose_cost: bool
    cost_model: CostModel
    rules: tuple[type[ASTValidationRule], ...]  # for the first validation pass

    @classmethod
    def for_bundle(cls, bundle: SchemaBundle) -> Analysis:
        config = bundle.config
        model = CostModel.for_bundle(bundle)
        enabled = bool(config["ENABLE_QUERY_ANALYSIS"])
        rules: tuple[type[ASTValidationRule], ...] = ()
        if enabled:
            rules = (
                MaxDepthRule.bound(config["MAX_QUERY_DEPTH"]),
                MaxAliasesRule.bound(config["MAX_ALIASES"]),
                MaxRootFieldsRule.bound(config["MAX_ROOT_FIELDS"]),
                MaxCostRule.bound(config["MAX_QUERY_COST"], model=model),
            )
        return cls(
            enabled=enabled,
            max_document_bytes=config["MAX_DOCUMENT_BYTES"],
            max_tokens=config["MAX_TOKENS"],
            max_aliases=config["MAX_ALIASES"],
            expose_cost=bool(config["EXPOSE_QUERY_COST"]),
            cost_model=model,
            rules=rules,
        )

    def check_source(self, query: str) -> list[GraphQLError]:
        """Errors for a text too large to parse: call before parsing a text not seen before."""
        too_large = check_size(query, self.max_document_bytes)
        if too_large is not None:
            return [too_large]
        if not self.enabled:
            return []
        return check_tokens(query, self.max_tokens, self.max_aliases)

    def cost(
        self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
    ) -> int | None:
        """The cost MaxCostRule computed for `operation`; None if it cannot be measured."""
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        try:
            return operation_cost(schema, self.cost_model, fragments, operation)
        except (TooDeep, RecursionError):
            return None


def first_pass(
    schema: GraphQLSchema, document: DocumentNode, rules: Sequence[type[ASTValidationRule]]
) -> tuple[GraphQLError, ...]:
    """Run the cheap rules on their own, so a document they refuse never meets the costly ones."""
    if not rules:
        return ()
    return tuple(validate(schema, document, rules, max_errors=FIRST_PASS_MAX_ERRORS))
