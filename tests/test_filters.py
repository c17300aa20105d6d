"""`filters`: every operator, `and`/`or`/`not`, relation filters, limits and refusals.

Each result is compared with the rows the Django ORM returns for the equivalent `Q` object, built
independently here, so the tests say what the API must mean, not what the compiler happens to do.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest
from blog.models import Author, Category, Comment, Post, Tag
from clinic.models import Appointment, Clinic, Patient
from django.db.models import Q
from django.test import override_settings
from graphql import GraphQLInputObjectType, GraphQLNonNull, get_named_type
from hypothesis import given, settings
from hypothesis import strategies as st

from django_graphql_auto.schema.registry import get_schema
from tests import factories as f

MODELS = {
    "posts": (Post, "PostFilter"),
    "authors": (Author, "AuthorFilter"),
    "comments": (Comment, "CommentFilter"),
    "categories": (Category, "CategoryFilter"),
    "tags": (Tag, "TagFilter"),
    "clinics": (Clinic, "ClinicFilter"),
    "patients": (Patient, "PatientFilter"),
    "appointments": (Appointment, "AppointmentFilter"),
}

# Logical constants for the reference `Q` objects: Django drops an empty `Q()` from `|` and `~`,
# so "no condition" (an empty filter object matches every row) must be an explicit condition.
ALWAYS = Q(pk__isnull=False)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def filtered_ids(graphql, root: str, value: Any) -> set[int]:
    """Ids `root(filters: value)` returns; asserts no row comes back twice."""
    type_name = MODELS[root][1]
    result = graphql(
        f"query($f: {type_name}) {{ {root}(filters: $f, limit: 100) {{ id }} }}", {"f": value}
    )
    ids = [int(row["id"]) for row in result.ok()[root]]
    assert len(ids) == len(set(ids)), f"duplicate rows: {ids}"
    return set(ids)


def orm_ids(model, q: Q) -> set[int]:
    return set(model.objects.filter(q).values_list("pk", flat=True))


def refusal(result) -> dict[str, Any]:
    """The single error of a refused request, after checking it is a BAD_USER_INPUT."""
    assert result.codes == ["BAD_USER_INPUT"], result.body
    return result.errors[0]


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    """A few rows of every filtered model with values chosen so each operator splits them."""
    alice = f.author(name="Alice Xavier", birth_date=dt.date(1990, 5, 17))
    bob = f.author(name="Bob Stone", birth_date=dt.date(1985, 12, 1))
    cleo = f.author(name="Cleo Max", birth_date=None)
    f.author(name="Dan Nopost", birth_date=dt.date(2001, 5, 2))
    news = f.category(name="News")
    tech = f.category(name="Tech", parent=news)
    django_tag, python_tag, rust_tag = (
        f.tag(name="django"),
        f.tag(name="python"),
        f.tag(name="rust"),
    )
    misc_tag = f.tag(name="misc")
    rows = [
        {
            "title": "Hello World",
            "views": 10,
            "rating": 4.5,
            "score": 2**40,
            "price": Decimal("19.99"),
            "published_at": at(2024, 3, 15, 9, 30),
            "reading_time": dt.timedelta(minutes=5),
            "metadata": {"lang": "en", "n": 1},
            "is_featured": True,
            "status": "published",
            "author": alice,
            "category": tech,
            "tags": [django_tag, python_tag],
        },
        {
            "title": "hello there",
            "views": 0,
            "rating": None,
            "score": 0,
            "price": Decimal("0.00"),
            "published_at": None,
            "reading_time": None,
            "metadata": {},
            "status": "draft",
            "author": alice,
            "tags": [misc_tag],
        },
        {
            "title": "Django Tips",
            "views": 250,
            "rating": 3.0,
            "score": -7,
            "price": Decimal("5.50"),
            "published_at": at(2023, 12, 31, 23, 0),
            "reading_time": dt.timedelta(minutes=12),
            "metadata": {"lang": "fr"},
            "status": "archived",
            "author": bob,
            "category": news,
            "tags": [django_tag],
        },
        {
            "title": "GraphQL in Depth",
            "views": 42,
            "rating": 5.0,
            "score": 2**33 + 1,
            "price": Decimal("100.00"),
            "published_at": at(2024, 7, 4, 18, 5),
            "reading_time": dt.timedelta(hours=1),
            "metadata": {"tags": ["a"]},
            "is_featured": True,
            "status": "published",
            "author": bob,
            "tags": [python_tag, rust_tag],
        },
        {
            "title": "the world of ORMs",
            "views": 7,
            "rating": 1.5,
            "score": 12,
            "price": Decimal("19.99"),
            "published_at": at(2025, 1, 6, 7, 0),
            "status": "published",
            "author": cleo,
            "category": tech,
        },
        {
            "title": "WORLD News",
            "views": 10,
            "rating": None,
            "score": 2**40,
            "price": Decimal("7.25"),
            "published_at": at(2024, 3, 2, 12, 0),
            "reading_time": dt.timedelta(minutes=45),
            "metadata": {"lang": "en"},
            "status": "draft",
            "author": cleo,
        },
        {
            "title": "50% off: a_b",
            "views": 99,
            "rating": 2.0,
            "score": 99,
            "price": Decimal("0.99"),
            "published_at": at(2022, 11, 20, 23, 59),
            "reading_time": dt.timedelta(seconds=90),
            "status": "archived",
            "author": alice,
        },
    ]
    posts = [f.post(**row) for row in rows]
    p1, _, p3, p4 = posts[:4]
    for post, name, approved, rating, created in (
        (p1, "Zed", True, 5, at(2025, 2, 1, 10)),
        (p1, "Yan", False, 1, at(2025, 2, 2, 11)),
        (p3, "Zed", True, None, at(2025, 3, 1, 12)),
        (p4, "Xia", True, 1, at(2024, 8, 1, 6)),
    ):
        f.comment(
            post=post, author_name=name, is_approved=approved, rating=rating, created_at=created
        )

    central = f.clinic(name="Central", opening_time=dt.time(8, 0), founded=dt.date(1999, 1, 4))
    north = f.clinic(name="North", opening_time=dt.time(9, 30), founded=None)
    f.clinic(name="South", opening_time=dt.time(7, 15), founded=dt.date(2010, 6, 30))
    gp = f.doctor(clinic=central, specialty="general")
    heart = f.doctor(clinic=north, specialty="cardiology")
    ann = f.patient(first_name="Ann", blood_type="a_pos", date_of_birth=dt.date(1980, 2, 29))
    ben = f.patient(first_name="Ben", blood_type="")
    f.patient(first_name="Cyd", blood_type="o_neg")
    f.appointment(patient=ann, doctor=gp, fee=Decimal("10.00"), status="done", priority=3)
    f.appointment(
        patient=ann,
        doctor=heart,
        fee=Decimal("80.00"),
        status="scheduled",
        priority=1,
        duration=dt.timedelta(hours=1),
    )
    f.appointment(patient=ben, doctor=heart, fee=Decimal("5.00"), status="done", priority=2)
    return posts


# ---------------------------------------------------------------------------------------------
# 1. and / or / not nested at least three levels, against Django's Q (hypothesis)
# ---------------------------------------------------------------------------------------------

TITLE_WORDS = ["hello", "Hello", "HELLO", "django", "World", "graph", "orm", "tips", "zzz"]
TITLES = [
    "Hello World",
    "hello there",
    "HELLO again",
    "Django Tips",
    "django ORM tricks",
    "GraphQL rocks",
    "Graph theory",
    "World news",
    "Misc",
]
VIEWS = [0, 1, 3, 5, 10, 50, 75, 100]
RATINGS = [0.5, 1.0, 2.5, 3.0, 4.5, 5.0]
PRICES = [Decimal(p) for p in ("0.00", "4.99", "9.99", "10.00", "25.50")]
SCORES = [-5, 0, 7, 2**31, 2**40]
YEARS = [2021, 2022, 2023, 2024, 2025]
DATES = [at(y, m, 10, 12) for y in (2022, 2023, 2024) for m in (1, 6)]
STATUSES = ["draft", "published", "archived"]


def make_random_posts(count: int = 40) -> None:
    rnd = random.Random(20240101)
    authors = [f.author() for _ in range(3)]
    for i in range(count):
        published = None
        if rnd.random() < 0.75:
            published = at(rnd.choice(YEARS), rnd.randint(1, 12), rnd.randint(1, 28), 8 + i % 12)
        f.post(
            title=TITLES[i % len(TITLES)] if i < len(TITLES) else rnd.choice(TITLES),
            views=rnd.choice(VIEWS),
            rating=None if rnd.random() < 0.3 else rnd.choice(RATINGS),
            status=rnd.choice(STATUSES),
            is_featured=rnd.random() < 0.4,
            published_at=published,
            price=rnd.choice(PRICES),
            score=rnd.choice(SCORES),
            author=authors[i % 3],
        )


def comparison(field: str, values: list, encode=lambda v: v, ops=None, extra=()):
    """Strategy for one operator of a comparable field: (GraphQL operator dict, Q)."""
    ops = ops or ("exact", "gt", "gte", "lt", "lte", "in", "range")

    @st.composite
    def leaf(draw):
        op = draw(st.sampled_from(list(ops) + list(extra)))
        if op == "isnull":
            flag = draw(st.booleans())
            return {"isnull": flag}, Q(**{f"{field}__isnull": flag})
        if op == "in":
            chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
            return {"in": [encode(v) for v in chosen]}, Q(**{f"{field}__in": chosen})
        if op == "range":
            low, high = sorted(draw(st.lists(st.sampled_from(values), min_size=2, max_size=2)))
            return {"range": [encode(low), encode(high)]}, Q(**{f"{field}__range": (low, high)})
        value = draw(st.sampled_from(values))
        lookup = field if op == "exact" else f"{field}__{op}"
        return {op: encode(value)}, Q(**{lookup: value})

    return leaf()


@st.composite
def year_part(draw):
    part, (ops, q) = "year", draw(comparison("published_at__year", YEARS))
    return {part: ops}, q


FIELD_LEAVES = {
    "views": comparison("views", VIEWS),
    "rating": comparison("rating", RATINGS, extra=("isnull",)),
    "status": comparison("status", STATUSES, encode=str.upper, ops=("exact", "in")),
    "is_featured": comparison("is_featured", [True, False], ops=("exact",)),
    "title": comparison("title", TITLE_WORDS, ops=("icontains", "startswith", "iexact")),
    "published_at": st.one_of(
        year_part(),
        comparison(
            "published_at",
            DATES,
            encode=dt.datetime.isoformat,
            ops=("gte", "lt"),
            extra=("isnull",),
        ),
    ),
    "price": comparison("price", PRICES, encode=str, ops=("gt", "lte", "exact")),
    "score": comparison("score", SCORES, encode=str, ops=("gte", "exact", "lt")),
}


@st.composite
def field_condition(draw, name: str):
    """One field's operator object: one or two operators, all of which must hold."""
    ops, q = draw(FIELD_LEAVES[name])
    if draw(st.booleans()):
        more, more_q = draw(FIELD_LEAVES[name])
        if not set(more) & set(ops):
            ops, q = {**ops, **more}, q & more_q
    return ops, q


