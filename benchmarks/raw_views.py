"""Hand-written Django views that give the same answers as the benchmark's GraphQL documents.

These are the yardstick (`raw` in the tables): what a careful Django developer writes for one
fixed response shape, with no GraphQL at all. Each view

* runs the fewest SQL statements the shape allows (joins for to-one, one query per to-many level
  with the per-parent limit done in SQL by a window function, counts in the same query);
* reads only the columns it returns, as tuples/dicts (``values_list``/``values``), so no model
  instances are built;
* formats values exactly as the GraphQL API does (ids as strings, enum values upper-cased,
  decimals as fixed-point strings, date-times in UTC ISO 8601) and encodes with orjson.

`benchmarks/queries.py` asserts, before timing, that each view's decoded ``data`` equals the
GraphQL response's, so the two sides always do the same work.
"""

from __future__ import annotations

from math import ceil
from typing import Any

import orjson
from blog.models import Author, Comment, Post, Tag
from clinic.models import Appointment, Prescription
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


def _json(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps({"data": data}), status=status, content_type="application/json"
    )


def _int(request: HttpRequest, name: str, default: int) -> int:
    return int(request.GET.get(name, default))


@require_GET
def q1_posts(request: HttpRequest) -> HttpResponse:
    """``posts(limit: 100) { id title status views price published_at }``"""
    limit = _int(request, "limit", 100)
    rows = Post.objects.order_by("pk").values_list(
        "id", "title", "status", "views", "price", "published_at"
    )[:limit]
    posts = [
        {
            "id": str(pk),
            "title": title,
            "status": status.upper(),
            "views": views,
            "price": format(price, "f"),
            "published_at": published_at,
        }
        for pk, title, status, views, price, published_at in rows
    ]
    return _json({"posts": posts})


@require_GET
def q2_posts_with_author(request: HttpRequest) -> HttpResponse:
    """``posts(limit: 100) { id title author { id name } }`` (one INNER JOIN)."""
    limit = _int(request, "limit", 100)
    rows = Post.objects.order_by("pk").values_list("id", "title", "author_id", "author__name")[
        :limit
    ]
    posts = [
        {"id": str(pk), "title": title, "author": {"id": str(author_id), "name": name}}
        for pk, title, author_id, name in rows
    ]
    return _json({"posts": posts})


@require_GET
def q3_authors_with_posts(request: HttpRequest) -> HttpResponse:
    """``authors(limit: 50) { id name posts(limit: 3) { id title comments_count } }``

    Two queries: the authors, then their first three posts each. The per-author window
    (ROW_NUMBER) picks the posts in a subquery and the comment count is computed in the outer
    query, so only the chosen posts are counted (counting inside the windowed query would count
    every post of every author before the window filter).
    """
    limit = _int(request, "limit", 50)
    per_author = _int(request, "posts", 3)
    authors = list(Author.objects.order_by("pk").values_list("id", "name")[:limit])
    posts: dict[int, list[dict[str, Any]]] = {pk: [] for pk, _ in authors}
    chosen = (
        Post.objects.filter(author_id__in=list(posts))
        .annotate(rank=Window(RowNumber(), partition_by=F("author_id"), order_by=F("pk").asc()))
        .filter(rank__lte=per_author)
        .values("pk")
    )
    comments = (
        Comment.objects.filter(post=OuterRef("pk"))
        .order_by()
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Post.objects.filter(pk__in=chosen)
        .annotate(comments_count=Coalesce(Subquery(comments, output_field=IntegerField()), 0))
        .order_by("author_id", "pk")
        .values_list("author_id", "id", "title", "comments_count")
    )
    for author_id, pk, title, comments_count in rows:
        posts[author_id].append({"id": str(pk), "title": title, "comments_count": comments_count})
    return _json(
        {"authors": [{"id": str(pk), "name": name, "posts": posts[pk]} for pk, name in authors]}
    )


