"""The benchmark's documents answered by graphene-django, as a careful team would write them.

A peer for the benchmarks (see ``benchmarks/peers/__init__.py``): the same models, data and
documents as our generated API, served by a conventional hand-written graphene-django 3 schema
with graphene-django-optimizer, so that our figures can be set beside what people deploy today
rather than beside a straw man. It is written as a team that checks its SQL would write it:

* explicit ``DjangoObjectType`` classes exposing only what the public read API needs, with
  graphene-django's default conversions (choice fields as enums, graphene's ``Decimal`` and
  ``DateTime`` scalars), so the responses match the hand-written views without custom scalars;
* ``gql_optimizer.query`` on every root resolver: joins for to-one relations, and only the
  selected columns. graphene-django 3 wraps the resolver of a choice field, which hides its
  column from the optimizer (it would then load every column), so those fields name their
  column with ``@gql_optimizer.resolver_hints(model_field=...)``;
* to-many lists that need an order or a per-parent limit declare their own ``Prefetch`` in a
  resolver hint (the optimizer's automatic prefetch has neither): the limit is done in SQL by
  Django's sliced ``Prefetch``, the comment count by an annotation in it, and the optimizer
  still picks the nested joins and columns;
* the mutation validates with ``full_clean`` and saves in one transaction, reporting validation
  errors per field in the payload.

There are no permission checks: the benchmark compares a public read API.
"""

from __future__ import annotations

from math import ceil
from typing import Any

import graphene
import graphene_django_optimizer as gql_optimizer
from blog.models import Author, Post, Tag
from clinic.models import Appointment, Clinic, Doctor, Drug, Patient, Prescription
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from graphene_django import DjangoObjectType
from graphene_django.views import GraphQLView


def optimized_prefetch(queryset: QuerySet, info: Any, parent_field: str) -> QuerySet:
    """The optimizer's joins and columns for a hand-written ``Prefetch`` queryset.

    ``info`` is the one the optimizer passes to a resolver hint. The optimizer restricts the
    columns to the selection, which would defer the foreign key Django needs to attach each row
    to its parent (one query per row), so that key is added back.
    """
    queryset = gql_optimizer.query(queryset, info)
    columns, deferred = queryset.query.deferred_loading
    if columns and not deferred:
        queryset = queryset.only(*columns, parent_field)
    return queryset


# --- blog --------------------------------------------------------------------------------------


class AuthorType(DjangoObjectType):
    posts = graphene.List(graphene.NonNull(lambda: PostType), required=True, limit=graphene.Int())

    class Meta:
        model = Author
        fields = ("id", "name")

    @staticmethod
    def _posts_attr(limit: int | None) -> str:
        return f"first_posts_{limit}" if limit is not None else "all_posts"

    @staticmethod
    def _first_posts(queryset: QuerySet, limit: int | None) -> QuerySet:
        """Posts by primary key with their comment count, at most ``limit`` per author."""
        queryset = queryset.annotate(comments_count=Count("comments")).order_by("pk")
        return queryset[:limit] if limit is not None else queryset

    @staticmethod
    @gql_optimizer.resolver_hints(
        prefetch_related=lambda info, limit=None: Prefetch(
            "posts",
            queryset=AuthorType._first_posts(
                optimized_prefetch(Post.objects.all(), info, "author"), limit
            ),
            to_attr=AuthorType._posts_attr(limit),
        )
    )
    def resolve_posts(root: Author, info: Any, limit: int | None = None) -> Any:
        prefetched = getattr(root, AuthorType._posts_attr(limit), None)
        if prefetched is not None:
            return prefetched
        # Not prefetched (a second alias of the field, say): one query for this author.
        return AuthorType._first_posts(root.posts.all(), limit)


class PostType(DjangoObjectType):
    comments_count = graphene.Int(required=True)

    class Meta:
        model = Post
        fields = ("id", "title", "status", "views", "price", "published_at", "author")

    @staticmethod
    @gql_optimizer.resolver_hints(model_field="status")
    def resolve_status(root: Post, info: Any) -> str:
        return root.status

    @staticmethod
    @gql_optimizer.resolver_hints(only=["id"])
    def resolve_comments_count(root: Post, info: Any) -> int:
        count = getattr(root, "comments_count", None)
        return root.comments.count() if count is None else count


class TagType(DjangoObjectType):
    class Meta:
        model = Tag
        fields = ("id", "name")


class PageInfo(graphene.ObjectType):
    total_count = graphene.Int(required=True)
    page = graphene.Int(required=True)
    page_size = graphene.Int(required=True)
    total_pages = graphene.Int(required=True)
    has_next_page = graphene.Boolean(required=True)
    has_previous_page = graphene.Boolean(required=True)


