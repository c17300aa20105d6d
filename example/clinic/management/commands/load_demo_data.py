"""Fill the blog and clinic apps with a realistic, reproducible data set.

Reproducibility matters more than realism here: the same seed and scale always produce the same
rows (and, on an empty or flushed database, the same primary keys), so benchmarks and example
queries can be compared between runs and between SQLite and PostgreSQL. For that reason every
value comes from one seeded ``random.Random`` and a fixed base time, never from the clock or
``uuid4``. Rows are written with ``bulk_create`` so the default set loads in a few seconds.
"""

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter
from typing import Any

from blog.models import Author, Category, Comment, Post, Tag
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils.text import slugify

from ...models import Appointment, Clinic, Doctor, Drug, Patient, Person, Prescription

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
# Appointments before this instant are in the "past" of the data set (done or cancelled), the
# rest are still scheduled; pass it to ``Appointment.objects.upcoming(now=...)``.
APPOINTMENTS_PIVOT = BASE_TIME + timedelta(days=270)
MINUTES_PER_YEAR = 365 * 24 * 60
BATCH_SIZE = 500

DEFAULT_SIZES = {
    "authors": 40,
    "categories": 15,
    "tags": 30,
    "posts": 2_000,
    "comments": 6_000,
    "clinics": 3,
    "doctors": 24,
    "patients": 600,
    "appointments": 3_000,
    "drugs": 40,
    "prescriptions": 4_000,
}

# Every table the command owns, in the order of the printed summary. --flush empties them in
# one transaction with foreign-key checks deferred, so the order does not matter there.
PostTag = Post.tags.through
DEMO_MODELS: list[type[models.Model]] = [
    Author,
    Category,
    Tag,
    Post,
    PostTag,
    Comment,
    Clinic,
    Person,
    Doctor,
    Patient,
    Appointment,
    Drug,
    Prescription,
]