@st.composite
def filter_object(draw, levels: int, forced: bool):
    """(PostFilter value, Q, leaf conditions): a few fields and, maybe, one combinator.

    `levels` is how many and/or/not levels may still nest below; `forced` guarantees a chain of
    exactly that many combinators, so the whole tree nests at least that deep.
    """
    nests = levels > 0 and (forced or draw(st.integers(0, 2)) == 0)
    # Beside a combinator at most one field; alone one or two, now and then none (an empty
    # object matches every row). Fewer conjunctions keep most trees selective, not empty.
    fewest = 0 if nests or draw(st.integers(0, 7)) == 0 else 1
    names = draw(
        st.lists(
            st.sampled_from(sorted(FIELD_LEAVES)),
            unique=True,
            min_size=fewest,
            max_size=1 if nests else 2,
        )
    )
    value: dict[str, Any] = {}
    parts: list[Q] = []
    conditions = 0
    for name in names:
        ops, q = draw(field_condition(name))
        value[name] = ops
        parts.append(q)
        conditions += len(ops)
    if nests:
        kind = draw(st.sampled_from(["or", "and", "not", "or"]))
        if kind == "not":
            child, child_q, n = draw(filter_object(levels - 1, forced))
            value["not"] = child
            parts.append(~child_q)
            conditions += n
        else:
            count = draw(st.integers(1, 3))
            chain = draw(st.integers(0, count - 1))
            children = [
                draw(filter_object(levels - 1, forced and i == chain)) for i in range(count)
            ]
            value[kind] = [c[0] for c in children]
            join = operator.and_ if kind == "and" else operator.or_
            parts.append(functools.reduce(join, (c[1] for c in children)))
            conditions += sum(c[2] for c in children)
    q = functools.reduce(operator.and_, parts) if parts else ALWAYS
    return value, q, conditions


def combinator_depth(value: dict[str, Any]) -> int:
    depths = [0]
    for kind in ("and", "or"):
        depths += [1 + combinator_depth(child) for child in value.get(kind, ())]
    if "not" in value:
        depths.append(1 + combinator_depth(value["not"]))
    return max(depths)


@pytest.mark.django_db
def test_nested_and_or_not_match_the_equivalent_django_q(graphql):
    make_random_posts(40)
    total = Post.objects.count()
    sizes: list[int] = []
    depths: list[int] = []

    @settings(max_examples=120, derandomize=True, database=None, deadline=None)
    @given(tree=st.integers(3, 5).flatmap(lambda levels: filter_object(levels, True)))
    def check(tree):
        value, q, conditions = tree
        if conditions > 100:  # the default limit; tested on its own below
            return
        expected = orm_ids(Post, q)
        assert filtered_ids(graphql, "posts", value) == expected, value
        sizes.append(len(expected))
        depths.append(combinator_depth(value))

    check()
    assert min(depths) >= 3
    # The generated trees must discriminate: many examples neither empty nor everything.
    assert sum(1 for n in sizes if 0 < n < total) >= len(sizes) // 3, sizes


def test_empty_alternatives_follow_logic(graphql, catalog):
    """An empty filter object matches every row, so `or` with one is true and `not` of it false."""
    everything = set(Post.objects.values_list("pk", flat=True))
    ten = orm_ids(Post, Q(views=10))
    assert filtered_ids(graphql, "posts", {}) == everything
    assert filtered_ids(graphql, "posts", {"and": [{}, {"views": {"exact": 10}}]}) == ten
    assert filtered_ids(graphql, "posts", {"or": [{}, {"views": {"exact": 10}}]}) == everything
    assert filtered_ids(graphql, "posts", {"not": {}}) == set()
    assert filtered_ids(graphql, "posts", {"not": {"not": {}}}) == everything
    assert filtered_ids(graphql, "posts", {"or": [{"not": {}}, {"views": {"exact": 10}}]}) == ten
    # an empty `in` list matches nothing, so its negation matches everything
    assert filtered_ids(graphql, "posts", {"views": {"in": []}}) == set()
    assert filtered_ids(graphql, "posts", {"not": {"views": {"in": []}}}) == everything
    # the same inside a relation object: no comment satisfies an impossible condition
    assert filtered_ids(graphql, "posts", {"comments": {"not": {}}}) == set()
    assert filtered_ids(graphql, "posts", {"not": {"comments": {"not": {}}}}) == everything
    with_comments = set(Comment.objects.values_list("post", flat=True))
    assert filtered_ids(
        graphql, "posts", {"comments": {"or": [{}, {"rating": {"exact": 99}}]}}
    ) == (with_comments)