@require_GET
def q4_appointment(request: HttpRequest, pk: int) -> HttpResponse:
    """``appointment(id:) { ... patient {...} doctor { ... clinic {...} } prescriptions {
    ... drug {...} } }``: one query with joins, one for the (at most 20) prescriptions."""
    row = (
        Appointment.objects.filter(pk=pk)
        .values_list(
            "id",
            "starts_at",
            "fee",
            "status",
            "patient_id",
            "patient__first_name",
            "patient__last_name",
            "doctor_id",
            "doctor__first_name",
            "doctor__last_name",
            "doctor__clinic_id",
            "doctor__clinic__name",
        )
        .first()
    )
    if row is None:
        return _json({"appointment": None})
    (
        appointment_id,
        starts_at,
        fee,
        status,
        patient_id,
        patient_first,
        patient_last,
        doctor_id,
        doctor_first,
        doctor_last,
        clinic_id,
        clinic_name,
    ) = row
    prescriptions = (
        Prescription.objects.filter(appointment_id=pk)
        .order_by("pk")
        .values_list("id", "dosage", "quantity", "drug_id", "drug__name")[:20]
    )
    return _json(
        {
            "appointment": {
                "id": str(appointment_id),
                "starts_at": starts_at,
                "fee": format(fee, "f"),
                "status": status.upper(),
                "patient": {
                    "id": str(patient_id),
                    "first_name": patient_first,
                    "last_name": patient_last,
                },
                "doctor": {
                    "id": str(doctor_id),
                    "first_name": doctor_first,
                    "last_name": doctor_last,
                    "clinic": {"id": str(clinic_id), "name": clinic_name},
                },
                "prescriptions": [
                    {
                        "id": str(p_id),
                        "dosage": dosage,
                        "quantity": quantity,
                        "drug": {"id": str(drug_id), "name": drug_name},
                    }
                    for p_id, dosage, quantity, drug_id, drug_name in prescriptions
                ],
            }
        }
    )


@require_GET
def q5_post_page(request: HttpRequest) -> HttpResponse:
    """``post_pages(page: 3, page_size: 20) { items { id title views } page_info { ... } }``"""
    page = _int(request, "page", 3)
    size = _int(request, "page_size", 20)
    start = (page - 1) * size
    rows = Post.objects.order_by("pk").values_list("id", "title", "views")[start : start + size]
    items = [{"id": str(pk), "title": title, "views": views} for pk, title, views in rows]
    total = Post.objects.count()
    pages = ceil(total / size)
    page_info = {
        "total_count": total,
        "page": page,
        "page_size": size,
        "total_pages": pages,
        "has_next_page": page < pages,
        "has_previous_page": page > 1 and pages > 0,
    }
    return _json({"post_pages": {"items": items, "page_info": page_info}})


@csrf_exempt
@require_POST
def m1_create_tag(request: HttpRequest) -> HttpResponse:
    """Create a Tag from ``{"name": ...}``: model validation (including the uniqueness check)
    and the INSERT in one transaction, answered in the mutation payload's shape."""
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return HttpResponse(status=400)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str):
        return HttpResponse(status=400)
    tag = Tag(name=name)
    try:
        with transaction.atomic():
            tag.full_clean()
            tag.save(force_insert=True)
    except ValidationError as error:
        payload = {
            "ok": False,
            "errors": [],
            "field_errors": [
                {
                    "field": field,
                    "messages": [e.message % (e.params or {}) for e in errors],
                    "code": errors[0].code or "invalid",
                }
                for field, errors in error.error_dict.items()
            ],
            "object": None,
        }
        return _json({"create_tag": payload})
    payload = {
        "ok": True,
        "errors": [],
        "field_errors": [],
        "object": {"id": str(tag.pk), "name": tag.name},
    }
    return _json({"create_tag": payload})


@require_GET
def big_list_comments(request: HttpRequest) -> HttpResponse:
    """``comments(limit: 10000) { id author_name body is_approved created_at rating }``"""
    limit = _int(request, "limit", 10_000)
    rows = Comment.objects.order_by("pk").values_list(
        "id", "author_name", "body", "is_approved", "created_at", "rating"
    )[:limit]
    comments = [
        {
            "id": str(pk),
            "author_name": author_name,
            "body": body,
            "is_approved": is_approved,
            "created_at": created_at,
            "rating": rating,
        }
        for pk, author_name, body, is_approved, created_at, rating in rows
    ]
    return _json({"comments": comments})


urlpatterns = [
    path("q1/", q1_posts),
    path("q2/", q2_posts_with_author),
    path("q3/", q3_authors_with_posts),
    path("q4/<int:pk>/", q4_appointment),
    path("q5/", q5_post_page),
    path("m1/", m1_create_tag),
    path("big-list/", big_list_comments),
]