FIRST_NAMES = [
    "Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas",
    "Kaito", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Samir", "Tove",
    "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zora", "Aoife", "Bilal", "Camille", "Darius",
]  # fmt: skip
LAST_NAMES = [
    "Abara", "Bergström", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gallo", "Haddad",
    "Ivanova", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quinn", "Rossi", "Sato", "Tanaka", "Uddin", "Varga", "Weber", "Xu", "Yilmaz", "Zeller",
]  # fmt: skip
WORDS = [
    "query", "index", "schema", "cache", "latency", "model", "field", "request", "server",
    "client", "batch", "cursor", "token", "release", "feature", "design", "team", "review",
    "budget", "garden", "river", "morning", "coffee", "journey", "signal", "pattern", "detail",
    "simple", "careful", "quick", "steady", "quiet", "bright", "honest", "useful", "small",
    "builds", "measures", "ships", "explains", "reads", "tests", "avoids", "joins", "keeps",
    "the", "a", "every", "our", "with", "without", "before", "after", "because", "and",
]  # fmt: skip
TITLE_OPENERS = [
    "Notes on", "A field guide to", "Rethinking", "What I learned from", "Ten years of",
    "The quiet cost of", "Getting started with", "Against", "In defence of", "Measuring",
]  # fmt: skip
TITLE_SUBJECTS = [
    "query planning", "small teams", "slow mornings", "database indexes", "code review",
    "urban gardens", "release trains", "cursor pagination", "river walks", "honest budgets",
    "cache invalidation", "weekend baking", "schema design", "long journeys", "test suites",
]  # fmt: skip
# (name, index of the parent in this list): three roots, eight children, four grandchildren.
# Parents always come first, so a prefix of the list is still a valid tree at small --scale.
CATEGORY_TREE: list[tuple[str, int | None]] = [
    ("Technology", None), ("Travel", None), ("Food", None),
    ("Databases", 0), ("Web", 0), ("Python", 0), ("Europe", 1), ("Asia", 1), ("Hiking", 1),
    ("Baking", 2), ("Restaurants", 2),
    ("PostgreSQL", 3), ("Frontend", 4), ("City breaks", 6), ("Bread", 9),
]  # fmt: skip
TAG_NAMES = [
    "howto", "opinion", "beginner", "advanced", "news", "tips", "longread", "video",
    "interview", "review", "recipe", "photo", "series", "update", "guide", "deep-dive",
    "analysis", "story", "tools", "security", "testing", "ops", "design", "career",
    "community", "events", "data", "mobile", "cloud", "history",
]  # fmt: skip
LANGUAGES = ["en", "en", "en", "en", "fr", "de", "es"]
CLINIC_NAMES = ["Northgate Family Practice", "Harbourview Clinic", "Elm Street Medical Centre"]
STREETS = ["Harbour Road", "Elm Street", "Station Square", "Mill Lane", "Orchard Avenue"]
DRUGS = [
    ("Amoxicillin 500 mg", False), ("Ibuprofen 400 mg", False), ("Paracetamol 500 mg", False),
    ("Metformin 850 mg", False), ("Atorvastatin 20 mg", False), ("Lisinopril 10 mg", False),
    ("Amlodipine 5 mg", False), ("Omeprazole 20 mg", False), ("Salbutamol inhaler", False),
    ("Levothyroxine 50 mcg", False), ("Sertraline 50 mg", False), ("Cetirizine 10 mg", False),
    ("Prednisolone 5 mg", False), ("Azithromycin 250 mg", False), ("Ramipril 5 mg", False),
    ("Bisoprolol 5 mg", False), ("Warfarin 3 mg", False), ("Clopidogrel 75 mg", False),
    ("Furosemide 40 mg", False), ("Doxycycline 100 mg", False), ("Naproxen 250 mg", False),
    ("Hydrocortisone cream 1%", False), ("Loratadine 10 mg", False), ("Simvastatin 40 mg", False),
    ("Insulin glargine", False), ("Montelukast 10 mg", False), ("Fluoxetine 20 mg", False),
    ("Tamsulosin 400 mcg", False), ("Mupirocin ointment", False), ("Nitrofurantoin 100 mg", False),
    ("Morphine 10 mg", True), ("Oxycodone 5 mg", True), ("Diazepam 5 mg", True),
    ("Lorazepam 1 mg", True), ("Codeine 30 mg", True), ("Tramadol 50 mg", True),
    ("Methylphenidate 10 mg", True), ("Zolpidem 10 mg", True), ("Fentanyl patch", True),
    ("Pregabalin 75 mg", True),
]  # fmt: skip
DRUG_NAMES = [name for name, _ in DRUGS]
DOSAGES = [
    "1 tablet once daily", "1 tablet twice daily", "2 tablets every 6 hours as needed",
    "1 capsule three times daily", "Apply thinly twice daily", "2 puffs as needed",
    "1 tablet at night", "10 units in the evening",
]  # fmt: skip
SPECIALTIES = [
    Doctor.Specialty.GENERAL,
    Doctor.Specialty.CARDIOLOGY,
    Doctor.Specialty.DERMATOLOGY,
    Doctor.Specialty.PEDIATRICS,
]
SPECIALTY_WEIGHTS = [10, 4, 3, 4]
BLOOD_TYPES = [*Patient.BloodType.values, ""]  # blank: not recorded yet
BLOOD_TYPE_WEIGHTS = [30, 6, 9, 2, 3, 1, 35, 7, 7]


def numbered(names: list[str], index: int) -> str:
    """Cycle through a fixed list, suffixing repeats so names stay unique at any --scale."""
    name = names[index % len(names)]
    lap = index // len(names)
    return f"{name} {lap + 1}" if lap else name


def make_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128))


def cents(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-2)


def sentence(rng: random.Random, low: int = 6, high: int = 16) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def paragraphs(rng: random.Random, sentences: int) -> str:
    lines = [sentence(rng) for _ in range(sentences)]
    return "\n\n".join(" ".join(lines[i : i + 4]) for i in range(0, len(lines), 4))


def random_minute(rng: random.Random) -> datetime:
    return BASE_TIME + timedelta(minutes=rng.randrange(MINUTES_PER_YEAR))


def random_birth_date(rng: random.Random, oldest: int = 1940, youngest: int = 2010) -> date:
    span = (date(youngest, 1, 1) - date(oldest, 1, 1)).days
    return date(oldest, 1, 1) + timedelta(days=rng.randrange(span))


def person_fields(rng: random.Random, index: int, domain: str) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "first_name": first,
        "last_name": last,
        "email": f"{slugify(first)}.{slugify(last)}.{index}@{domain}",
        "phone": f"+44 20 {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}"
        if rng.random() < 0.8
        else "",
        "date_of_birth": random_birth_date(rng) if rng.random() < 0.9 else None,
    }