class PostPage(graphene.ObjectType):
    """One page of posts by primary key; the page's bounds are the parent value."""

    items = graphene.List(graphene.NonNull(PostType), required=True)
    page_info = graphene.Field(PageInfo, required=True)

    @staticmethod
    def resolve_items(root: dict[str, int], info: Any) -> Any:
        start = (root["page"] - 1) * root["page_size"]
        queryset = gql_optimizer.query(Post.objects.order_by("pk"), info)
        return queryset[start : start + root["page_size"]]

    @staticmethod
    def resolve_page_info(root: dict[str, int], info: Any) -> dict[str, Any]:
        page, size = root["page"], root["page_size"]
        total = Post.objects.count()
        pages = ceil(total / size)
        return {
            "total_count": total,
            "page": page,
            "page_size": size,
            "total_pages": pages,
            "has_next_page": page < pages,
            "has_previous_page": page > 1 and pages > 0,
        }


# --- clinic ------------------------------------------------------------------------------------


class ClinicType(DjangoObjectType):
    class Meta:
        model = Clinic
        fields = ("id", "name")


class PatientType(DjangoObjectType):
    class Meta:
        model = Patient
        fields = ("id", "first_name", "last_name")


class DoctorType(DjangoObjectType):
    class Meta:
        model = Doctor
        fields = ("id", "first_name", "last_name", "clinic")


class DrugType(DjangoObjectType):
    class Meta:
        model = Drug
        fields = ("id", "name")


class PrescriptionType(DjangoObjectType):
    class Meta:
        model = Prescription
        fields = ("id", "dosage", "quantity", "drug")


class AppointmentType(DjangoObjectType):
    prescriptions = graphene.List(graphene.NonNull(PrescriptionType), required=True)

    class Meta:
        model = Appointment
        fields = ("id", "starts_at", "fee", "status", "patient", "doctor")

    @staticmethod
    @gql_optimizer.resolver_hints(model_field="status")
    def resolve_status(root: Appointment, info: Any) -> str:
        return root.status

    @staticmethod
    @gql_optimizer.resolver_hints(
        prefetch_related=lambda info: Prefetch(
            "prescriptions",
            queryset=optimized_prefetch(Prescription.objects.order_by("pk"), info, "appointment"),
        )
    )
    def resolve_prescriptions(root: Appointment, info: Any) -> Any:
        return root.prescriptions.all()


# --- root types --------------------------------------------------------------------------------


class Query(graphene.ObjectType):
    posts = graphene.List(graphene.NonNull(PostType), required=True, limit=graphene.Int())
    authors = graphene.List(graphene.NonNull(AuthorType), required=True, limit=graphene.Int())
    appointment = graphene.Field(AppointmentType, id=graphene.ID(required=True))
    post_pages = graphene.Field(
        PostPage, required=True, page=graphene.Int(default_value=1), page_size=graphene.Int()
    )

    @staticmethod
    def resolve_posts(root: None, info: Any, limit: int | None = None) -> Any:
        queryset = gql_optimizer.query(Post.objects.order_by("pk"), info)
        return queryset[:limit] if limit is not None else queryset

    @staticmethod
    def resolve_authors(root: None, info: Any, limit: int | None = None) -> Any:
        queryset = gql_optimizer.query(Author.objects.order_by("pk"), info)
        return queryset[:limit] if limit is not None else queryset

    @staticmethod
    def resolve_appointment(root: None, info: Any, id: str) -> Appointment | None:
        return gql_optimizer.query(Appointment.objects.filter(pk=id), info).first()

    @staticmethod
    def resolve_post_pages(
        root: None, info: Any, page: int = 1, page_size: int | None = None
    ) -> dict[str, int]:
        return {"page": max(page, 1), "page_size": max(page_size or 20, 1)}


# --- mutations ---------------------------------------------------------------------------------


class FieldError(graphene.ObjectType):
    field = graphene.String(required=True)
    messages = graphene.List(graphene.NonNull(graphene.String), required=True)
    code = graphene.String(required=True)


class CreateTagInput(graphene.InputObjectType):
    name = graphene.String(required=True)


class CreateTagPayload(graphene.ObjectType):
    ok = graphene.Boolean(required=True)
    errors = graphene.List(graphene.NonNull(graphene.String), required=True)
    field_errors = graphene.List(graphene.NonNull(FieldError), required=True)
    object = graphene.Field(TagType)


class CreateTag(graphene.Mutation):
    class Arguments:
        input = CreateTagInput(required=True)

    Output = CreateTagPayload

    @staticmethod
    def mutate(root: None, info: Any, input: CreateTagInput) -> CreateTagPayload:
        tag = Tag(name=input.name)
        try:
            with transaction.atomic():
                tag.full_clean()
                tag.save(force_insert=True)
        except ValidationError as error:
            field_errors = [
                FieldError(
                    field=field,
                    messages=[message for e in errors for message in e.messages],
                    code=errors[0].code or "invalid",
                )
                for field, errors in error.error_dict.items()
            ]
            return CreateTagPayload(ok=False, errors=[], field_errors=field_errors, object=None)
        return CreateTagPayload(ok=True, errors=[], field_errors=[], object=tag)


class Mutation(graphene.ObjectType):
    create_tag = CreateTag.Field(required=True)


schema = graphene.Schema(query=Query, mutation=Mutation, auto_camelcase=False)

view = GraphQLView.as_view(schema=schema, graphiql=False)