# ---------------------------------------------------------------------------------------------
# 2. Every operator of every operator input, against the ORM
# ---------------------------------------------------------------------------------------------

OPERATOR_CASES = [
    # StringFilter
    ("posts", {"title": {"exact": "Hello World"}}, Q(title="Hello World")),
    ("posts", {"title": {"iexact": "hello world"}}, Q(title__iexact="hello world")),
    ("posts", {"title": {"contains": "World"}}, Q(title__contains="World")),
    ("posts", {"title": {"contains": "%"}}, Q(title__contains="%")),
    ("posts", {"title": {"contains": "a_b"}}, Q(title__contains="a_b")),
    ("posts", {"title": {"icontains": "world"}}, Q(title__icontains="world")),
    ("posts", {"title": {"startswith": "Hello"}}, Q(title__startswith="Hello")),
    ("posts", {"title": {"istartswith": "hello"}}, Q(title__istartswith="hello")),
    ("posts", {"title": {"endswith": "Depth"}}, Q(title__endswith="Depth")),
    ("posts", {"title": {"iendswith": "NEWS"}}, Q(title__iendswith="NEWS")),
    (
        "posts",
        {"title": {"in": ["Django Tips", "WORLD News", "nope"]}},
        Q(title__in=["Django Tips", "WORLD News", "nope"]),
    ),
    (
        "posts",
        {"title": {"icontains": "q", "startswith": "G"}},
        Q(title__icontains="q", title__startswith="G"),
    ),
    # IntFilter
    ("posts", {"views": {"exact": 10}}, Q(views=10)),
    ("posts", {"views": {"in": [0, 42, 1000]}}, Q(views__in=[0, 42, 1000])),
    ("posts", {"views": {"gt": 10}}, Q(views__gt=10)),
    ("posts", {"views": {"gte": 10}}, Q(views__gte=10)),
    ("posts", {"views": {"lt": 10}}, Q(views__lt=10)),
    ("posts", {"views": {"lte": 10}}, Q(views__lte=10)),
    ("posts", {"views": {"range": [7, 42]}}, Q(views__range=(7, 42))),
    # NullableFloatFilter
    ("posts", {"rating": {"exact": 4.5}}, Q(rating=4.5)),
    ("posts", {"rating": {"in": [1.5, 5.0]}}, Q(rating__in=[1.5, 5.0])),
    ("posts", {"rating": {"gt": 3.0}}, Q(rating__gt=3.0)),
    ("posts", {"rating": {"gte": 3.0}}, Q(rating__gte=3.0)),
    ("posts", {"rating": {"lt": 3.0}}, Q(rating__lt=3.0)),
    ("posts", {"rating": {"lte": 3.0}}, Q(rating__lte=3.0)),
    ("posts", {"rating": {"range": [1.5, 4.5]}}, Q(rating__range=(1.5, 4.5))),
    ("posts", {"rating": {"isnull": True}}, Q(rating__isnull=True)),
    ("posts", {"rating": {"isnull": False}}, Q(rating__isnull=False)),
    # BigIntFilter: beyond 32 bits, as a string and as a number
    ("posts", {"score": {"exact": str(2**40)}}, Q(score=2**40)),
    ("posts", {"score": {"exact": 2**33 + 1}}, Q(score=2**33 + 1)),
    ("posts", {"score": {"in": ["-7", str(2**40)]}}, Q(score__in=[-7, 2**40])),
    ("posts", {"score": {"gt": "12"}}, Q(score__gt=12)),
    ("posts", {"score": {"gte": str(2**33)}}, Q(score__gte=2**33)),
    ("posts", {"score": {"lt": "0"}}, Q(score__lt=0)),
    ("posts", {"score": {"lte": "12"}}, Q(score__lte=12)),
    ("posts", {"score": {"range": ["0", str(2**34)]}}, Q(score__range=(0, 2**34))),
    # DecimalFilter
    ("posts", {"price": {"exact": "19.99"}}, Q(price=Decimal("19.99"))),
    ("posts", {"price": {"in": ["0.99", "5.5"]}}, Q(price__in=[Decimal("0.99"), Decimal("5.5")])),
    ("posts", {"price": {"gt": "7.25"}}, Q(price__gt=Decimal("7.25"))),
    ("posts", {"price": {"gte": "7.25"}}, Q(price__gte=Decimal("7.25"))),
    ("posts", {"price": {"lt": "5.50"}}, Q(price__lt=Decimal("5.50"))),
    ("posts", {"price": {"lte": "5.50"}}, Q(price__lte=Decimal("5.50"))),
    ("posts", {"price": {"range": ["1", "20"]}}, Q(price__range=(Decimal(1), Decimal(20)))),
    # Enum and Boolean
    ("posts", {"status": {"exact": "PUBLISHED"}}, Q(status="published")),
    ("posts", {"status": {"in": ["DRAFT", "ARCHIVED"]}}, Q(status__in=["draft", "archived"])),
    ("posts", {"is_featured": {"exact": True}}, Q(is_featured=True)),
    ("posts", {"is_featured": {"exact": False}}, Q(is_featured=False)),
    # NullableDateTimeFilter (an offset other than UTC denotes the same instant)
    (
        "posts",
        {"published_at": {"exact": "2024-03-15T18:30:00+09:00"}},
        Q(published_at=at(2024, 3, 15, 9, 30)),
    ),
    (
        "posts",
        {"published_at": {"in": ["2024-03-15T09:30:00Z", "2023-12-31T23:00:00+00:00"]}},
        Q(published_at__in=[at(2024, 3, 15, 9, 30), at(2023, 12, 31, 23)]),
    ),
    (
        "posts",
        {"published_at": {"gt": "2024-03-15T09:30:00Z"}},
        Q(published_at__gt=at(2024, 3, 15, 9, 30)),
    ),
    (
        "posts",
        {"published_at": {"gte": "2024-03-15T09:30:00Z"}},
        Q(published_at__gte=at(2024, 3, 15, 9, 30)),
    ),
    (
        "posts",
        {"published_at": {"lt": "2024-03-15T09:30:00Z"}},
        Q(published_at__lt=at(2024, 3, 15, 9, 30)),
    ),
    (
        "posts",
        {"published_at": {"lte": "2024-03-15T09:30:00Z"}},
        Q(published_at__lte=at(2024, 3, 15, 9, 30)),
    ),
    (
        "posts",
        {"published_at": {"range": ["2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"]}},
        Q(published_at__range=(at(2024, 1, 1), at(2024, 12, 31, 23, 59, 59))),
    ),
    ("posts", {"published_at": {"isnull": True}}, Q(published_at__isnull=True)),
    ("posts", {"published_at": {"isnull": False}}, Q(published_at__isnull=False)),
    ("posts", {"published_at": {"year": {"exact": 2024}}}, Q(published_at__year=2024)),
    ("posts", {"published_at": {"year": {"gte": 2024}}}, Q(published_at__year__gte=2024)),
    ("posts", {"published_at": {"year": {"lt": 2024}}}, Q(published_at__year__lt=2024)),
    (
        "posts",
        {"published_at": {"year": {"in": [2022, 2025]}}},
        Q(published_at__year__in=[2022, 2025]),
    ),
    ("posts", {"published_at": {"month": {"exact": 3}}}, Q(published_at__month=3)),
    (
        "posts",
        {"published_at": {"month": {"range": [6, 12]}}},
        Q(published_at__month__range=(6, 12)),
    ),
    ("posts", {"published_at": {"day": {"exact": 15}}}, Q(published_at__day=15)),
    ("posts", {"published_at": {"day": {"gt": 10}}}, Q(published_at__day__gt=10)),
    # week_day counts like Django's: 1 = Sunday ... 7 = Saturday
    ("posts", {"published_at": {"week_day": {"exact": 2}}}, Q(published_at__week_day=2)),
    ("posts", {"published_at": {"week_day": {"in": [1, 7]}}}, Q(published_at__week_day__in=[1, 7])),
    ("posts", {"published_at": {"hour": {"exact": 23}}}, Q(published_at__hour=23)),
    ("posts", {"published_at": {"hour": {"lte": 9}}}, Q(published_at__hour__lte=9)),
    (
        "posts",
        {"published_at": {"year": {"exact": 2024}, "month": {"exact": 3}, "day": {"lt": 10}}},
        Q(published_at__year=2024, published_at__month=3, published_at__day__lt=10),
    ),
    # NullableDurationFilter (ISO 8601 durations)
    ("posts", {"reading_time": {"exact": "PT5M"}}, Q(reading_time=dt.timedelta(minutes=5))),
    (
        "posts",
        {"reading_time": {"in": ["PT1H", "PT90S"]}},
        Q(reading_time__in=[dt.timedelta(hours=1), dt.timedelta(seconds=90)]),
    ),
    ("posts", {"reading_time": {"gt": "PT12M"}}, Q(reading_time__gt=dt.timedelta(minutes=12))),
    ("posts", {"reading_time": {"gte": "PT12M"}}, Q(reading_time__gte=dt.timedelta(minutes=12))),
    ("posts", {"reading_time": {"lt": "PT12M"}}, Q(reading_time__lt=dt.timedelta(minutes=12))),
    ("posts", {"reading_time": {"lte": "PT12M"}}, Q(reading_time__lte=dt.timedelta(minutes=12))),
    (
        "posts",
        {"reading_time": {"range": ["PT1M", "PT30M"]}},
        Q(reading_time__range=(dt.timedelta(minutes=1), dt.timedelta(minutes=30))),
    ),
    ("posts", {"reading_time": {"isnull": True}}, Q(reading_time__isnull=True)),
    # JSONFilter
    ("posts", {"metadata": {"exact": {"lang": "fr"}}}, Q(metadata={"lang": "fr"})),
    ("posts", {"metadata": {"has_key": "lang"}}, Q(metadata__has_key="lang")),
    # NullableDateFilter and its parts (no hour on a date)
    ("authors", {"birth_date": {"exact": "1990-05-17"}}, Q(birth_date=dt.date(1990, 5, 17))),
    (
        "authors",
        {"birth_date": {"in": ["1985-12-01", "1970-01-01"]}},
        Q(birth_date__in=[dt.date(1985, 12, 1), dt.date(1970, 1, 1)]),
    ),
    ("authors", {"birth_date": {"gt": "1989-01-01"}}, Q(birth_date__gt=dt.date(1989, 1, 1))),
    ("authors", {"birth_date": {"gte": "1990-05-17"}}, Q(birth_date__gte=dt.date(1990, 5, 17))),
    ("authors", {"birth_date": {"lt": "1990-05-17"}}, Q(birth_date__lt=dt.date(1990, 5, 17))),
    ("authors", {"birth_date": {"lte": "1990-05-17"}}, Q(birth_date__lte=dt.date(1990, 5, 17))),
    (
        "authors",
        {"birth_date": {"range": ["1980-01-01", "1995-01-01"]}},
        Q(birth_date__range=(dt.date(1980, 1, 1), dt.date(1995, 1, 1))),
    ),
    ("authors", {"birth_date": {"isnull": True}}, Q(birth_date__isnull=True)),
    ("authors", {"birth_date": {"year": {"gte": 1990}}}, Q(birth_date__year__gte=1990)),
    ("authors", {"birth_date": {"month": {"exact": 5}}}, Q(birth_date__month=5)),
    ("authors", {"birth_date": {"day": {"lt": 10}}}, Q(birth_date__day__lt=10)),
    ("authors", {"birth_date": {"week_day": {"exact": 5}}}, Q(birth_date__week_day=5)),
    # Plain (non-null) DateTimeFilter and NullableIntFilter on another model
    ("comments", {"created_at": {"year": {"exact": 2024}}}, Q(created_at__year=2024)),
    ("comments", {"created_at": {"hour": {"exact": 6}}}, Q(created_at__hour=6)),
    ("comments", {"rating": {"isnull": True}}, Q(rating__isnull=True)),
    ("comments", {"rating": {"lte": 1}}, Q(rating__lte=1)),
    ("comments", {"author_name": {"in": ["Zed", "Xia"]}}, Q(author_name__in=["Zed", "Xia"])),
    # TimeFilter and its hour part
    ("clinics", {"opening_time": {"exact": "09:30:00"}}, Q(opening_time=dt.time(9, 30))),
    (
        "clinics",
        {"opening_time": {"in": ["08:00:00", "07:15:00"]}},
        Q(opening_time__in=[dt.time(8), dt.time(7, 15)]),
    ),
    ("clinics", {"opening_time": {"gt": "08:00:00"}}, Q(opening_time__gt=dt.time(8))),
    ("clinics", {"opening_time": {"gte": "08:00:00"}}, Q(opening_time__gte=dt.time(8))),
    ("clinics", {"opening_time": {"lt": "08:00:00"}}, Q(opening_time__lt=dt.time(8))),
    ("clinics", {"opening_time": {"lte": "08:00:00"}}, Q(opening_time__lte=dt.time(8))),
    (
        "clinics",
        {"opening_time": {"range": ["07:00:00", "08:30:00"]}},
        Q(opening_time__range=(dt.time(7), dt.time(8, 30))),
    ),
    ("clinics", {"opening_time": {"hour": {"gte": 8}}}, Q(opening_time__hour__gte=8)),
    ("clinics", {"founded": {"isnull": False}}, Q(founded__isnull=False)),
    # Integer choices, text choices, non-null duration, decimal on another model
    ("appointments", {"priority": {"exact": "_3"}}, Q(priority=3)),
    ("appointments", {"priority": {"in": ["_1", "_2"]}}, Q(priority__in=[1, 2])),
    ("appointments", {"status": {"exact": "DONE"}}, Q(status="done")),
    ("appointments", {"duration": {"gt": "PT30M"}}, Q(duration__gt=dt.timedelta(minutes=30))),
    ("appointments", {"fee": {"gte": "10"}}, Q(fee__gte=Decimal(10))),
    # A blank choice is the enum's "empty" value
    ("patients", {"blood_type": {"isnull": True}}, Q(blood_type="")),
    ("patients", {"blood_type": {"isnull": False}}, ~Q(blood_type="")),
    ("patients", {"blood_type": {"in": ["A_POS", "O_NEG"]}}, Q(blood_type__in=["a_pos", "o_neg"])),
    (
        "patients",
        {"date_of_birth": {"month": {"exact": 2}, "day": {"exact": 29}}},
        Q(date_of_birth__month=2, date_of_birth__day=29),
    ),
]


