"""The benchmark's documents answered by strawberry-django: a peer for ``benchmarks/queries.py``.

This is what a careful team would hand-write with strawberry-django for the same public read API
(and the one mutation): typed ``strawberry_django.type`` classes exposing only the fields the
documents ask for, the library's query optimizer (``DjangoOptimizerExtension``) turning every
selection into ``only``/``select_related``/``prefetch_related``, an ``annotate=`` hint for the
comment count, and the library's own offset pagination for ``limit:``, including its
window-function pagination of prefetched (nested) lists. The schema keeps snake_case names and
the argument names of the documents, so the very same requests are sent to it and to our API and
the decoded ``data`` can be compared with the hand-written views' before anything is timed.
"""

from math import ceil
from typing import Any

import strawberry
import strawberry_django
from blog.models import Author, Post, Tag
from clinic.models import Appointment, Clinic, Doctor, Drug, Patient, Prescription
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from strawberry import auto
from strawberry.django.views import GraphQLView
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.unset import UNSET
from strawberry_django import queryset as strawberry_queryset
from strawberry_django.arguments import argument
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.optimizer import DjangoOptimizerExtension
from strawberry_django.pagination import OffsetPaginationInput

PostStatus = strawberry.enum(Post.Status, name="PostStatus")
AppointmentStatus = strawberry.enum(Appointment.Status, name="AppointmentStatus")


class LimitField(StrawberryDjangoField):
    """A list field taking ``limit: Int`` (the documents' argument) instead of the library's
    ``pagination: {offset, limit}`` input, and handing it to the library's offset pagination:
    a slice at the root, a ROW_NUMBER() window per parent when the optimizer prefetches it."""

    @property
    def arguments(self) -> list[StrawberryArgument]:
        return [*super().arguments, argument("limit", int, is_optional=True)]

    @arguments.setter
    def arguments(self, value: list[StrawberryArgument]) -> None:
        StrawberryDjangoField.arguments.fset(self, value)

    def get_queryset(
        self, queryset: QuerySet, info: Info, *, limit: int | None = None, **kwargs: Any
    ) -> QuerySet:
        pagination = OffsetPaginationInput(limit=UNSET if limit is None else limit)
        return super().get_queryset(queryset, info, pagination=pagination, **kwargs)


# --- blog ------------------------------------------------------------------------------------


@strawberry_django.type(Author, name="Author")
class AuthorType:
    id: auto
    name: auto
    posts: list["PostType"] = strawberry_django.field(field_cls=LimitField)


@strawberry_django.type(Post, name="Post")
class PostType:
    id: auto
    title: auto
    status: PostStatus
    views: auto
    price: auto
    published_at: auto
    author: AuthorType
    comments_count: int = strawberry_django.field(annotate=Count("comments"))


@strawberry_django.type(Tag, name="Tag")
class TagType:
    id: auto
    name: auto


@strawberry.type
class PageInfo:
    total_count: int
    page: int
    page_size: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool


@strawberry.type
class PostPage:
    queryset: strawberry.Private[QuerySet]
    page: strawberry.Private[int]
    page_size: strawberry.Private[int]

    @strawberry_django.field
    def items(self) -> list[PostType]:
        start = (self.page - 1) * self.page_size
        return self.queryset[start : start + self.page_size]

    @strawberry.field
    def page_info(self) -> PageInfo:
        total = self.queryset.count()
        pages = ceil(total / self.page_size)
        return PageInfo(
            total_count=total,
            page=self.page,
            page_size=self.page_size,
            total_pages=pages,
            has_next_page=self.page < pages,
            has_previous_page=self.page > 1 and pages > 0,
        )


# --- clinic ----------------------------------------------------------------------------------


@strawberry_django.type(Patient, name="Patient")
class PatientType:
    id: auto
    first_name: auto
    last_name: auto


@strawberry_django.type(Clinic, name="Clinic")
class ClinicType:
    id: auto
    name: auto


@strawberry_django.type(Doctor, name="Doctor")
class DoctorType:
    id: auto
    first_name: auto
    last_name: auto
    clinic: ClinicType


@strawberry_django.type(Drug, name="Drug")
class DrugType:
    id: auto
    name: auto


@strawberry_django.type(Prescription, name="Prescription")
class PrescriptionType:
    id: auto
    dosage: auto
    quantity: auto
    drug: DrugType


@strawberry_django.type(Appointment, name="Appointment")
class AppointmentType:
    id: auto
    starts_at: auto
    fee: auto
    status: AppointmentStatus
    patient: PatientType
    doctor: DoctorType
    prescriptions: list[PrescriptionType]


# --- root types ------------------------------------------------------------------------------


@strawberry.type
class Query:
    posts: list[PostType] = strawberry_django.field(field_cls=LimitField)
    authors: list[AuthorType] = strawberry_django.field(field_cls=LimitField)

    @strawberry_django.field
    def appointment(self, id: strawberry.ID) -> AppointmentType | None:
        # A queryset, not an instance: the field optimizes it and takes its first row.
        return Appointment.objects.filter(pk=id)

    @strawberry.field
    def post_pages(self, page: int = 1, page_size: int = 20) -> PostPage:
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size must be positive.")
        return PostPage(queryset=Post.objects.order_by("pk"), page=page, page_size=page_size)


@strawberry.input
class CreateTagInput:
    name: str


@strawberry.type
class FieldError:
    field: str
    messages: list[str]
    code: str


@strawberry.type
class CreateTagPayload:
    ok: bool
    errors: list[str]
    field_errors: list[FieldError]
    object: TagType | None


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_tag(self, input: CreateTagInput) -> CreateTagPayload:
        tag = Tag(name=input.name)
        try:
            with transaction.atomic():
                tag.full_clean()
                tag.save(force_insert=True)
        except ValidationError as error:
            messages = error.message_dict
            field_errors = [
                FieldError(field=field, messages=messages[field], code=errors[0].code or "invalid")
                for field, errors in error.error_dict.items()
            ]
            return CreateTagPayload(ok=False, errors=[], field_errors=field_errors, object=None)
        return CreateTagPayload(ok=True, errors=[], field_errors=[], object=tag)


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[DjangoOptimizerExtension()],
    config=StrawberryConfig(auto_camel_case=False),
)

_strawberry_view = GraphQLView.as_view(schema=schema, graphql_ide=None)

# strawberry-django replaces `QuerySet._clone` for the whole process when it is imported (to
# carry its optimizer's state along clones). The benchmark runs every implementation in one
# process, so that wrapper would slow down the ORM of the others too: it is put back to
# Django's own here and switched on only while this peer answers.
_STRAWBERRY_CLONE = QuerySet._clone
_DJANGO_CLONE = strawberry_queryset._original_clone
QuerySet._clone = _DJANGO_CLONE


def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    QuerySet._clone = _STRAWBERRY_CLONE
    try:
        return _strawberry_view(request, *args, **kwargs)
    finally:
        QuerySet._clone = _DJANGO_CLONE