def bulk(model: type[models.Model], objs: list[Any]) -> list[Any]:
    return model.objects.bulk_create(objs, batch_size=BATCH_SIZE)


class Command(BaseCommand):
    help = "Load deterministic demo data into the blog and clinic apps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply every default row count by this factor (default 1.0).",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete all existing blog and clinic rows first.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=42,
            help="Seed for the random generator (default 42).",
        )

    def handle(self, *args: Any, scale: float, flush: bool, seed: int, **options: Any) -> None:
        if scale <= 0:
            raise CommandError("--scale must be greater than 0.")
        if not flush and (Post.objects.exists() or Clinic.objects.exists()):
            self.stdout.write("Demo data already present; nothing loaded (use --flush to reload).")
            return

        sizes = {name: max(1, round(count * scale)) for name, count in DEFAULT_SIZES.items()}
        rng = random.Random(seed)
        started = perf_counter()
        with transaction.atomic():
            if flush:
                self.flush_demo_tables()
            self.load_blog(rng, sizes)
            self.load_clinic(rng, sizes)
        elapsed = perf_counter() - started

        if options["verbosity"] >= 1:
            for model in DEMO_MODELS:
                label = model._meta.label
                self.stdout.write(f"  {label:<24} {model.objects.count():>8,}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded demo data (seed={seed}, scale={scale:g}) in {elapsed:.2f}s."
                )
            )

    def flush_demo_tables(self) -> None:
        """Empty the demo tables and restart their id sequences, so a reload gets the same pks.

        The backend's own flush SQL is used (TRUNCATE ... RESTART IDENTITY on PostgreSQL, DELETE
        plus a sqlite_sequence reset on SQLite); deleting through the ORM would be slower and
        would leave the sequences where they were.
        """
        tables = [model._meta.db_table for model in DEMO_MODELS]
        # PostgreSQL refuses to TRUNCATE while deferred FK checks from earlier writes in the
        # same transaction are pending (e.g. when called inside a test); run them first.
        connection.check_constraints(table_names=tables)
        sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
        connection.ops.execute_sql_flush(sql)

    # -- blog ------------------------------------------------------------------------------------

    def load_blog(self, rng: random.Random, sizes: dict[str, int]) -> None:
        authors = bulk(Author, [self.make_author(rng, i) for i in range(sizes["authors"])])
        categories = self.make_categories(rng, sizes["categories"])
        tags = bulk(Tag, [Tag(name=numbered(TAG_NAMES, i)) for i in range(sizes["tags"])])

        posts = [self.make_post(rng, i, authors, categories) for i in range(sizes["posts"])]
        # bulk_create stamps auto_now/auto_now_add fields with the wall clock; keep the seeded
        # values aside and write them back afterwards (bulk_update does not touch auto_now).
        stamps = [(post.created_at, post.updated_at) for post in posts]
        posts = bulk(Post, posts)
        for post, (created_at, updated_at) in zip(posts, stamps, strict=True):
            post.created_at, post.updated_at = created_at, updated_at
        Post.objects.bulk_update(posts, ["created_at", "updated_at"], batch_size=BATCH_SIZE)

        links = [
            PostTag(post_id=post.pk, tag_id=tag.pk)
            for post in posts
            for tag in rng.sample(tags, min(len(tags), rng.randint(0, 4)))
        ]
        bulk(PostTag, links)
        bulk(Comment, [self.make_comment(rng, posts) for _ in range(sizes["comments"])])

    def make_author(self, rng: random.Random, index: int) -> Author:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        return Author(
            name=f"{first} {last}",
            email=f"{slugify(first)}.{slugify(last)}.{index}@example.com",
            bio=paragraphs(rng, rng.randint(1, 3)) if rng.random() < 0.7 else "",
            website=f"https://{slugify(last)}-{index}.example.org" if rng.random() < 0.5 else "",
            birth_date=random_birth_date(rng, 1950, 2000) if rng.random() < 0.8 else None,
            api_token=f"{rng.getrandbits(256):064x}",
            password_hash=f"demo${rng.getrandbits(128):032x}",
        )

    def make_categories(self, rng: random.Random, count: int) -> list[Category]:
        """Build ``count`` categories by repeating CATEGORY_TREE, one depth level at a time.

        Levels are inserted separately so that parents already have primary keys.
        """
        tree_size = len(CATEGORY_TREE)
        names = [name for name, _ in CATEGORY_TREE]

        def parent_index(index: int) -> int | None:
            parent = CATEGORY_TREE[index % tree_size][1]
            return None if parent is None else index - index % tree_size + parent

        def depth(index: int) -> int:
            parent = parent_index(index)
            return 0 if parent is None else depth(parent) + 1

        created: dict[int, Category] = {}
        for level in range(3):
            indexes = [i for i in range(count) if depth(i) == level]
            objs = []
            for i in indexes:
                name = numbered(names, i)
                parent = parent_index(i)
                objs.append(
                    Category(
                        name=name,
                        slug=slugify(name),
                        parent=None if parent is None else created[parent],
                        description=sentence(rng) if rng.random() < 0.6 else "",
                    )
                )
            created.update(zip(indexes, bulk(Category, objs), strict=True))
        return [created[i] for i in range(count)]

    def make_post(
        self,
        rng: random.Random,
        index: int,
        authors: list[Author],
        categories: list[Category],
    ) -> Post:
        status = rng.choices(
            [Post.Status.PUBLISHED, Post.Status.DRAFT, Post.Status.ARCHIVED],
            weights=[60, 25, 15],
        )[0]
        title = f"{rng.choice(TITLE_OPENERS)} {rng.choice(TITLE_SUBJECTS)}"
        body = paragraphs(rng, rng.randint(3, 14))
        words = len(body.split())
        created_at = random_minute(rng)
        metadata: dict[str, Any] = {"lang": rng.choice(LANGUAGES), "words": words}
        if rng.random() < 0.2:
            metadata["seo"] = {"keywords": rng.sample(WORDS[:30], 3), "index": rng.random() < 0.9}

        # A few scores exceed GraphQL's 32-bit Int yet stay exact as JSON numbers (< 2**53).
        big = rng.random() < 0.05
        score = rng.randint(2**31, 2**53) if big else rng.randint(-500, 10_000)

        return Post(
            title=title,
            slug=f"{slugify(title)}-{index + 1}",
            body=body,
            status=status,
            author=rng.choice(authors),
            category=rng.choice(categories) if rng.random() < 0.9 else None,
            views=0 if status == Post.Status.DRAFT else rng.randrange(50_000),
            rating=round(rng.uniform(1, 5), 2) if rng.random() < 0.8 else None,
            score=score,
            price=cents(rng.randrange(100, 5_000)) if rng.random() < 0.3 else Decimal("0.00"),
            published_at=None
            if status == Post.Status.DRAFT
            else created_at + timedelta(minutes=rng.randrange(60, 7 * 24 * 60)),
            uuid=make_uuid(rng),
            reading_time=timedelta(seconds=words * 60 // 200 + 30) if rng.random() < 0.85 else None,
            metadata=metadata,
            is_featured=status == Post.Status.PUBLISHED and rng.random() < 0.08,
            internal_notes=f"Reviewed by editor #{rng.randint(1, 9)}" if rng.random() < 0.3 else "",
            created_at=created_at,
            updated_at=created_at + timedelta(minutes=rng.randrange(30 * 24 * 60)),
        )

    def make_comment(self, rng: random.Random, posts: list[Post]) -> Comment:
        return Comment(
            post=rng.choice(posts),
            author_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)[0]}.",
            body=sentence(rng, 3, 30),
            is_approved=rng.random() < 0.9,
            created_at=random_minute(rng),
            rating=rng.randint(1, 5) if rng.random() < 0.7 else None,
        )

    # -- clinic ----------------------------------------------------------------------------------

    def load_clinic(self, rng: random.Random, sizes: dict[str, int]) -> None:
        clinics = bulk(Clinic, [self.make_clinic(rng, i) for i in range(sizes["clinics"])])
        doctors = [
            self.make_doctor(rng, i, clinics[i % len(clinics)]) for i in range(sizes["doctors"])
        ]
        patients = [self.make_patient(rng, i) for i in range(sizes["patients"])]
        self.insert_people(doctors + patients)

        appointments = bulk(
            Appointment,
            [self.make_appointment(rng, doctors, patients) for _ in range(sizes["appointments"])],
        )
        drugs = bulk(Drug, [self.make_drug(rng, i) for i in range(sizes["drugs"])])
        # Prescriptions are written at the end of a visit, so prefer appointments that happened.
        done = [a for a in appointments if a.status == Appointment.Status.DONE] or appointments
        prescriptions = [
            self.make_prescription(rng, done, drugs) for _ in range(sizes["prescriptions"])
        ]
        bulk(Prescription, prescriptions)

    def insert_people(self, people: list[Doctor | Patient]) -> None:
        """Insert multi-table-inherited rows: parents in bulk, then one INSERT per child row.

        Django refuses ``bulk_create`` on multi-table inheritance. A raw ``save_base`` is what
        ``loaddata`` uses to write only the child table once the parent row exists.
        """
        parent_fields = [field.attname for field in Person._meta.concrete_fields]
        parents = bulk(
            Person,
            [Person(**{name: getattr(p, name) for name in parent_fields}) for p in people],
        )
        for child, parent in zip(people, parents, strict=True):
            child.person_ptr_id = child.id = parent.pk
            child.save_base(raw=True, force_insert=True)

    def make_clinic(self, rng: random.Random, index: int) -> Clinic:
        return Clinic(
            name=numbered(CLINIC_NAMES, index),
            address=f"{rng.randint(1, 200)} {rng.choice(STREETS)}\nLondon",
            opening_time=rng.choice([time(7, 30), time(8, 0), time(9, 0)]),
            closing_time=rng.choice([time(17, 0), time(18, 30), time(20, 0)]),
            website=f"https://clinic-{index + 1}.example.org",
            founded=random_birth_date(rng, 1950, 2015) if rng.random() < 0.9 else None,
        )

    def make_doctor(self, rng: random.Random, index: int, clinic: Clinic) -> Doctor:
        return Doctor(
            **person_fields(rng, index, "clinic.example.org"),
            license_number=f"LIC-{index + 1:06d}",
            specialty=rng.choices(SPECIALTIES, weights=SPECIALTY_WEIGHTS)[0],
            clinic=clinic,
        )

    def make_patient(self, rng: random.Random, index: int) -> Patient:
        return Patient(
            **person_fields(rng, index, "mail.example.net"),
            insurance_number=f"INS-{rng.randrange(10**9):09d}" if rng.random() < 0.85 else "",
            blood_type=rng.choices(BLOOD_TYPES, weights=BLOOD_TYPE_WEIGHTS)[0],
        )

    def make_appointment(
        self,
        rng: random.Random,
        doctors: list[Doctor],
        patients: list[Patient],
    ) -> Appointment:
        day = BASE_TIME + timedelta(days=rng.randrange(365))
        starts_at = day.replace(hour=rng.randrange(8, 17), minute=rng.choice([0, 15, 30, 45]))
        if starts_at < APPOINTMENTS_PIVOT:
            done = rng.random() < 0.85
            status = Appointment.Status.DONE if done else Appointment.Status.CANCELLED
        else:
            kept = rng.random() < 0.9
            status = Appointment.Status.SCHEDULED if kept else Appointment.Status.CANCELLED
        return Appointment(
            patient=rng.choice(patients),
            doctor=rng.choice(doctors),
            starts_at=starts_at,
            duration=timedelta(minutes=rng.choice([15, 30, 30, 45, 60])),
            fee=cents(rng.randrange(4_000, 25_000)),
            status=status,
            priority=rng.choices(Appointment.Priority.values, weights=[25, 60, 15])[0],
            notes=sentence(rng) if rng.random() < 0.4 else "",
            reference=make_uuid(rng),
        )

    def make_drug(self, rng: random.Random, index: int) -> Drug:
        name = numbered(DRUG_NAMES, index)
        return Drug(
            name=name,
            code=slugify(name)[:40],
            unit_price=cents(rng.randrange(50, 20_000)),
            controlled=DRUGS[index % len(DRUGS)][1],
        )

    def make_prescription(
        self,
        rng: random.Random,
        appointments: list[Appointment],
        drugs: list[Drug],
    ) -> Prescription:
        return Prescription(
            appointment=rng.choice(appointments),
            drug=rng.choice(drugs),
            dosage=rng.choice(DOSAGES),
            quantity=rng.choice([1, 7, 10, 14, 20, 28, 30, 60, 90]),
            refills=rng.choice([0, 0, 0, 1, 2, 3, 5]),
        )