@pytest.mark.parametrize(
    ("root", "value", "q"),
    OPERATOR_CASES,
    ids=[f"{root}-{value}" for root, value, _ in OPERATOR_CASES],
)
def test_operator_matches_the_orm(graphql, catalog, root, value, q):
    model = MODELS[root][0]
    expected = orm_ids(model, q)
    # Every case splits its rows, so a no-op or an inverted operator cannot pass.
    assert 0 < len(expected) < model.objects.count(), (value, expected)
    assert filtered_ids(graphql, root, value) == expected


def test_id_filter(graphql, catalog):
    first, second = catalog[0].pk, catalog[3].pk
    assert filtered_ids(graphql, "posts", {"id": {"exact": str(first)}}) == {first}
    assert filtered_ids(graphql, "posts", {"id": {"in": [str(first), str(second), "999999"]}}) == {
        first,
        second,
    }
    assert filtered_ids(graphql, "posts", {"not": {"id": {"exact": first}}}) == orm_ids(
        Post, ~Q(pk=first)
    )


def test_uuid_filter(graphql, catalog):
    one, two = catalog[1], catalog[4]
    assert filtered_ids(graphql, "posts", {"uuid": {"exact": str(one.uuid)}}) == {one.pk}
    assert filtered_ids(graphql, "posts", {"uuid": {"in": [str(one.uuid), str(two.uuid)]}}) == {
        one.pk,
        two.pk,
    }
    assert filtered_ids(graphql, "posts", {"uuid": {"exact": str(uuid.uuid4())}}) == set()


