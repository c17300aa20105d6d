"""MAX_QUERY_COST: an estimate of the rows and work one operation may cause, before running it.

Depth alone does not bound work: `posts(limit: 100) { comments(limit: 100) { ... } }` is shallow
and may load 10,000 rows. The cost of an operation is the sum of its fields' costs, where

- a field costs its weight: 1, or FIELD_COSTS["Type.field"], or 2 for a `<relation>_count` field
  (a counting subquery, not a loaded column);
- a list field adds `rows * cost of its selection`, rows being its `limit` (or `page_size`)
  argument, else its item model's DEFAULT_PAGE_SIZE (the schema's for lists of other types);
- a page field (`post_pages`) passes its `page_size` on to the list inside it (`items`).

A size given as a variable counts as the item model's MAX_PAGE_SIZE: validation runs once per
document text (its result is cached) and cannot see variables, and no larger value can run since
bigger sizes are refused, not clamped. A literal above MAX_PAGE_SIZE likewise counts as
MAX_PAGE_SIZE, so the client gets the precise BAD_USER_INPUT for it rather than a vague cost error.
The estimate is an upper bound on rows, never the number actually loaded.

Introspection fields cost their weight and are not descended (see `depth.py`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from graphql import (
    SKIP,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from django_graphql_auto.execution.limits.base import (
    MAX_NESTING,
    LimitRule,
    TooDeep,
    limit_error,
    number,
)

if TYPE_CHECKING:
    from django_graphql_auto.schema.builder import SchemaBundle

#: A `<relation>_count` field runs a counting subquery per parent row set.
COUNT_WEIGHT = 2

#: Costs saturate here (JavaScript's largest safe integer): a fragment bomb's cost would otherwise
#: be a number too large for JSON clients, and slow to compute with.
CEILING = 2**53 - 1

GetFragment = Callable[[str], FragmentDefinitionNode | None]

_FIELD_KEY = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*")


def field_costs_problem(costs: Mapping[Any, Any]) -> str | None:
    """The settings check of FIELD_COSTS: "Type.field" keys (GraphQL names), int weights ≥ 0."""
    for key, weight in costs.items():
        if not isinstance(key, str) or not _FIELD_KEY.fullmatch(key):
            return f'{key!r} is not a "Type.field" name'
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            return f"the weight of {key!r} must be an int of at least 0, not {weight!r}"
    return None


@dataclass(frozen=True)
class PageSizes:
    default: int
    maximum: int


@dataclass(frozen=True)
class CostModel:
    """What the cost of a field depends on, read once per schema from its settings."""

    weights: Mapping[str, int]  # "Type.field" -> weight; other fields weigh 1
    size_arguments: frozenset[str]  # the `limit` and `page_size` argument names
    sizes: Mapping[str, PageSizes]  # item type name (model or page type) -> its model's sizes
    fallback: PageSizes  # the schema's sizes, for lists of any other type

    @classmethod
    def for_bundle(cls, bundle: SchemaBundle) -> CostModel:
        config = bundle.config
        weights: dict[str, int] = {}
        sizes: dict[str, PageSizes] = {}
        for ms in bundle.models.values():
            model_sizes = PageSizes(ms.config["DEFAULT_PAGE_SIZE"], ms.config["MAX_PAGE_SIZE"])
            sizes[ms.type_name] = model_sizes
            if ms.page_type is not None:
                sizes[ms.page_type.name] = model_sizes
            for count_name in ms.counts:
                weights[f"{ms.type_name}.{count_name}"] = COUNT_WEIGHT
        weights.update(config["FIELD_COSTS"])
        _check_field_names(bundle, config["FIELD_COSTS"])
        return cls(
            weights=weights,
            size_arguments=frozenset({bundle.case("limit"), bundle.case("page_size")}),
            sizes=sizes,
            fallback=PageSizes(config["DEFAULT_PAGE_SIZE"], config["MAX_PAGE_SIZE"]),
        )

    def weight(self, parent: GraphQLNamedType | None, field_name: str) -> int:
        if parent is None:
            return 1
        return self.weights.get(f"{parent.name}.{field_name}", 1)


def _check_field_names(bundle: SchemaBundle, costs: Mapping[str, int]) -> None:
    """A misspelt field would silently keep weight 1: refuse it, as settings errors are refused.

    A type this schema does not have is skipped: a global FIELD_COSTS may name the types of
    another schema.
    """
    for key in costs:
        type_name, field_name = key.split(".")
        named = bundle.schema.get_type(type_name)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        if field_name not in named.fields:
            close = difflib.get_close_matches(field_name, list(named.fields), n=1)
            hint = f" Did you mean {f'{type_name}.{close[0]}'!r}?" if close else ""
            raise ImproperlyConfigured(
                f"FIELD_COSTS[{key!r}]: type {type_name} of schema {bundle.name!r} has no field "
                f"{field_name!r}.{hint}"
            )


class CostCalculator:
    """Costs the operations of one document; a fragment's cost is computed once per context.

    The context of a fragment is the page size a page field hands down to it (None elsewhere),
    so a document spreading fragments into fragments is costed in time proportional to its
    length, however large its expansion.
    """

    def __init__(self, schema: GraphQLSchema, model: CostModel, get_fragment: GetFragment):
        self._schema = schema
        self._model = model
        self._get_fragment = get_fragment
        self._fragments: dict[tuple[str, int | None], int] = {}
        self._measuring: set[tuple[str, int | None]] = set()

    def operation_cost(self, operation: OperationDefinitionNode) -> int:
        """Raises TooDeep when the selections nest deeper than MAX_NESTING."""
        root = {
            "query": self._schema.query_type,
            "mutation": self._schema.mutation_type,
            "subscription": self._schema.subscription_type,
        }[operation.operation.value]
        return self._selections(operation.selection_set, root, None, 0)

    def _selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        page_size: int | None,
        nesting: int,
    ) -> int:
        if nesting > MAX_NESTING:
            raise TooDeep
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, page_size, nesting)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._schema.get_type(condition.name.value) if condition else parent
                total += self._selections(selection.selection_set, inner, page_size, nesting + 1)
            else:
                total += self._fragment(selection.name.value, page_size, nesting + 1)
        return min(total, CEILING)

    def _fragment(self, name: str, page_size: int | None, nesting: int) -> int:
        key = (name, page_size)
        known = self._fragments.get(key)
        if known is not None:
            return known
        fragment = self._get_fragment(name)
        if fragment is None or key in self._measuring:
            return 0  # unknown fragment or a cycle: other rules report both
        self._measuring.add(key)
        try:
            inner = self._schema.get_type(fragment.type_condition.name.value)
            cost = self._selections(fragment.selection_set, inner, page_size, nesting)
        finally:
            self._measuring.discard(key)
        self._fragments[key] = cost
        return cost

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType | None, page_size: int | None, nesting: int
    ) -> int:
        name = node.name.value
        weight = self._model.weight(parent, name)
        if node.selection_set is None or name.startswith("__"):
            return weight
        definition = (
            parent.fields.get(name)
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )
        if definition is None:  # an unknown field: FieldsOnCorrectTypeRule reports it
            return weight + self._selections(node.selection_set, None, None, nesting + 1)
        item_type = get_named_type(definition.type)
        size = self._size(node, definition, self._sizes(item_type))
        children = node.selection_set
        if is_list_type(get_nullable_type(definition.type)):
            if size is None:
                size = page_size if page_size is not None else self._sizes(item_type).default
            rows = size * self._selections(children, item_type, None, nesting + 1)
            return min(weight + rows, CEILING)
        # Not a list: a page field hands its size to the list inside it.
        return min(weight + self._selections(children, item_type, size, nesting + 1), CEILING)

    def _sizes(self, item_type: GraphQLNamedType) -> PageSizes:
        return self._model.sizes.get(item_type.name, self._model.fallback)

    def _size(self, node: FieldNode, definition: GraphQLField, sizes: PageSizes) -> int | None:
        """The rows a `limit`/`page_size` argument asks for; None when the field takes neither."""
        names = self._model.size_arguments.intersection(definition.args)
        if not names:
            return None
        for argument in node.arguments or ():
            if argument.name.value in names:
                value = argument.value
                if isinstance(value, IntValueNode):
                    return min(max(int(value.value), 0), sizes.maximum)
                if isinstance(value, VariableNode):
                    return sizes.maximum
        return sizes.default


class MaxCostRule(LimitRule):
    """Refuses an operation whose estimated cost is above `maximum`."""

    setting = "MAX_QUERY_COST"
    model: ClassVar[CostModel]

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._calculator = CostCalculator(context.schema, self.model, context.get_fragment)

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
        try:
            cost = self._calculator.operation_cost(node)
        except (TooDeep, RecursionError):
            self.report_error(
                limit_error(
                    f"The operation nests more than {MAX_NESTING} levels deep; its cost cannot "
                    f"be measured ({self.setting}).",
                    self.setting,
                    self.maximum,
                    self.maximum + 1,
                    node,
                )
            )
            return SKIP
        if cost > self.maximum:
            measured = f"over {number(CEILING - 1)}" if cost >= CEILING else number(cost)
            self.report_error(
                limit_error(
                    f"Query cost {measured} exceeds the maximum of {number(self.maximum)} "
                    f"({self.setting}).",
                    self.setting,
                    self.maximum,
                    cost,
                    node,
                )
            )
        return SKIP

    def enter_fragment_definition(self, _node: FragmentDefinitionNode, *_args: Any) -> Any:
        return SKIP


def operation_cost(
    schema: GraphQLSchema,
    model: CostModel,
    fragments: Mapping[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
) -> int:
    """The cost MaxCostRule checked, for `extensions.cost`. Raises TooDeep like the rule."""
    return CostCalculator(schema, model, fragments.get).operation_cost(operation)
