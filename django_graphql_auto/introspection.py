"""What a Django model looks like, as plain frozen dataclasses.

Everything downstream (schema, planner, mutations) reads these instead of poking at `_meta`,
so the Django-version-specific details live in one place.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from django.db import models
from django.db.models.fields.related import ForeignObjectRel

from django_graphql_auto.decorators import FIELD_MARKER, MUTATION_MARKER

RelationKind = Literal[
    "foreign_key",
    "one_to_one",
    "many_to_many",
    "reverse_foreign_key",
    "reverse_one_to_one",
    "reverse_many_to_many",
]


@dataclass(frozen=True)
class FieldInfo:
    """One concrete, non-relational model field."""

    name: str
    attname: str
    internal_type: str  # Field.get_internal_type(): "CharField", "DecimalField", ...
    null: bool
    blank: bool
    has_default: bool
    auto_now: bool
    auto_now_add: bool
    primary_key: bool
    unique: bool
    editable: bool
    choices: tuple[tuple[Any, str], ...] | None
    help_text: str
    verbose_name: str
    max_length: int | None
    max_digits: int | None
    decimal_places: int | None
    inherited_from: str | None  # label of the multi-table parent that defines the column
    field: models.Field = field(compare=False, repr=False)

    @property
    def default(self) -> Any:
        return self.field.get_default() if self.has_default else None


@dataclass(frozen=True)
class RelationshipInfo:
    """One side of a FK / O2O / M2M, forward or reverse."""

    name: str  # attribute on the instance: "author", "comments", "tags"
    kind: RelationKind
    related_model: type[models.Model]
    many: bool  # a to-many side
    forward: bool  # declared on this model
    null: bool  # a to-one side that may be empty
    blank: bool
    has_default: bool
    query_name: str  # lookup name from this model in filters: "comments__body"
    remote_name: str  # lookup name from the related model back to this one
    attname: str | None  # forward FK column attribute ("author_id")
    target_field: str | None  # forward FK: field on the related model it points at
    through: type[models.Model] | None  # explicit M2M through model
    parent_link: bool  # the O2O that implements multi-table inheritance
    help_text: str
    field: Any = field(compare=False, repr=False)

    @property
    def editable_through(self) -> bool:
        """M2M sets can be written only when Django creates the through rows itself."""
        return self.through is None

    @property
    def parent_key(self) -> str:
        """The field of the model holding this relation that the related rows' `remote_name`
        lookup is compared with: "pk", unless the foreign key behind the relation points at
        another unique column (`to_field`; `City.country` holds `Country.iso`). A correlated
        subquery or a per-parent read keyed on the primary key would then compare an iso code
        with an id: no row matches (SQLite), or the types clash (PostgreSQL)."""
        if self.kind in ("reverse_foreign_key", "reverse_one_to_one"):
            target = self.field.field.target_field
        elif self.kind == "many_to_many":
            target = _through_link(self.field, self.field.m2m_field_name())
        elif self.kind == "reverse_many_to_many":
            m2m = self.field.field
            target = _through_link(m2m, m2m.m2m_reverse_field_name())
        else:  # a forward to-one: its target's rows lead back here by this model's own key
            return "pk"
        return "pk" if target.primary_key else target.attname


def _through_link(m2m: Any, name: str) -> Any:
    """The field a many-to-many's join-table foreign key `name` points at."""
    return m2m.remote_field.through._meta.get_field(name).target_field


@dataclass(frozen=True)
class MethodInfo:
    """A model method explicitly marked for GraphQL with `@graphql_mutation`."""

    name: str
    parameters: tuple[tuple[str, Any, Any], ...]  # (name, annotation, default or inspect.empty)
    return_annotation: Any
    doc: str
    options: dict[str, Any] = field(compare=False)


@dataclass(frozen=True)
class ComputedInfo:
    """A property or argument-less method marked with `@graphql_field`."""

    name: str  # attribute on the model
    graphql_name: str  # before NAME_CASE
    return_annotation: Any
    requires: tuple[str, ...]
    doc: str
    is_property: bool