def test_malformed_operator_values_are_refused(graphql, catalog):
    query = "query($f: PostFilter) { posts(filters: $f) { id } }"
    for value in (
        {"views": {"range": [1]}},
        {"views": {"range": [1, 2, 3]}},
        {"id": {"exact": "not-a-number"}},
    ):
        result = graphql(query, {"f": value})
        assert result.codes == ["BAD_USER_INPUT"], (value, result.body)


# Introspection of the operator input types ----------------------------------------------------

STRING_OPERATORS = {
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "in",
}
COMPARISON_OPERATORS = {"exact", "in", "gt", "gte", "lt", "lte", "range"}


def input_fields(type_name: str, schema=None) -> dict[str, Any]:
    schema = schema or get_schema().schema
    input_type = schema.type_map[type_name]
    assert isinstance(input_type, GraphQLInputObjectType)
    return input_type.fields


def operator_type(filter_type: str, field: str, schema=None) -> GraphQLInputObjectType:
    return get_named_type(input_fields(filter_type, schema)[field].type)


@pytest.mark.django_db
def test_operator_inputs_offer_the_specified_operators():
    assert set(input_fields("StringFilter")) >= STRING_OPERATORS
    for name in ("IntFilter", "BigIntFilter", "DecimalFilter", "DateTimeFilter", "TimeFilter"):
        assert set(input_fields(name)) >= COMPARISON_OPERATORS, name
    assert set(input_fields("NullableFloatFilter")) >= COMPARISON_OPERATORS | {"isnull"}
    for name in ("DateTimeFilter", "NullableDateTimeFilter"):
        fields = input_fields(name)
        for part in ("year", "month", "day", "week_day", "hour"):
            assert get_named_type(fields[part].type).name == "IntFilter", (name, part)
    date_parts = input_fields("NullableDateFilter")
    assert {"year", "month", "day", "week_day"} <= set(date_parts)
    assert "hour" not in date_parts
    assert get_named_type(input_fields("TimeFilter")["hour"].type).name == "IntFilter"
    # Operators are optional: a client gives only the ones it wants.
    for name in ("StringFilter", "IntFilter", "NullableFloatFilter", "PostStatusFilter"):
        for op, field in input_fields(name).items():
            assert not isinstance(field.type, GraphQLNonNull), (name, op)


@pytest.mark.django_db
def test_isnull_only_on_nullable_fields():
    assert "isnull" not in input_fields("StringFilter")
    assert "isnull" not in input_fields("IntFilter")
    assert "isnull" in input_fields("NullableFloatFilter")
    schema = get_schema().schema
    checked = 0
    for model, filter_name, type_name in (
        (Post, "PostFilter", "Post"),
        (Comment, "CommentFilter", "Comment"),
        (Author, "AuthorFilter", "Author"),
        (Appointment, "AppointmentFilter", "Appointment"),
        (Clinic, "ClinicFilter", "Clinic"),
        (Patient, "PatientFilter", "Patient"),
    ):
        object_fields = schema.type_map[type_name].fields
        for name, field in input_fields(filter_name).items():
            if name in ("and", "or", "not", "id"):
                continue
            django_field = model._meta.get_field(name)
            ops = get_named_type(field.type).fields
            if django_field.is_relation:
                may_be_empty = django_field.many_to_many or django_field.one_to_many
                may_be_empty = may_be_empty or django_field.null
            else:
                # isnull exactly where the API can answer null: nullable in the database, or
                # an optional choice whose empty value reads as null.
                may_be_empty = not isinstance(object_fields[name].type, GraphQLNonNull)
                if django_field.null:
                    assert may_be_empty, name
                elif not django_field.choices:
                    assert not may_be_empty, name
            assert ("isnull" in ops) == may_be_empty, (filter_name, name)
            checked += 1
    assert checked > 40


@pytest.mark.django_db
def test_relation_filters_offer_isnull_only_where_the_relation_may_be_empty():
    post = input_fields("PostFilter")
    assert "isnull" not in operator_type("PostFilter", "author").fields  # required FK
    for relation in ("category", "comments", "tags"):
        assert "isnull" in get_named_type(post[relation].type).fields, relation
    assert "isnull" not in operator_type("CommentFilter", "post").fields
    # The relation filter is the target's filter plus isnull.
    comment_filter = set(input_fields("CommentFilter"))
    assert set(operator_type("PostFilter", "comments").fields) == comment_filter | {"isnull"}


REGEX_SETTINGS = {
    "blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"], "REGEX_FILTER_FIELDS": ["title"]},
}


@pytest.mark.django_db
def test_regex_operators_are_absent_by_default():
    schema = get_schema().schema
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInputObjectType):
            assert not {"regex", "iregex"} & set(named.fields), named.name


@override_settings(GRAPHQL_AUTO_MODELS=REGEX_SETTINGS)
def test_regex_operators_only_for_listed_fields(graphql, catalog):
    assert {"regex", "iregex"} <= set(operator_type("PostFilter", "title").fields)
    for other in ("slug", "body"):
        assert not {"regex", "iregex"} & set(operator_type("PostFilter", other).fields), other
    assert not {"regex", "iregex"} & set(operator_type("AuthorFilter", "name").fields)
    pattern = r"^[Hh]el+o"
    expected = orm_ids(Post, Q(title__regex=pattern))
    assert 0 < len(expected) < len(catalog)
    assert filtered_ids(graphql, "posts", {"title": {"regex": pattern}}) == expected
    expected = orm_ids(Post, Q(title__iregex=r"world"))
    assert 0 < len(expected) < len(catalog)
    assert filtered_ids(graphql, "posts", {"title": {"iregex": "world"}}) == expected
    refused = graphql('{ posts(filters: {slug: {regex: "x"}}) { id } }')
    assert refused.codes == ["GRAPHQL_VALIDATION_FAILED"]


# ---------------------------------------------------------------------------------------------
# 3. Relation filters
# ---------------------------------------------------------------------------------------------

