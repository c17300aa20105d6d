"""Tiny builders for example-project rows, so tests say only what matters to them."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any

from blog.models import Author, Category, Comment, Post, Tag
from clinic.models import Appointment, Clinic, Doctor, Drug, Patient, Prescription

_seq = itertools.count(1)

BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def author(**fields: Any) -> Author:
    n = next(_seq)
    fields.setdefault("name", f"Author {n}")
    fields.setdefault("email", f"author{n}@example.com")
    return Author.objects.create(**fields)


def category(**fields: Any) -> Category:
    n = next(_seq)
    fields.setdefault("name", f"Category {n}")
    fields.setdefault("slug", f"category-{n}")
    return Category.objects.create(**fields)


def tag(**fields: Any) -> Tag:
    fields.setdefault("name", f"tag-{next(_seq)}")
    return Tag.objects.create(**fields)


def post(**fields: Any) -> Post:
    n = next(_seq)
    tags = fields.pop("tags", ())
    fields.setdefault("title", f"Post {n}")
    fields.setdefault("slug", f"post-{n}")
    fields.setdefault("body", "Body")
    if "author" not in fields:
        fields["author"] = author()
    fields.setdefault("uuid", uuid.UUID(int=n))
    created = Post.objects.create(**fields)
    if tags:
        created.tags.set(tags)
    return created


def comment(**fields: Any) -> Comment:
    fields.setdefault("author_name", f"Reader {next(_seq)}")
    fields.setdefault("body", "Nice")
    if "post" not in fields:
        fields["post"] = post()
    return Comment.objects.create(**fields)


def clinic(**fields: Any) -> Clinic:
    n = next(_seq)
    fields.setdefault("name", f"Clinic {n}")
    fields.setdefault("opening_time", dt.time(8, 0))
    fields.setdefault("closing_time", dt.time(18, 0))
    return Clinic.objects.create(**fields)


def doctor(**fields: Any) -> Doctor:
    n = next(_seq)
    fields.setdefault("first_name", f"Doc{n}")
    fields.setdefault("last_name", "Who")
    fields.setdefault("license_number", f"LIC-{n}")
    if "clinic" not in fields:
        fields["clinic"] = clinic()
    return Doctor.objects.create(**fields)


def patient(**fields: Any) -> Patient:
    n = next(_seq)
    fields.setdefault("first_name", f"Pat{n}")
    fields.setdefault("last_name", "Ient")
    return Patient.objects.create(**fields)


def appointment(**fields: Any) -> Appointment:
    n = next(_seq)
    if "patient" not in fields:
        fields["patient"] = patient()
    if "doctor" not in fields:
        fields["doctor"] = doctor()
    fields.setdefault("starts_at", BASE_TIME + dt.timedelta(hours=n))
    fields.setdefault("fee", Decimal("50.00"))
    fields.setdefault("reference", uuid.UUID(int=10_000 + n))
    return Appointment.objects.create(**fields)


def drug(**fields: Any) -> Drug:
    n = next(_seq)
    fields.setdefault("name", f"Drug {n}")
    fields.setdefault("code", f"drug-{n}")
    fields.setdefault("unit_price", Decimal("1.50"))
    return Drug.objects.create(**fields)


def prescription(**fields: Any) -> Prescription:
    if "appointment" not in fields:
        fields["appointment"] = appointment()
    if "drug" not in fields:
        fields["drug"] = drug()
    fields.setdefault("dosage", "1 daily")
    return Prescription.objects.create(**fields)