@dataclass(frozen=True)
class InheritanceInfo:
    is_proxy: bool
    concrete_model: type[models.Model]
    parents: tuple[type[models.Model], ...]  # multi-table parents, nearest first
    abstract_bases: tuple[type[models.Model], ...]


@dataclass(frozen=True)
class ModelInfo:
    model: type[models.Model]
    label: str
    app_label: str
    object_name: str
    pk_name: str
    pk_attname: str
    fields: dict[str, FieldInfo]
    relationships: dict[str, RelationshipInfo]
    methods: dict[str, MethodInfo]
    inheritance: InheritanceInfo
    description: str
    default_ordering: tuple[str, ...]
    computed: dict[str, ComputedInfo] = field(default_factory=dict)


def _choices(field: models.Field) -> tuple[tuple[Any, str], ...] | None:
    if not field.choices:
        return None
    flat = []
    for value, label in field.flatchoices:
        if value is None or value == "":
            continue
        flat.append((value, str(label)))
    return tuple(flat) or None


def _field_info(model: type[models.Model], f: models.Field) -> FieldInfo:
    parent = f.model._meta.concrete_model if f.model is not model else None
    inherited = (
        parent._meta.label
        if parent is not None and parent is not model._meta.concrete_model
        else None
    )
    return FieldInfo(
        name=f.name,
        attname=f.attname,
        internal_type=f.get_internal_type(),
        null=f.null,
        blank=f.blank,
        has_default=f.has_default(),
        auto_now=bool(getattr(f, "auto_now", False)),
        auto_now_add=bool(getattr(f, "auto_now_add", False)),
        primary_key=f.primary_key,
        unique=f.unique,
        editable=f.editable,
        choices=_choices(f),
        help_text=str(f.help_text or ""),
        verbose_name=str(f.verbose_name or ""),
        max_length=f.max_length,
        max_digits=getattr(f, "max_digits", None),
        decimal_places=getattr(f, "decimal_places", None),
        inherited_from=inherited,
        field=f,
    )


def _forward_relation(f: models.Field) -> RelationshipInfo:
    if f.many_to_many:
        kind: RelationKind = "many_to_many"
    elif f.one_to_one:
        kind = "one_to_one"
    else:
        kind = "foreign_key"
    through = None
    if f.many_to_many:
        through_model = f.remote_field.through
        if not through_model._meta.auto_created:
            through = through_model
    return RelationshipInfo(
        name=f.name,
        kind=kind,
        related_model=f.related_model,
        many=f.many_to_many,
        forward=True,
        null=f.null if not f.many_to_many else True,
        blank=f.blank,
        has_default=f.has_default(),
        query_name=f.name,
        remote_name=f.related_query_name(),
        attname=None if f.many_to_many else f.attname,
        target_field=None if f.many_to_many else f.target_field.name,
        through=through,
        parent_link=bool(getattr(f.remote_field, "parent_link", False)),
        help_text=str(f.help_text or ""),
        field=f,
    )


def _reverse_relation(rel: ForeignObjectRel) -> RelationshipInfo:
    if rel.many_to_many:
        kind: RelationKind = "reverse_many_to_many"
    elif rel.one_to_one:
        kind = "reverse_one_to_one"
    else:
        kind = "reverse_foreign_key"
    through = None
    if rel.many_to_many:
        through_model = rel.through
        if not through_model._meta.auto_created:
            through = through_model
    return RelationshipInfo(
        name=rel.get_accessor_name(),
        kind=kind,
        related_model=rel.related_model,
        many=not rel.one_to_one,
        forward=False,
        null=True,
        blank=True,
        has_default=False,
        query_name=rel.field.related_query_name(),
        remote_name=rel.field.name,
        attname=None,
        target_field=None,
        through=through,
        parent_link=bool(getattr(rel, "parent_link", False)),
        help_text="",
        field=rel,
    )