RELATION_CASES = [
    ("posts", {"author": {"name": {"icontains": "x"}}}, Q(author__name__icontains="x")),
    ("posts", {"comments": {"author_name": {"exact": "Zed"}}}, Q(comments__author_name="Zed")),
    ("posts", {"comments": {"is_approved": {"exact": True}}}, Q(comments__is_approved=True)),
    ("posts", {"tags": {"name": {"exact": "python"}}}, Q(tags__name="python")),
    (
        "posts",
        {"tags": {"name": {"in": ["django", "python"]}}},
        Q(tags__name__in=["django", "python"]),
    ),
    (
        "posts",
        {"category": {"parent": {"name": {"exact": "News"}}}},
        Q(category__parent__name="News"),
    ),
    ("posts", {"category": {"isnull": True}}, Q(category__isnull=True)),
    ("posts", {"category": {"isnull": False}}, Q(category__isnull=False)),
    ("posts", {"comments": {"isnull": True}}, Q(comments__isnull=True)),
    ("posts", {"comments": {"isnull": False}}, Q(comments__isnull=False)),
    ("posts", {"tags": {"isnull": True}}, Q(tags__isnull=True)),
    # isnull with conditions: "no related row matches" / "at least one does"
    (
        "posts",
        {"comments": {"isnull": True, "is_approved": {"exact": True}}},
        ~Q(pk__in=Comment.objects.filter(is_approved=True).values("post")),
    ),
    ("posts", {"comments": {"isnull": False, "rating": {"gte": 5}}}, Q(comments__rating__gte=5)),
    (
        "posts",
        {"not": {"comments": {"rating": {"lte": 1}}}},
        ~Q(pk__in=Comment.objects.filter(rating__lte=1).values("post")),
    ),
    # reverse to-one direction and M2M seen from the other side
    ("authors", {"posts": {"status": {"exact": "ARCHIVED"}}}, Q(posts__status="archived")),
    ("tags", {"posts": {"is_featured": {"exact": True}}}, Q(posts__is_featured=True)),
    ("categories", {"parent": {"isnull": True}}, Q(parent__isnull=True)),
    (
        "comments",
        {"post": {"author": {"name": {"startswith": "Bob"}}}},
        Q(post__author__name__startswith="Bob"),
    ),
    # three relations deep
    (
        "authors",
        {"posts": {"tags": {"posts": {"is_featured": {"exact": True}}}}},
        Q(posts__tags__posts__is_featured=True),
    ),
    (
        "tags",
        {"posts": {"comments": {"post": {"views": {"gte": 100}}}}},
        Q(posts__comments__post__views__gte=100),
    ),
    (
        "clinics",
        {"doctors": {"appointments": {"patient": {"blood_type": {"exact": "A_POS"}}}}},
        Q(doctors__appointments__patient__blood_type="a_pos"),
    ),
    # an M2M through a model of its own, both ways, and fields inherited from Person
    (
        "patients",
        {"doctors": {"specialty": {"exact": "CARDIOLOGY"}}},
        Q(doctors__specialty="cardiology"),
    ),
    (
        "clinics",
        {"doctors": {"patients": {"first_name": {"exact": "Ben"}}}},
        Q(doctors__patients__first_name="Ben"),
    ),
    (
        "appointments",
        {"patient": {"first_name": {"istartswith": "a"}}},
        Q(patient__first_name__istartswith="a"),
    ),
    # relations inside and/or/not
    (
        "posts",
        {"or": [{"tags": {"name": {"exact": "rust"}}}, {"category": {"name": {"exact": "News"}}}]},
        Q(tags__name="rust") | Q(category__name="News"),
    ),
]


@pytest.mark.parametrize(
    ("root", "value", "q"),
    RELATION_CASES,
    ids=[f"{root}-{value}" for root, value, _ in RELATION_CASES],
)
def test_relation_filter_matches_the_orm(graphql, catalog, root, value, q):
    model = MODELS[root][0]
    expected = set(model.objects.filter(q).values_list("pk", flat=True).distinct())
    assert 0 < len(expected) < model.objects.count(), (value, expected)
    assert filtered_ids(graphql, root, value) == expected


@pytest.fixture
def two_comments(db):
    """`mixed` has an approved 5-star comment and an unapproved 1-star one."""
    mixed = f.post(title="mixed")
    f.comment(post=mixed, is_approved=True, rating=5)
    f.comment(post=mixed, is_approved=False, rating=1)
    same_row = f.post(title="same row")
    f.comment(post=same_row, is_approved=True, rating=1)
    only_good = f.post(title="only good")
    f.comment(post=only_good, is_approved=True, rating=4)
    f.post(title="no comments")
    return mixed, same_row, only_good


def test_conditions_in_one_relation_object_hold_for_the_same_row(graphql, two_comments):
    _, same_row, _ = two_comments
    one_object = {"comments": {"is_approved": {"exact": True}, "rating": {"lte": 1}}}
    assert filtered_ids(graphql, "posts", one_object) == {same_row.pk}
    assert filtered_ids(graphql, "posts", one_object) == set(
        Post.objects.filter(comments__is_approved=True, comments__rating__lte=1).values_list(
            "pk", flat=True
        )
    )
    # and/or nested inside the relation object still describe one related row
    nested = {"comments": {"and": [{"is_approved": {"exact": True}}, {"rating": {"lte": 1}}]}}
    assert filtered_ids(graphql, "posts", nested) == {same_row.pk}


def test_separate_and_items_may_match_different_rows(graphql, two_comments):
    mixed, same_row, _ = two_comments
    split = {
        "and": [
            {"comments": {"is_approved": {"exact": True}}},
            {"comments": {"rating": {"lte": 1}}},
        ]
    }
    assert filtered_ids(graphql, "posts", split) == {mixed.pk, same_row.pk}
    chained = Post.objects.filter(comments__is_approved=True).filter(comments__rating__lte=1)
    assert filtered_ids(graphql, "posts", split) == set(chained.values_list("pk", flat=True))


def test_same_row_semantics_in_the_clinic(graphql, db):
    """SPEC §10's own example: `appointments: {fee: {gte: 10}, status: {exact: DONE}}`."""
    mixed, matching, neither = f.patient(), f.patient(), f.patient()
    f.appointment(patient=mixed, fee=Decimal("50.00"), status="scheduled")
    f.appointment(patient=mixed, fee=Decimal("5.00"), status="done")
    f.appointment(patient=matching, fee=Decimal("10.00"), status="done")
    f.appointment(patient=neither, fee=Decimal("1.00"), status="cancelled")
    one = {"appointments": {"fee": {"gte": "10"}, "status": {"exact": "DONE"}}}
    assert filtered_ids(graphql, "patients", one) == {matching.pk}
    split = {
        "and": [
            {"appointments": {"fee": {"gte": "10"}}},
            {"appointments": {"status": {"exact": "DONE"}}},
        ]
    }
    assert filtered_ids(graphql, "patients", split) == {mixed.pk, matching.pk}
    # the same rule one level further: prescriptions of one appointment
    drug = f.drug(controlled=True)
    visit = f.appointment(patient=neither)
    f.prescription(appointment=visit, drug=drug, quantity=1)
    f.prescription(appointment=visit, quantity=9)
    deep = {
        "appointments": {
            "prescriptions": {"drug": {"controlled": {"exact": True}}, "quantity": {"gte": 5}}
        }
    }
    assert filtered_ids(graphql, "patients", deep) == set()
    deep["appointments"]["prescriptions"]["quantity"] = {"lte": 1}
    assert filtered_ids(graphql, "patients", deep) == {neither.pk}


def test_no_duplicate_rows_when_several_related_rows_match(graphql, db):
    tags = [f.tag(name=f"dup-{i}") for i in range(3)]
    busy = f.post(title="busy", tags=tags)
    for _ in range(4):
        f.comment(post=busy, is_approved=True)
    quiet = f.post(title="quiet", tags=tags[:1])
    f.comment(post=quiet, is_approved=True)
    f.post(title="untouched")
    value = {
        "comments": {"is_approved": {"exact": True}},
        "tags": {"name": {"startswith": "dup-"}},
        "or": [{"comments": {"isnull": False}}, {"tags": {"isnull": False}}],
    }
    result = graphql(
        "query($f: PostFilter) { posts(filters: $f) { id }"
        " post_pages(filters: $f) { items { id } page_info { total_count } } }",
        {"f": value},
    ).ok()
    assert [int(r["id"]) for r in result["posts"]] == [busy.pk, quiet.pk]
    assert [int(r["id"]) for r in result["post_pages"]["items"]] == [busy.pk, quiet.pk]
    assert result["post_pages"]["page_info"]["total_count"] == 2
    author_query = '{ authors(filters: {posts: {tags: {name: {startswith: "dup-"}}}}) { id } }'
    authors = [int(r["id"]) for r in graphql(author_query).ok()["authors"]]
    assert sorted(authors) == sorted({busy.author_id, quiet.author_id})


# ---------------------------------------------------------------------------------------------
# Rows and fields the caller may not see never take part in a filter
# ---------------------------------------------------------------------------------------------


def with_policy(name: str):
    return override_settings(
        DJANGO_GRAPHQL_AUTO={
            "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
            "POLICY": f"tests.policies.{name}",
        }
    )


