"""The selection set of a field as a small tree: fragments inlined, directives applied,
arguments coerced, same-key fields merged.

This is the only GraphQL-aware input of the planner; the planner itself speaks Django.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_directive_values


@dataclass(frozen=True)
class Selection:
    name: str  # schema field name ("__typename" included)
    key: str  # response key (alias or name)
    arguments: dict[str, Any]
    children: tuple[Selection, ...]
    nodes: tuple[FieldNode, ...] = ()  # where it appears in the document (error locations)

    def child(self, name: str) -> tuple[Selection, ...]:
        return tuple(c for c in self.children if c.name == name)


def _included(node: Any, variables: dict[str, Any]) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include and include.get("if") is False)


def _gather(
    parent: GraphQLObjectType,
    selection_sets: Iterable[SelectionSetNode],
    fragments: dict[str, Any],
    variables: dict[str, Any],
    grouped: dict[str, list[FieldNode]],
    visited: set[str],
) -> None:
    """`visited`: the fragments spread so far anywhere in this collection, skipped when spread
    again (even in a sibling branch or another node of the same field), as graphql-core's
    `collect_fields` does; the error locations of a field are its nodes, so a fragment gathered
    twice would list each of its locations twice."""
    for selection_set in selection_sets:
        for node in selection_set.selections:
            if not _included(node, variables):
                continue
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                grouped.setdefault(key, []).append(node)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                if condition is None or condition.name.value == parent.name:
                    _gather(parent, [node.selection_set], fragments, variables, grouped, visited)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = fragments.get(name)
                if fragment is None or fragment.type_condition.name.value != parent.name:
                    continue
                _gather(parent, [fragment.selection_set], fragments, variables, grouped, visited)


def collect(
    parent: GraphQLObjectType,
    selection_sets: Iterable[SelectionSetNode],
    fragments: dict[str, Any],
    variables: dict[str, Any],
) -> tuple[Selection, ...]:
    grouped: dict[str, list[FieldNode]] = {}
    _gather(parent, selection_sets, fragments, variables, grouped, set())
    result = []
    for key, nodes in grouped.items():
        name = nodes[0].name.value
        if name.startswith("__"):  # __typename, __schema, __type: no arguments we plan with
            result.append(Selection(name, key, {}, (), tuple(nodes)))
            continue
        field_def = parent.fields[name]
        # Most fields take no arguments: skip the coercion machinery for them.
        arguments = get_argument_values(field_def, nodes[0], variables) if field_def.args else {}
        child_type = get_named_type(field_def.type)
        children: tuple[Selection, ...] = ()
        if isinstance(child_type, GraphQLObjectType):
            sets = [n.selection_set for n in nodes if n.selection_set is not None]
            children = collect(child_type, sets, fragments, variables)
        result.append(Selection(name, key, arguments, children, tuple(nodes)))
    return tuple(result)


def field_selection(info: Any, arguments: dict[str, Any]) -> Selection:
    """The selection of the field being resolved, with its already coerced `arguments`."""
    child_type = get_named_type(info.return_type)
    children: tuple[Selection, ...] = ()
    if isinstance(child_type, GraphQLObjectType):
        sets = [n.selection_set for n in info.field_nodes if n.selection_set is not None]
        children = collect(child_type, sets, info.fragments, info.variable_values)
    return Selection(info.field_name, info.path.key, arguments, children, tuple(info.field_nodes))