def _methods(model: type[models.Model]) -> dict[str, MethodInfo]:
    found: dict[str, MethodInfo] = {}
    for name, member in inspect.getmembers(model, inspect.isfunction):
        options = getattr(member, MUTATION_MARKER, None)
        if options is None:
            continue
        try:
            hints = typing.get_type_hints(member)
        except Exception:  # unresolvable forward refs: fall back to raw annotations
            hints = dict(getattr(member, "__annotations__", {}))
        signature = inspect.signature(member)
        params = tuple(
            (p.name, hints.get(p.name, p.annotation), p.default)
            for p in list(signature.parameters.values())[1:]  # skip self
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )
        found[name] = MethodInfo(
            name=name,
            parameters=params,
            return_annotation=hints.get("return", signature.return_annotation),
            doc=inspect.getdoc(member) or "",
            options=dict(options),
        )
    return found


def _computed(model: type[models.Model]) -> dict[str, ComputedInfo]:
    found: dict[str, ComputedInfo] = {}
    for name, member in inspect.getmembers(model):
        is_property = isinstance(member, property)
        function = member.fget if is_property else member
        options = getattr(function, FIELD_MARKER, None)
        if options is None or not callable(function):
            continue
        try:
            hints = typing.get_type_hints(function)
        except Exception:
            hints = dict(getattr(function, "__annotations__", {}))
        found[name] = ComputedInfo(
            name=name,
            graphql_name=options["name"] if options["name"] != function.__name__ else name,
            return_annotation=hints.get("return", inspect.Parameter.empty),
            requires=options["requires"],
            doc=options["description"] or inspect.getdoc(function) or "",
            is_property=is_property,
        )
    return found


def _description(model: type[models.Model]) -> str:
    if model.__module__.startswith("django."):
        return ""  # Django's own docstrings talk about forms and passwords, not this API
    doc = inspect.getdoc(model) or ""
    # Django generates "Post(id, title, ...)" for models without a docstring: not a description.
    if doc.startswith(f"{model.__name__}(") and doc.endswith(")"):
        return ""
    return doc


def _rel_hidden(rel: ForeignObjectRel) -> bool:
    """`related_name="+"`; Django 5.1 turned `is_hidden()` into the `hidden` property."""
    hidden = getattr(rel, "hidden", None)
    return bool(hidden) if hidden is not None else rel.is_hidden()


@cache
def inspect_model(model: type[models.Model]) -> ModelInfo:
    """Cached per model class: models do not change while a process runs."""
    opts = model._meta
    fields: dict[str, FieldInfo] = {}
    relations: dict[str, RelationshipInfo] = {}
    for f in opts.get_fields(include_hidden=False):
        if isinstance(f, ForeignObjectRel):
            if _rel_hidden(f) or f.related_model is None:
                continue
            info = _reverse_relation(f)
            relations[info.name] = info
        elif getattr(f, "is_relation", False):
            if f.related_model is None or (not f.concrete and not f.many_to_many):
                continue  # GenericForeignKey and friends
            info = _forward_relation(f)
            relations[info.name] = info
        elif getattr(f, "concrete", False):
            fields[f.name] = _field_info(model, f)
    parents = tuple(p for p in opts.get_parent_list() if not p._meta.proxy)
    abstract = tuple(
        base
        for base in inspect.getmro(model)[1:]
        if isinstance(base, type)
        and issubclass(base, models.Model)
        and getattr(base, "_meta", None) is not None
        and base._meta.abstract
    )
    return ModelInfo(
        model=model,
        label=opts.label,
        app_label=opts.app_label,
        object_name=opts.object_name,
        pk_name=opts.pk.name,
        pk_attname=opts.pk.attname,
        fields=fields,
        relationships=relations,
        methods=_methods(model),
        inheritance=InheritanceInfo(
            is_proxy=opts.proxy,
            concrete_model=opts.concrete_model,
            parents=parents,
            abstract_bases=abstract,
        ),
        description=_description(model),
        default_ordering=tuple(o for o in (opts.ordering or ()) if isinstance(o, str)),
        computed=_computed(model),
    )