@with_policy("HideUnapprovedComments")
def test_hidden_related_rows_never_make_a_parent_match(graphql, two_comments):
    mixed, same_row, _ = two_comments
    # mixed's only low-rated comment is unapproved, so for this caller it does not exist
    assert filtered_ids(graphql, "posts", {"comments": {"rating": {"lte": 1}}}) == {same_row.pk}
    hidden_only = f.post(title="hidden only")
    f.comment(post=hidden_only, is_approved=False)
    no_visible = filtered_ids(graphql, "posts", {"comments": {"isnull": True}})
    assert no_visible == set(
        Post.objects.exclude(comments__is_approved=True).values_list("pk", flat=True)
    )
    assert hidden_only.pk in no_visible
    ids = f"[{mixed.pk}, {hidden_only.pk}]"
    result = graphql(
        f"{{ posts(filters: {{id: {{in: {ids}}}}}) {{ id comments_count"
        " all: comments_count(filters: {})"
        " low: comments_count(filters: {rating: {lte: 1}}) } }"
    ).ok()["posts"]
    assert [(r["comments_count"], r["all"], r["low"]) for r in result] == [(1, 1, 0), (0, 0, 0)]


@with_policy("HideAuthorEmail")
def test_filtering_on_an_unreadable_field_is_forbidden(graphql, catalog):
    result = graphql('{ posts(filters: {author: {email: {contains: "@"}}}) { id } }')
    assert result.codes == ["FORBIDDEN"], result.body
    assert graphql('{ posts(filters: {author: {name: {contains: "a"}}}) { id } }').ok()


# ---------------------------------------------------------------------------------------------
# 4. Limits and refusals
# ---------------------------------------------------------------------------------------------


def nested_not(levels: int, leaf: dict[str, Any] | None = None) -> dict[str, Any]:
    """A filter object `levels` objects deep: `{not: {not: ... {views: ...}}}`."""
    value = leaf or {"views": {"gte": 0}}
    for _ in range(levels - 1):
        value = {"not": value}
    return value


def or_of(count: int) -> dict[str, Any]:
    return {"or": [{"views": {"exact": i}} for i in range(count)]}


POSTS_QUERY = "query($f: PostFilter) { posts(filters: $f) { id } }"


def test_filter_depth_limit(graphql, catalog):
    graphql(POSTS_QUERY, {"f": nested_not(6)}).ok()
    error = refusal(graphql(POSTS_QUERY, {"f": nested_not(7)}))
    assert "filters" in error["message"]
    # relation filters count as levels too
    leaf = {"views": {"gte": 0}}
    deep_relations = {"author": {"posts": {"author": {"posts": {"author": {"posts": leaf}}}}}}
    error = refusal(graphql(POSTS_QUERY, {"f": deep_relations}))
    assert "filters" in error["message"]
    assert graphql(POSTS_QUERY, {"f": deep_relations["author"]["posts"]}).ok()


def test_filter_condition_limit(graphql, catalog):
    assert filtered_ids(graphql, "posts", or_of(100)) == orm_ids(Post, Q(views__lt=100))
    error = refusal(graphql(POSTS_QUERY, {"f": or_of(101)}))
    assert "filters" in error["message"]
    # a relation object wrapping 100 leaves holds 100 leaf conditions, not 101
    inside = {"comments": {"or": [{"rating": {"exact": i}} for i in range(100)]}}
    assert filtered_ids(graphql, "posts", inside) == orm_ids(
        Post, Q(pk__in=Comment.objects.filter(rating__lt=100).values("post"))
    )
    inside["comments"]["or"].append({"rating": {"exact": 100}})
    refusal(graphql(POSTS_QUERY, {"f": inside}))
    # a relation with only isnull is a leaf of its own
    leaves = [*or_of(99)["or"], {"comments": {"isnull": False}}]
    graphql(POSTS_QUERY, {"f": {"and": leaves}}).ok()
    refusal(graphql(POSTS_QUERY, {"f": {"and": [*leaves, {"tags": {"isnull": True}}]}}))
    # operators of one field count one each
    many_ops = {"and": [{"views": {"gte": 0, "lte": 1000}} for _ in range(51)]}
    refusal(graphql(POSTS_QUERY, {"f": many_ops}))


def test_limits_apply_to_nested_lists_and_counts(graphql, catalog):
    for field in ("posts", "posts_count"):
        selection = "{ id }" if field == "posts" else ""
        query = f"query($f: PostFilter) {{ authors {{ id {field}(filters: $f) {selection} }} }}"
        error = refusal(graphql(query, {"f": nested_not(7)}))
        assert "filters" in error["message"]
        refusal(graphql(query, {"f": or_of(101)}))


@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
        "MAX_FILTER_DEPTH": 2,
        "MAX_FILTER_CONDITIONS": 2,
    }
)
def test_filter_limits_are_configurable(graphql, catalog):
    graphql(POSTS_QUERY, {"f": nested_not(2)}).ok()
    error = refusal(graphql(POSTS_QUERY, {"f": nested_not(3)}))
    assert "filters" in error["message"]
    refusal(graphql(POSTS_QUERY, {"f": {"comments": {"post": {"views": {"gte": 0}}}}}))
    graphql(POSTS_QUERY, {"f": or_of(2)}).ok()
    error = refusal(graphql(POSTS_QUERY, {"f": or_of(3)}))
    assert "filters" in error["message"]


NULL_VALUES = [
    {"views": {"exact": None}},
    {"views": {"in": None}},
    {"views": {"gt": None}},
    {"rating": {"isnull": None}},
    {"title": {"icontains": None}},
    {"published_at": {"year": None}},
    {"published_at": {"year": {"exact": None}}},
    {"views": None},
    {"and": None},
    {"or": None},
    {"not": None},
    {"id": {"exact": None}},
    {"author": None},
    {"author": {"name": {"exact": None}}},
    {"category": {"isnull": None}},
    {"comments": {"isnull": None}},
    {"comments": {"rating": {"exact": None}}},
]


@pytest.mark.parametrize("value", NULL_VALUES, ids=[str(v) for v in NULL_VALUES])
def test_explicit_null_is_refused(graphql, catalog, value):
    error = refusal(graphql(POSTS_QUERY, {"f": value}))
    assert "filters" in error["message"]


def test_explicit_null_literal_is_refused(graphql, catalog):
    error = refusal(graphql("{ posts(filters: {views: {exact: null}}) { id } }"))
    assert "filters" in error["message"]
    refusal(graphql("{ posts(filters: {category: {isnull: null}}) { id } }"))


HUGE = "99999999999999999999999"  # beyond 64 bits: no column can hold it


def test_integers_beyond_64_bits_match_nothing_instead_of_failing(graphql, catalog):
    everything = orm_ids(Post, Q())
    seven = orm_ids(Post, Q(score=-7))
    assert filtered_ids(graphql, "posts", {"score": {"in": [HUGE, "-7", f"-{HUGE}"]}}) == seven
    assert filtered_ids(graphql, "posts", {"score": {"in": [HUGE]}}) == set()
    assert filtered_ids(graphql, "posts", {"score": {"range": [f"-{HUGE}", HUGE]}}) == everything
    assert filtered_ids(graphql, "posts", {"score": {"range": ["0", HUGE]}}) == orm_ids(
        Post, Q(score__gte=0)
    )
    assert filtered_ids(graphql, "posts", {"score": {"gt": HUGE}}) == set()
    assert filtered_ids(graphql, "posts", {"score": {"lt": HUGE}}) == everything
    first = catalog[0].pk
    assert filtered_ids(graphql, "posts", {"id": {"in": [HUGE, str(first)]}}) == {first}
    assert filtered_ids(graphql, "posts", {"id": {"exact": HUGE}}) == set()


@pytest.mark.parametrize(
    "year", [{"gt": 99999}, {"exact": 0}, {"gte": -5}, {"in": [2024, 10000]}, {"range": [0, 3]}]
)
def test_years_datetime_cannot_hold_are_refused(graphql, catalog, year):
    error = refusal(graphql(POSTS_QUERY, {"f": {"published_at": {"year": year}}}))
    assert "filters" in error["message"]


def test_extreme_but_valid_years_are_accepted(graphql, catalog):
    dated = orm_ids(Post, Q(published_at__isnull=False))
    assert filtered_ids(graphql, "posts", {"published_at": {"year": {"lte": 9999}}}) == dated
    assert filtered_ids(graphql, "posts", {"published_at": {"year": {"gte": 1}}}) == dated
    assert filtered_ids(graphql, "posts", {"published_at": {"year": {"gt": 9999}}}) == set()


def test_json_has_key_takes_a_string(graphql, catalog):
    assert get_named_type(input_fields("JSONFilter")["has_key"].type).name == "String"
    assert graphql(POSTS_QUERY, {"f": {"metadata": {"has_key": 5}}}).codes == ["BAD_USER_INPUT"]
    refused = graphql(POSTS_QUERY, {"f": {"metadata": {"has_key": {"a": 1}}}})
    assert refused.codes == ["BAD_USER_INPUT"]


def test_a_duration_too_large_for_timedelta_is_bad_input(graphql, catalog):
    result = graphql(POSTS_QUERY, {"f": {"reading_time": {"gt": "P99999999999D"}}})
    assert result.codes == ["BAD_USER_INPUT"], result.body


@pytest.mark.parametrize(
    "part", [{"year": {"range": [2020]}}, {"month": {"range": [1, 2, 3]}}, {"hour": {"range": []}}]
)
def test_a_date_part_range_takes_exactly_two_values(graphql, catalog, part):
    """Once a 500 (the SQL got as many placeholders as values, not two)."""
    error = refusal(graphql(POSTS_QUERY, {"f": {"published_at": part}}))
    assert "takes exactly two values" in error["message"]
    assert error["extensions"]["argument"] == "filters"


@pytest.mark.parametrize("price", ["1e999999", "-1e-999999", "0." + "1" * 1001])
def test_a_decimal_beyond_what_a_database_holds_is_bad_input(graphql, catalog, price):
    """PostgreSQL's numeric stops at 131,072 digits before the point and 16,383 after: a filter
    value beyond them was a 500 there (and matched nothing on SQLite)."""
    result = graphql(POSTS_QUERY, {"f": {"price": {"gte": price}}})
    assert result.codes == ["BAD_USER_INPUT"], result.body
    assert "digits" in result.errors[0]["message"]
    edge = "9" * 1000  # the largest accepted magnitude: fine on every database
    assert filtered_ids(graphql, "posts", {"price": {"gte": edge}}) == set()


def test_a_datetime_before_year_one_in_utc_is_not_an_internal_error(graphql, catalog):
    result = graphql(POSTS_QUERY, {"f": {"published_at": {"gt": "0001-01-01T00:00:00+01:00"}}})
    assert "INTERNAL_SERVER_ERROR" not in result.codes, result.body


# ---------------------------------------------------------------------------------------------
# 6. Filters on nested to-many lists and on <relation>_count
# ---------------------------------------------------------------------------------------------


# 100 authors x 100 posts x 20 comments is over the default MAX_QUERY_COST (10,000), on purpose.
@override_settings(DJANGO_GRAPHQL_AUTO={"MAX_QUERY_COST": 1_000_000})
def test_nested_list_filters_and_counts_match_the_orm(graphql, catalog):
    comment_filter = {"is_approved": {"exact": True}, "rating": {"isnull": False}}
    post_filter = {"or": [{"views": {"gte": 42}}, {"rating": {"isnull": True}}]}
    tag_filter = {"name": {"in": ["django", "rust"]}}
    query = """query($c: CommentFilter, $p: PostFilter, $t: TagFilter) {
      authors(limit: 100) {
        id
        posts(filters: $p, limit: 100) {
          id
          comments(filters: $c) { id }
          comments_count(filters: $c)
          all_comments: comments_count
          tags(filters: $t) { id }
          tags_count(filters: $t)
        }
        posts_count(filters: $p)
        every_post: posts_count
      }
    }"""
    data = graphql(query, {"c": comment_filter, "p": post_filter, "t": tag_filter}).ok()
    post_q = Q(views__gte=42) | Q(rating__isnull=True)
    comment_q = Q(is_approved=True, rating__isnull=False)
    tag_q = Q(name__in=["django", "rust"])
    seen_posts = 0
    for row in data["authors"]:
        author = Author.objects.get(pk=row["id"])
        posts = author.posts.filter(post_q).order_by("pk")
        assert [int(p["id"]) for p in row["posts"]] == list(posts.values_list("pk", flat=True))
        assert row["posts_count"] == posts.count()
        assert row["every_post"] == author.posts.count()
        for item, post in zip(row["posts"], posts, strict=True):
            comments = post.comments.filter(comment_q).order_by("pk")
            assert [int(c["id"]) for c in item["comments"]] == [c.pk for c in comments]
            assert item["comments_count"] == comments.count()
            assert item["all_comments"] == post.comments.count()
            tags = post.tags.filter(tag_q).order_by("pk")
            assert [int(t["id"]) for t in item["tags"]] == [t.pk for t in tags]
            assert item["tags_count"] == tags.count()
            seen_posts += 1
    assert 0 < seen_posts < Post.objects.count()


def test_count_with_a_relation_filter_counts_each_row_once(graphql, db):
    tags = [f.tag(name=f"py-{i}") for i in range(3)]
    author = f.author()
    f.post(author=author, tags=tags)
    f.post(author=author, tags=tags[:1])
    f.post(author=author)
    query = """query($id: ID!) { authors(filters: {id: {exact: $id}}) {
      posts_count(filters: {tags: {name: {startswith: "py-"}}})
      posts(filters: {tags: {name: {startswith: "py-"}}}) { id }
      none: posts_count(filters: {tags: {isnull: true}})
    } }"""
    row = graphql(query, {"id": author.pk}).ok()["authors"][0]
    expected = author.posts.filter(tags__name__startswith="py-").distinct()
    assert row["posts_count"] == expected.count() == 2
    assert sorted(int(p["id"]) for p in row["posts"]) == sorted(p.pk for p in expected)
    assert row["none"] == 1


def test_nested_relation_filter_inside_a_nested_list(graphql, catalog):
    query = (
        """{ authors(limit: 100) { id posts(filters: {comments: {rating: {gte: 4}}}) { id } } }"""
    )
    rows = graphql(query).ok()["authors"]
    got = {int(r["id"]): [int(p["id"]) for p in r["posts"]] for r in rows}
    expected = {
        a.pk: list(
            a.posts.filter(comments__rating__gte=4)
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for a in Author.objects.all()
    }
    assert got == expected
    assert any(got.values())


@override_settings(
    DJANGO_GRAPHQL_AUTO={
        "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
        "NAME_CASE": "camel",
    }
)
def test_camel_case_names_filter_the_same_rows(graphql, catalog):
    value = {
        "publishedAt": {"weekDay": {"in": [1, 7]}, "isnull": False},
        "isFeatured": {"exact": False},
        "or": [{"category": {"isnull": True}}, {"readingTime": {"gte": "PT10M"}}],
        "not": {"metadata": {"hasKey": "tags"}},
    }
    q = (
        Q(published_at__week_day__in=[1, 7], published_at__isnull=False, is_featured=False)
        & (Q(category__isnull=True) | Q(reading_time__gte=dt.timedelta(minutes=10)))
        & ~Q(metadata__has_key="tags")
    )
    expected = orm_ids(Post, q)
    assert 0 < len(expected) < len(catalog)
    result = graphql(
        "query($f: PostFilter) { posts(filters: $f, limit: 100) { id } }", {"f": value}
    )
    assert {int(row["id"]) for row in result.ok()["posts"]} == expected
    counted = graphql(
        "query($f: PostFilter) { authors { postsCount(filters: $f) } }", {"f": value}
    ).ok()["authors"]
    assert sum(row["postsCount"] for row in counted) == len(expected)
    refused = graphql("query($f: PostFilter) { posts(filters: $f) { id } }", {"f": nested_not(7)})
    assert refused.codes == ["BAD_USER_INPUT"]
    assert "filters" in refused.errors[0]["message"]
