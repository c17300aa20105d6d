"""The permission matrix (tests/test_permission_matrix.py): configuration, data, oracle, cases.

- **Configuration**: `DjangoModelPermissions` on every model (the default), owner rules on the
  blog models (`IsOwnerOrAdmin`, configured three different ways and composed with `&`, `|` and
  `ReadOnly`), `FIELD_RULES` with hidden and masked fields (conditional and unconditional, on a
  column, a relation, and inherited by a proxy and by multi-table children), and two `ROLES`.
- **Data** (`World`): every concrete column of every example model holds a value, and every
  string holds a unique token (`zq0042q`), so a leaked value is found by searching the raw JSON.
- **Oracle**: the expected outcome of a case, derived from the configuration above with Django's
  ORM only (which rows lie on each owner path, which permissions each role's groups grant). It
  never asks the library's policy.
- **Cases**: generated from the built schema: every model, every output field, every filter and
  ordering entry (also one level through each relation), every relation and count, every
  mutation field of the Mutation type, every connect field of the create and update inputs. A
  field or model added to the example is covered without touching the tests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ObjectDoesNotExist
from django.core.management import call_command
from django.db import models
from django.db.models import F, OuterRef, Subquery
from django.db.models.fields.files import FieldFile
from django.test.utils import override_settings
from graphql import GraphQLList, GraphQLNonNull, Undefined, get_named_type

from django_graphql_auto.introspection import inspect_model
from django_graphql_auto.permissions import (
    DjangoModelPermissions,
    IsOwnerOrAdmin,
    ReadOnly,
)
from tests.graphql_http import post_graphql

P = "django_graphql_auto.permissions."
FORBIDDEN = "FORBIDDEN"
APP_LABELS = ("blog", "clinic")
OPERATIONS = ("view", "add", "change", "delete")

# --- Configuration ------------------------------------------------------------------------------

#: Owner-ruled models: the lookup path from the model to its owning user.
OWNER_PATHS = {
    "blog.Author": "user",
    "blog.Post": "author__user",
    "blog.PublishedPost": "author__user",
    "blog.Comment": "post__author__user",
}
#: Owner-ruled models everybody with the view permission reads in full (`IsOwnerOrAdmin |
#: ReadOnly`): only their writes are the owner's.
READ_ALL = frozenset({"blog.Author"})

FIELD_RULES = {
    # Conditional hidden column: only the staff role reads an author's bio.
    "blog.Author": {"bio": {"hidden": True, "unless_role": "staff"}},
    # Conditional hidden relation (inherited by the proxy PublishedPost).
    "blog.Post": {"tags": {"hidden": True, "unless_role": "staff"}},
    # Conditional mask, lifted by a permission.
    "blog.Comment": {
        "author_name": {"masked": "[redacted]", "unless_permission": "blog.delete_comment"}
    },
    # Conditional mask on a parent, inherited by the multi-table children Patient and Doctor.
    "clinic.Person": {"phone": {"masked": "***", "unless_role": "staff"}},
    # Unconditional rules: they hold for superusers too.
    "clinic.Patient": {"insurance_number": {"hidden": True}},
    "clinic.Drug": {"unit_price": {"masked": None}},
}


def _permission_classes() -> dict[str, list[Any]]:
    model_perms = P + "DjangoModelPermissions"
    return {
        # OWNER_FIELD setting, composed with `|`: everybody reads, owners write.
        "blog.Author": [model_perms, IsOwnerOrAdmin | ReadOnly],
        # `with_field`.
        "blog.Post": [model_perms, IsOwnerOrAdmin.with_field("author__user")],
        # The dotted path plus OWNER_FIELD; a proxy does not inherit its concrete model's classes.
        "blog.PublishedPost": [model_perms, P + "IsOwnerOrAdmin"],
        # One composed `&` instance, owner two relations away.
        "blog.Comment": [DjangoModelPermissions & IsOwnerOrAdmin.with_field("post__author__user")],
    }


def model_settings() -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {
        "blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]},
        "auth.Permission": {"ENABLE_MUTATIONS": False},
    }
    for label, classes in _permission_classes().items():
        entries.setdefault(label, {})["PERMISSION_CLASSES"] = classes
    entries["blog.Author"]["OWNER_FIELD"] = OWNER_PATHS["blog.Author"]
    entries["blog.PublishedPost"]["OWNER_FIELD"] = OWNER_PATHS["blog.PublishedPost"]
    for label, rules in FIELD_RULES.items():
        entries.setdefault(label, {})["FIELD_RULES"] = rules
    return entries


def example_models() -> list[type[models.Model]]:
    return [m for label in APP_LABELS for m in apps.get_app_config(label).get_models()]


def _all_permissions() -> list[str]:
    return [
        f"{m._meta.app_label}.{op}_{m._meta.model_name}"
        for m in example_models()
        for op in OPERATIONS
    ]


def _writer_permissions() -> list[str]:
    blog = [m._meta.model_name for m in apps.get_app_config("blog").get_models()]
    return [
        *(f"blog.view_{name}" for name in blog),
        "blog.add_post",
        "blog.change_post",
        "blog.add_comment",
        "blog.change_comment",
        "blog.change_author",
        "blog.change_tag",
        "clinic.view_clinic",
        "clinic.view_doctor",
    ]


def declared_roles() -> dict[str, dict[str, Any]]:
    return {
        "staff": {"permissions": _all_permissions(), "description": "Every example model."},
        "writer": {"permissions": _writer_permissions(), "description": "Authors of the blog."},
    }


def matrix_settings():
    """override_settings for the matrix: the example's schemas, nothing opened by app."""
    return override_settings(
        DJANGO_GRAPHQL_AUTO={
            "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
            "ROLES": declared_roles(),
        },
        GRAPHQL_AUTO_APPS={},
        GRAPHQL_AUTO_MODELS=model_settings(),
    )


# --- Roles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    name: str
    username: str | None = None
    groups: tuple[str, ...] = ()
    is_staff: bool = False
    is_superuser: bool = False


ROLES = (
    Role("anonymous"),
    Role("no_perms", "nobody"),
    Role("owner", "olive", groups=("writer",)),
    Role("staff", "stella", groups=("staff",), is_staff=True),
    Role("superuser", "root", is_staff=True, is_superuser=True),
)
ROLE_NAMES = tuple(r.name for r in ROLES)
#: Owns the "foreign" rows: another writer, not a role under test.
OTHER_OWNER = Role("other_owner", "bob", groups=("writer",))


# --- Data -------------------------------------------------------------------------------------

TOKEN = re.compile(r"zq\d{4}q")


class World:
    """Users and rows, every string carrying a unique token; see `build`."""

    def __init__(self) -> None:
        self.n = 0
        self.users: dict[str, Any] = {}
        self.rows: dict[str, models.Model] = {}  # name -> row
        self.created: dict[str, list[str]] = {}  # model label -> names of rows made as it
        #: Answers computed once for every case and role (the data does not change: each test
        #: runs in a savepoint rolled back after it): cache name -> key -> value.
        self.cache: dict[str, dict[Any, Any]] = defaultdict(dict)

    # Values --------------------------------------------------------------------------------------

    def token(self) -> str:
        self.n += 1
        return f"zq{self.n:04d}q"

    def value(self, f: models.Field) -> Any:
        """A valid, distinctive value for a column (strings carry a fresh token)."""
        self.n += 1
        n = self.n
        if f.choices:
            choices = [c for c, _ in f.flatchoices if c != ""]
            return choices[n % len(choices)]
        tok = f"zq{n:04d}q"
        if isinstance(f, models.EmailField):
            return f"{tok}@example.com"
        if isinstance(f, models.URLField):
            return f"https://example.com/{tok}"
        if isinstance(f, models.SlugField):
            return f"s-{tok}"
        if isinstance(f, models.FileField):
            return ""
        if isinstance(f, models.CharField | models.TextField):
            return tok
        if isinstance(f, models.BooleanField):
            return n % 2 == 0
        if isinstance(f, models.BigIntegerField):
            return 2**40 + n
        if isinstance(f, models.IntegerField):
            return n % 30_000 + 1
        if isinstance(f, models.FloatField):
            return n + 0.5
        if isinstance(f, models.DecimalField):
            return Decimal(f"{n % 1000}.25")
        if isinstance(f, models.DateTimeField):
            return dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)
        if isinstance(f, models.DateField):
            return dt.date(2000, 1, 1) + dt.timedelta(days=n)
        if isinstance(f, models.TimeField):
            return dt.time(n % 24, n % 60)
        if isinstance(f, models.DurationField):
            return dt.timedelta(minutes=10 + n)
        if isinstance(f, models.UUIDField):
            return uuid.UUID(int=n)
        if isinstance(f, models.JSONField):
            return {"key": tok, "n": n}
        raise NotImplementedError(f"no sample value for {f!r}: teach World.value")

    def make(self, name: str, model: type[models.Model], **explicit: Any) -> models.Model:
        """A row of `model` with every own column filled, relations as given."""
        many = {k: explicit.pop(k) for k in list(explicit) if _is_m2m(model, k)}
        values = {}
        for f in model._meta.concrete_fields:
            if f.primary_key or f.is_relation or f.name in explicit:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            values[f.name] = self.value(f)
        row = model._default_manager.create(**values, **explicit)
        for key, related in many.items():
            getattr(row, key).set(related)
        self.rows[name] = row
        self.created.setdefault(model._meta.label, []).append(name)
        return row

    # The world ----------------------------------------------------------------------------------

    def build(self) -> World:
        from blog.models import Author, Category, Comment, Post, PublishedPost, Tag
        from clinic.models import (
            Appointment,
            Clinic,
            Doctor,
            Drug,
            Patient,
            Person,
            Prescription,
        )

        call_command("sync_roles", stdout=_Null())
        user_model = get_user_model()
        for role in (*ROLES, OTHER_OWNER):
            if role.username is None:
                continue
            # No passwords: the clients log in with force_login, and hashing is slow.
            email = f"{role.username}@example.com"
            if role.is_superuser:
                user = user_model.objects.create_superuser(role.username, email)
            else:
                user = user_model.objects.create_user(role.username, email, is_staff=role.is_staff)
            user.groups.add(*(Group.objects.get(name=g) for g in role.groups))
            self.users[role.name] = user
        olive, bob = self.users["owner"], self.users["other_owner"]

        olive_a = self.make("olive_author", Author, user=olive)
        bob_a = self.make("bob_author", Author, user=bob)
        free_a = self.make("free_author", Author, user=None)
        cat1 = self.make("cat1", Category, parent=None)
        cat2 = self.make("cat2", Category, parent=cat1)
        tag1, tag2 = self.make("tag1", Tag), self.make("tag2", Tag)
        published, draft = Post.Status.PUBLISHED, Post.Status.DRAFT
        p = self.make
        olive_p1 = p(
            "olive_post", Post, author=olive_a, category=cat1, tags=[tag1], status=published
        )
        p("olive_draft", Post, author=olive_a, category=cat2, status=draft)
        bob_p1 = p(
            "bob_post", Post, author=bob_a, category=cat1, tags=[tag1, tag2], status=published
        )
        bob_p2 = p("bob_draft", Post, author=bob_a, category=None, tags=[tag2], status=draft)
        free_p = p("free_post", Post, author=free_a, category=cat2, status=published)
        # The proxy's rows are the published posts.
        published_pks = set(PublishedPost.objects.values_list("pk", flat=True))
        self.created["blog.PublishedPost"] = [
            name for name in self.created["blog.Post"] if self.rows[name].pk in published_pks
        ]
        assert published_pks == {olive_p1.pk, bob_p1.pk, free_p.pk}
        p("olive_comment", Comment, post=olive_p1)
        p("bob_comment", Comment, post=bob_p1)
        p("bob_comment_2", Comment, post=bob_p2)
        p("free_comment", Comment, post=free_p)

        p("person", Person)
        clinic1, clinic2 = p("clinic1", Clinic), p("clinic2", Clinic)
        pat1, pat2 = p("patient1", Patient), p("patient2", Patient)
        doc1, doc2 = p("doctor1", Doctor, clinic=clinic1), p("doctor2", Doctor, clinic=clinic2)
        ap1 = p("appointment1", Appointment, patient=pat1, doctor=doc1)
        ap2 = p("appointment2", Appointment, patient=pat2, doctor=doc2)
        drug1, drug2 = p("drug1", Drug), p("drug2", Drug)
        p("drug_unused", Drug)  # deletable: nothing PROTECTs it
        p("prescription1", Prescription, appointment=ap1, drug=drug1)
        p("prescription2", Prescription, appointment=ap2, drug=drug2)
        del ap2, pat2, doc2
        return self

    # Row selectors (names used by the cases, resolved here) -----------------------------------

    def selectors(self, label: str) -> dict[str, int]:
        """Rows a case may aim at: `own` / `foreign` / `unowned` rows of owner-ruled models (as
        the owner role sees them), `first` / `last` otherwise."""
        cache = self.cache["selectors"]
        if label not in cache:
            cache[label] = self._selectors(label)
        return cache[label]

    def _selectors(self, label: str) -> dict[str, int]:
        names = self.created[label]
        if label in OWNER_PATHS:
            model = apps.get_model(label)
            path = OWNER_PATHS[label]
            result = {}
            for name in names:
                owner = _follow(model._base_manager.get(pk=self.rows[name].pk), path)
                kind = {self.users["owner"].pk: "own", self.users["other_owner"].pk: "foreign"}
                result.setdefault(kind.get(owner, "unowned"), self.rows[name].pk)
            return result
        return {"first": self.rows[names[0]].pk, "last": self.rows[names[-1]].pk}

    def probe(self, label: str) -> int:
        """The row whose values the filter cases look for: another user's row where rows have
        owners (the owner role must find nothing), else the last row."""
        chosen = self.selectors(label)
        return chosen.get("foreign", chosen.get("last"))


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _is_m2m(model: type[models.Model], name: str) -> bool:
    return model._meta.get_field(name).many_to_many


def _follow(obj: Any, path: str) -> Any:
    """The primary key at the end of an owner path (`author__user` -> user id), or None."""
    parts = path.split("__")
    for part in parts[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, obj._meta.get_field(parts[-1]).attname, None)


def related_pks(obj: models.Model, name: str) -> set[Any]:
    """Primary keys of the rows a relation of `obj` leads to (any kind of relation)."""
    try:
        value = getattr(obj, name)
    except ObjectDoesNotExist:
        return set()
    if value is None:
        return set()
    if isinstance(value, models.Model):
        return {value.pk}
    return set(value.all().values_list("pk", flat=True))


# --- Oracle -----------------------------------------------------------------------------------


def _rules_for(model: type[models.Model]) -> dict[str, dict[str, Any]]:
    """FIELD_RULES as documented: a proxy takes its concrete model's, a multi-table child its
    parents' (its own win)."""
    chain = []
    if model._meta.proxy:
        chain.append(model._meta.concrete_model)
    chain.extend(model._meta.concrete_model._meta.get_parent_list())
    merged: dict[str, dict[str, Any]] = {}
    for ancestor in reversed(chain):
        merged.update(FIELD_RULES.get(ancestor._meta.label, {}))
    merged.update(FIELD_RULES.get(model._meta.label, {}))
    return merged


class Oracle:
    """What the configuration says one role may do; Django's ORM only, never the policy."""

    def __init__(self, role: Role, world: World):
        self.role = role
        self.world = world
        self.user = world.users.get(role.name)
        self.authenticated = self.user is not None
        self.admin = role.is_staff or role.is_superuser
        declared = declared_roles()
        self.perms = frozenset(p for g in role.groups for p in declared[g]["permissions"])
        self._visible: dict[type[models.Model], frozenset[Any]] = {}

    # Operations and rows --------------------------------------------------------------------------

    def has_perm(self, permission: str) -> bool:
        return self.role.is_superuser or permission in self.perms

    def allows(self, model: type[models.Model], operation: str) -> bool:
        """DjangoModelPermissions (and the owner classes): a logged-in user with the permission
        (for a proxy, its own or its concrete model's)."""
        if not self.authenticated:
            return False
        opts = model._meta
        names = [f"{opts.app_label}.{operation}_{opts.model_name}"]
        if opts.proxy:
            concrete = opts.concrete_model._meta
            names.append(f"{concrete.app_label}.{operation}_{concrete.model_name}")
        return any(self.has_perm(n) for n in names)

    def visible(self, model: type[models.Model]) -> frozenset[Any]:
        if model not in self._visible:
            rows = model._default_manager.all()
            label = model._meta.label
            if label in OWNER_PATHS and label not in READ_ALL and not self.admin:
                rows = rows.filter(**{OWNER_PATHS[label]: self.user})
            self._visible[model] = frozenset(rows.values_list("pk", flat=True))
        return self._visible[model]

    def owns(self, obj: models.Model) -> bool:
        return self.user is not None and _follow(obj, OWNER_PATHS[obj._meta.label]) == self.user.pk

    def object_ok(self, obj: models.Model, operation: str) -> bool:
        """Owner-ruled rows are written by their owner or staff only."""
        if obj._meta.label not in OWNER_PATHS:
            return True
        return self.admin or self.owns(obj)

    # Fields -------------------------------------------------------------------------------------

    def _applies(self, rule: dict[str, Any]) -> bool:
        roles = rule.get("unless_role") or ()
        roles = (roles,) if isinstance(roles, str) else tuple(roles)
        permissions = rule.get("unless_permission") or ()
        permissions = (permissions,) if isinstance(permissions, str) else tuple(permissions)
        if not roles and not permissions:
            return True
        if not self.authenticated:
            return True
        if self.role.is_superuser:
            return False
        if set(roles) & set(self.role.groups):
            return False
        return not any(self.has_perm(p) for p in permissions)

    def field_state(self, model: type[models.Model], name: str) -> tuple[str, Any]:
        """("read", None), ("masked", mask) or ("hidden", None) for this caller."""
        rule = _rules_for(model).get(name)
        if rule is None or not self._applies(rule):
            return "read", None
        if rule.get("hidden") or rule.get("write_only"):
            return "hidden", None
        if "masked" in rule:
            return "masked", rule["masked"]
        return "read", None

    def readable(self, model: type[models.Model], name: str) -> bool:
        return self.field_state(model, name)[0] == "read"

    def selectable(self, model: type[models.Model], name: str) -> bool:
        return self.field_state(model, name)[0] != "hidden"

    def writable(self, model: type[models.Model], name: str) -> bool:
        rule = _rules_for(model).get(name)
        if rule is None or not self._applies(rule):
            return True
        return not (rule.get("hidden") or rule.get("read_only"))


# --- Outcomes ---------------------------------------------------------------------------------


@dataclass
class Denied:
    """FORBIDDEN; an error message names one of these (the operation or the field refused)."""

    reasons: list[str]


@dataclass
class Answer:
    """No error; the root field's value is exactly `data`."""

    data: Any


@dataclass
class Missing:
    """A write that answers `ok: false` with "No <Type> with id ..." and writes nothing."""

    type_name: str


@dataclass
class Done:
    """A write that answers `ok: true` (`refusable`: a method may refuse with its own
    validation error instead, `ok: false`, nothing written)."""

    refusable: bool = False


def op_denied(type_name: str, operation: str) -> str:
    return f"You may not {operation} {type_name} objects."


def field_denied(type_name: str, name: str, action: str = "read") -> str:
    return f"You may not {action} field '{name}' of {type_name}."


# --- Cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    role: str
    label: str  # model label
    kind: str
    detail: str = ""
    extra: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        model = self.label.split(".")[1]
        tail = f":{self.detail}" if self.detail else ""
        extra = f"@{'/'.join(self.extra)}" if self.extra else ""
        return f"{self.role}-{model}-{self.kind}{tail}{extra}"

    @property
    def group(self) -> str:
        """The cases one read test runs: one role, model, operation and root."""
        model = self.label.split(".")[1]
        extra = f"@{'/'.join(self.extra)}" if self.extra else ""
        return f"{self.role}-{model}-{self.kind}{extra}"


def leaf_fields(ms: Any) -> list[str]:
    """Output fields holding a value (columns and computed fields), id excluded."""
    names = []
    for gname in ms.object_type.fields:
        if gname == ms.id_name or gname in ms.counts or gname in ms.relations:
            continue
        if gname in ms.scalars or gname in ms.computed:
            names.append(gname)
        else:  # a field kind the matrix does not know yet must not go unnoticed
            raise AssertionError(f"{ms.type_name}.{gname}: unknown output field kind")
    return names


def filter_entries(ms: Any) -> tuple[list[str], list[str]]:
    """(scalar entries incl. id, relation entries) of the model's filter type."""
    scalars, relations = [], []
    for gname in ms.filter_type.fields:
        if gname in ("and", "or", "not"):
            continue
        (relations if gname in ms.relations else scalars).append(gname)
    return scalars, relations


def order_entries(ms: Any) -> tuple[list[str], list[str]]:
    scalars, relations = [], []
    for gname in ms.order_type.fields:
        (relations if gname in ms.relations else scalars).append(gname)
    return scalars, relations


def target_schema(bundle: Any, ms: Any, relation: str) -> Any:
    return bundle.models[ms.relations[relation].target]


def read_cases(bundle: Any) -> Iterator[Case]:
    for model, ms in bundle.models.items():
        label = model._meta.label
        selectors = ("own", "foreign", "unowned") if label in OWNER_PATHS else ("first", "last")
        for role in ROLE_NAMES:
            for selector in selectors:
                yield Case(role, label, "single", selector)
            yield Case(role, label, "list")
            yield Case(role, label, "pages")
            for gname in leaf_fields(ms):
                yield Case(role, label, "select", gname)
            # Relations and counts under each kind of root (the planner shapes each its way).
            for root in ("list", "single", "pages"):
                extra = () if root == "list" else (root,)
                for gname in ms.relations:
                    yield Case(role, label, "nested", gname, extra)
                for gname in ms.counts:
                    yield Case(role, label, "count", gname, extra)
            # Every field of every related row: the field rules hold under a relation too.
            for gname in ms.relations:
                for inner in leaf_fields(target_schema(bundle, ms, gname)):
                    yield Case(role, label, "nested_select", f"{gname}.{inner}")
            # Filter and order entries, and those one relation away.
            for kind, entries in (("filter", filter_entries), ("order", order_entries)):
                scalars, relations = entries(ms)
                for gname in scalars:
                    yield Case(role, label, kind, gname)
                for gname in relations:
                    target = target_schema(bundle, ms, gname)
                    for inner in entries(target)[0]:
                        yield Case(role, label, kind, f"{gname}.{inner}")


CONNECT_KINDS = ("connect", "set", "add", "remove")


def mutation_fields(bundle: Any) -> dict[str, tuple[type[models.Model], str, str]]:
    """Every mutation field of the schema but the authentication flows, as (model, kind,
    method name): kind is create / update / delete / bulk_create / bulk_update / bulk_delete /
    method. A field the matrix cannot place fails the generation."""
    auth = set(bundle.extras.get("auth_fields", {}).get("mutation", ()))
    names = {}
    by_base = sorted(bundle.models.items(), key=lambda item: -len(item[1].base_name))
    for gname in bundle.schema.mutation_type.fields:
        if gname in auth:
            continue
        for model, ms in by_base:
            base = ms.base_name
            crud = {
                f"{prefix}_{base}": prefix
                for prefix in ("create", "update", "delete", "bulk_create", "bulk_update")
            }
            crud[f"bulk_delete_{base}"] = "bulk_delete"
            if gname in crud:
                names[gname] = (model, crud[gname], "")
                break
            if gname.startswith(f"{base}_"):
                methods = {m.options["name"]: m.name for m in inspect_model(model).methods.values()}
                method = methods.get(gname[len(base) + 1 :])
                if method is not None:
                    names[gname] = (model, "method", method)
                    break
        else:
            raise AssertionError(f"mutation {gname} is not placed by the matrix")
    return names


def write_cases(bundle: Any) -> Iterator[Case]:
    for gname, (model, kind, _method) in mutation_fields(bundle).items():
        label = model._meta.label
        targets = ("own", "foreign") if label in OWNER_PATHS else ("last",)
        for role in ROLE_NAMES:
            if kind in ("create", "bulk_create"):
                yield Case(role, label, gname)
            elif kind in ("update", "delete", "method"):
                for target in targets:
                    yield Case(role, label, gname, target)
            else:  # bulk_update / bulk_delete: the caller's rows, then with another user's
                yield Case(role, label, gname, targets[0])
                if len(targets) > 1:
                    yield Case(role, label, gname, "+".join(targets))
    for model, ms in bundle.models.items():
        label = model._meta.label
        update = f"update_{ms.base_name}"
        if _has_mutation(bundle, update):
            # The payload reads every field back: a hidden one refuses the write itself.
            target = "own" if label in OWNER_PATHS else "last"
            for role in ROLE_NAMES:
                yield Case(role, label, update, target, ("all_fields",))
        for write, specs in (("create", ms.create_fields), ("update", ms.update_fields)):
            if not specs or not _has_mutation(bundle, f"{write}_{ms.base_name}"):
                continue
            for key, spec in specs.items():
                if spec.kind not in CONNECT_KINDS or spec.relation.target not in bundle.models:
                    continue
                target = spec.relation.target._meta.label
                aims = ("own", "foreign") if target in OWNER_PATHS else ("last",)
                for role in ROLE_NAMES:
                    for aim in aims:
                        yield Case(role, label, f"connect_{write}", key, (aim,))


def _has_mutation(bundle: Any, name: str) -> bool:
    return name in bundle.schema.mutation_type.fields


# --- Values as the API shows and takes them ----------------------------------------------------


def shown(ms: Any, gname: str, obj: models.Model, oracle: Oracle) -> Any:
    """The JSON value of an output field of `obj` for this caller."""
    if gname == ms.id_name:
        return str(obj.pk)
    gtype = get_named_type(ms.object_type.fields[gname].type)
    if gname in ms.computed:
        name = ms.computed[gname].name
        state, mask = oracle.field_state(ms.model, name)
        if state == "masked":
            return None if mask is None else gtype.serialize(mask)
        value = getattr(obj, name)
        value = value() if callable(value) else value
        return None if value is None else gtype.serialize(value)
    scalar = ms.scalars[gname]
    state, mask = oracle.field_state(ms.model, scalar.name)
    if state == "masked":
        return None if mask is None else gtype.serialize(mask)
    value = getattr(obj, scalar.info.attname)
    if isinstance(value, FieldFile):
        value = value.url if value else None
    elif scalar.enum and value == "":
        value = None
    elif isinstance(value, Decimal) and scalar.info.decimal_places is not None:
        value = value.quantize(Decimal(1).scaleb(-scalar.info.decimal_places))
    return None if value is None else gtype.serialize(value)


def filter_value(filter_type: Any, gname: str, value: Any) -> dict[str, Any]:
    """`{exact: value}` for a filter entry, serialized for the JSON variables."""
    entry = get_named_type(filter_type.fields[gname].type)
    exact = get_named_type(entry.fields["exact"].type)
    return {"exact": exact.serialize(value)}


def input_value(gtype: Any, f: models.Field | None, world: World) -> Any:
    """A valid value for an input field or argument (strings: fresh tokens)."""
    nullable = gtype.of_type if isinstance(gtype, GraphQLNonNull) else gtype
    if isinstance(nullable, GraphQLList):
        return [input_value(nullable.of_type, None, world)]
    named = get_named_type(gtype)
    if f is not None and not f.is_relation:
        return named.serialize(world.value(f))
    samples = {
        "String": world.token(),
        "Int": 30,
        "Float": 1.5,
        "Boolean": True,
        "DateTime": "2031-05-05T10:00:00+00:00",
        "Date": "2031-05-05",
        "Time": "10:00:00",
        "Decimal": "3.50",
        "ID": "1",
    }
    if named.name not in samples:
        raise AssertionError(f"no sample input for {named.name}: teach input_value")
    return samples[named.name]


# --- Running ------------------------------------------------------------------------------------


def post(client: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The conftest's `graphql` fixture, for a client logged in once per module."""
    response = post_graphql(client, query, variables)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def tokens_in(value: Any) -> set[str]:
    return set(TOKEN.findall(json.dumps(value)))


def assert_denied(body: dict[str, Any], key: str, expected: Denied, context: str) -> None:
    """FORBIDDEN, the field null, an error naming one of the reasons, and no value at all."""
    assert body.get("errors"), f"{context}: expected FORBIDDEN ({expected.reasons}), got {body}"
    assert set(codes(body)) == {FORBIDDEN}, f"{context}: {body['errors']}"
    messages = [e["message"] for e in body["errors"]]
    assert any(r in m for r in expected.reasons for m in messages), (
        f"{context}: refused for another reason: {messages}, expected one of {expected.reasons}"
    )
    assert (body.get("data") or {}).get(key) is None, f"{context}: {body}"
    leaked = tokens_in(body)
    assert not leaked, f"{context}: a refused request shows values {leaked}: {body}"


def check_batch(body: dict[str, Any], reads: list[Read], names: list[str]) -> list[str]:
    """Problems of a batched answer, one line per read that is not as expected.

    Per alias: a refusal is FORBIDDEN errors on that alias only, naming one of the expected
    reasons, with the field null; an answer has no error and exactly the expected value. No
    error message may show a stored value, and no field any value its expectation lacks."""
    errors = body.get("errors") or []
    data = body.get("data") or {}
    problems = []
    aliases = {f"r{i}" for i in range(len(reads))}
    stray = [e for e in errors if (e.get("path") or [None])[0] not in aliases]
    if stray:
        return [f"{name}: errors outside any case: {stray}" for name in names]
    shown_in_errors = tokens_in(errors)
    if shown_in_errors:
        problems.append(f"error messages show stored values {shown_in_errors}: {errors}")
    for i, (read, name) in enumerate(zip(reads, names, strict=True)):
        alias = f"r{i}"
        mine = [e for e in errors if e["path"][0] == alias]
        value = data.get(alias)
        expected = read.expected
        where = f"{name}: {read.document()} {read.variables or ''}"
        if isinstance(expected, Denied):
            messages = [e["message"] for e in mine]
            if not mine or {e.get("extensions", {}).get("code") for e in mine} != {FORBIDDEN}:
                problems.append(f"{where}\n  expected FORBIDDEN {expected.reasons}, got {mine}")
            elif not any(r in m for r in expected.reasons for m in messages):
                problems.append(f"{where}\n  refused for another reason: {messages}")
            if value is not None:
                problems.append(f"{where}\n  refused but answered {value}")
            continue
        leaked = tokens_in(value) - tokens_in(expected.data)
        if leaked:
            problems.append(f"{where}\n  shows values the caller may not see: {leaked}")
        if mine:
            problems.append(f"{where}\n  unexpected errors {mine}")
        elif value != expected.data:
            problems.append(f"{where}\n  got      {value}\n  expected {expected.data}")
    return problems


def ordered_pks(queryset: Any, expression: Any) -> list[Any]:
    return list(
        queryset.order_by(expression.asc(nulls_last=True), "pk").values_list("pk", flat=True)
    )


# --- Plans: one document and its expected outcome per case --------------------------------------


@dataclass
class Read:
    """One root field of a query and its expected value; several are batched into one
    document under aliases (see `batch`)."""

    field: str
    arguments: str  # may use $-variables, declared in `variables`
    selection: str
    variables: dict[str, tuple[str, Any]]  # name -> (GraphQL type, value)
    expected: Denied | Answer

    def text(self, alias: str) -> str:
        arguments = self.arguments
        for name in self.variables:
            arguments = arguments.replace(f"${name}", f"${alias}{name}")
        return f"{alias}: {self.field}({arguments}) {{ {self.selection} }}"

    def document(self) -> str:
        """The read alone, for failure messages."""
        return batch([self])[0]


def batch(reads: list[Read], general: bool = False) -> tuple[str, dict[str, Any]]:
    """One query with each read under the alias `r<i>`. `general` adds a root field that is not
    generated (`me`), which makes the engine use graphql-core's executor instead of the compiled
    one (see execution/compiled.py)."""
    definitions, variables, fields = [], {}, []
    for i, read in enumerate(reads):
        alias = f"r{i}"
        for name, (gtype, value) in read.variables.items():
            definitions.append(f"${alias}{name}: {gtype}")
            variables[f"{alias}{name}"] = value
        fields.append(read.text(alias))
    if general:
        fields.append("_general: me { __typename }")
    signature = f"({', '.join(definitions)})" if definitions else ""
    return f"query{signature} {{ {' '.join(fields)} }}", variables


@dataclass
class Plan:
    """One mutation and its expected outcome."""

    query: str
    variables: dict[str, Any] | None
    key: str  # the root field
    expected: Denied | Answer | Missing | Done
    #: "object" / "objects": the payload field reading the written rows back, and a function
    #: giving its expected value once the write is done.
    shows: str | None = None
    readback: Callable[[], Any] | None = None


class Planner:
    """Turns a case into a document and the oracle's expected outcome."""

    def __init__(self, bundle: Any, world: World, oracle: Oracle):
        self.bundle = bundle
        self.world = world
        self.oracle = oracle

    # Helpers -------------------------------------------------------------------------------

    def objects(self, model: type[models.Model]) -> dict[Any, models.Model]:
        cache = self.world.cache["objects"]
        if model not in cache:
            cache[model] = {obj.pk: obj for obj in model._default_manager.all()}
        return cache[model]

    def base_object(self, model: type[models.Model], pk: Any) -> models.Model:
        cache = self.world.cache["base_objects"]
        if (model, pk) not in cache:
            cache[(model, pk)] = model._base_manager.get(pk=pk)
        return cache[(model, pk)]

    def related(self, model: type[models.Model], pk: Any, name: str) -> set[Any]:
        cache = self.world.cache["related"]
        key = (model, pk, name)
        if key not in cache:
            cache[key] = related_pks(self.objects(model)[pk], name)
        return cache[key]

    def view_denied(self, model: type[models.Model]) -> list[str]:
        if self.oracle.allows(model, "view"):
            return []
        return [op_denied(self.bundle.type_name(model), "view")]

    def field_denied(self, model: type[models.Model], name: str, action: str) -> list[str]:
        ok = self.oracle.selectable if action == "read" else self.oracle.readable
        if ok(model, name):
            return []
        return [field_denied(self.bundle.type_name(model), name, action)]

    @staticmethod
    def model_name(ms: Any, gname: str) -> str:
        if gname in ms.scalars:
            return ms.scalars[gname].name
        if gname in ms.computed:
            return ms.computed[gname].name
        return ms.relations[gname].name

    def ids(self, pks: Any) -> list[dict[str, str]]:
        return [{"id": str(pk)} for pk in pks]

    # Reads ---------------------------------------------------------------------------------

    def read(self, case: Case) -> Read:
        model = apps.get_model(case.label)
        ms = self.bundle.models[model]
        return getattr(self, f"read_{case.kind}")(case, model, ms)

    def _rows(self, model, ms, chosen, pks) -> list[dict[str, Any]]:
        objects = self.objects(model)
        return [{g: shown(ms, g, objects[pk], self.oracle) for g in chosen} for pk in sorted(pks)]

    def _whole_rows(self, model, ms) -> tuple[list[str], list[str]]:
        """The selection of the single / list / pages cases: every field the caller may
        select (all of them when the model itself is refused)."""
        denied = self.view_denied(model)
        leaves = leaf_fields(ms)
        if not denied:
            leaves = [g for g in leaves if self.oracle.selectable(model, self.model_name(ms, g))]
        return [ms.id_name, *leaves], denied

    @staticmethod
    def _ordered(ms) -> str:
        return f"order_by: [{{{ms.id_name}: ASC}}]"

    def _list(self, ms, selection: str, expected, arguments: str = "", variables=None) -> Read:
        arguments = ", ".join(a for a in (arguments, self._ordered(ms)) if a)
        return Read(ms.list_name, arguments, selection, variables or {}, expected)

    def read_single(self, case, model, ms) -> Read:
        chosen, denied = self._whole_rows(model, ms)
        pk = self.world.selectors(case.label)[case.detail]
        if denied:
            expected: Denied | Answer = Denied(denied)
        elif pk in self.oracle.visible(model):
            expected = Answer(self._rows(model, ms, chosen, [pk])[0])
        else:
            expected = Answer(None)  # hidden exactly like a missing row
        return Read(ms.single_name, "id: $id", " ".join(chosen), {"id": ("ID!", str(pk))}, expected)

    def read_list(self, case, model, ms) -> Read:
        chosen, denied = self._whole_rows(model, ms)
        visible = self.oracle.visible(model)
        expected = Denied(denied) if denied else Answer(self._rows(model, ms, chosen, visible))
        return self._list(ms, " ".join(chosen), expected)

    def read_pages(self, case, model, ms) -> Read:
        chosen, denied = self._whole_rows(model, ms)
        visible = self.oracle.visible(model)
        if denied:
            expected: Denied | Answer = Denied(denied)
        else:
            items = self._rows(model, ms, chosen, visible)
            expected = Answer({"items": items, "page_info": {"total_count": len(visible)}})
        selection = f"items {{ {' '.join(chosen)} }} page_info {{ total_count }}"
        arguments = f"{self._ordered(ms)}, page_size: 100"
        return Read(ms.pages_name, arguments, selection, {}, expected)

    def read_select(self, case, model, ms) -> Read:
        gname = case.detail
        name = self.model_name(ms, gname)
        denied = self.view_denied(model) + self.field_denied(model, name, "read")
        chosen = [ms.id_name, gname]
        if denied:
            return self._list(ms, " ".join(chosen), Denied(denied))
        rows = self._rows(model, ms, chosen, self.oracle.visible(model))
        return self._list(ms, " ".join(chosen), Answer(rows))

    def _relation_denied(self, model, ms, gname: str, action: str) -> list[str]:
        relation = ms.relations[gname]
        return (
            self.view_denied(model)
            + self.field_denied(model, relation.name, action)
            + self.view_denied(relation.target)
        )

    def _rooted(self, case, model, ms, selection: str, denied: list[str], row) -> Read:
        """`selection` under the root the case names (list, single, pages); `row(pk)` is the
        expected value of one visible row."""
        root = case.extra[0] if case.extra else "list"
        visible = self.oracle.visible(model)
        if root == "single":
            pk = self.world.probe(case.label)
            expected: Denied | Answer = Denied(denied)
            if not denied:
                expected = Answer(row(pk) if pk in visible else None)
            variables = {"id": ("ID!", str(pk))}
            return Read(ms.single_name, "id: $id", selection, variables, expected)
        rows = None if denied else [row(pk) for pk in sorted(visible)]
        if root == "pages":
            expected = Denied(denied) if denied else Answer({"items": rows})
            arguments = f"{self._ordered(ms)}, page_size: 100"
            return Read(ms.pages_name, arguments, f"items {{ {selection} }}", {}, expected)
        return self._list(ms, selection, Denied(denied) if denied else Answer(rows))

    def read_nested(self, case, model, ms) -> Read:
        gname = case.detail
        relation = ms.relations[gname]
        target = self.bundle.models[relation.target]
        inner = f"{gname}({self._ordered(target)})" if relation.many else gname
        selection = f"{ms.id_name} {inner} {{ {target.id_name} }}"
        denied = self._relation_denied(model, ms, gname, "read")
        visible_targets = self.oracle.visible(relation.target) if not denied else frozenset()

        def row(pk):
            linked = sorted(self.related(model, pk, relation.name) & visible_targets)
            if relation.many:
                return {ms.id_name: str(pk), gname: self.ids(linked)}
            return {ms.id_name: str(pk), gname: self.ids(linked)[0] if linked else None}

        return self._rooted(case, model, ms, selection, denied, row)

    def read_nested_select(self, case, model, ms) -> Read:
        gname, leaf = case.detail.split(".", 1)
        relation = ms.relations[gname]
        target = self.bundle.models[relation.target]
        inner = f"{gname}({self._ordered(target)})" if relation.many else gname
        selection = f"{ms.id_name} {inner} {{ {target.id_name} {leaf} }}"
        denied = self._relation_denied(model, ms, gname, "read") + self.field_denied(
            relation.target, self.model_name(target, leaf), "read"
        )
        if denied:
            return self._list(ms, selection, Denied(denied))
        visible_targets = self.oracle.visible(relation.target)
        chosen = [target.id_name, leaf]
        rows = []
        for pk in sorted(self.oracle.visible(model)):
            linked = self.related(model, pk, relation.name) & visible_targets
            values = self._rows(relation.target, target, chosen, linked)
            if not relation.many:
                values = values[0] if values else None
            rows.append({ms.id_name: str(pk), gname: values})
        return self._list(ms, selection, Answer(rows))

    def read_count(self, case, model, ms) -> Read:
        gname = case.detail
        relation = ms.counts[gname].relation
        selection = f"{ms.id_name} {gname}"
        denied = (
            self.view_denied(model)
            + self.field_denied(model, relation.name, "count")
            + self.view_denied(relation.target)
        )
        visible_targets = self.oracle.visible(relation.target) if not denied else frozenset()

        def row(pk):
            linked = self.related(model, pk, relation.name) & visible_targets
            return {ms.id_name: str(pk), gname: len(linked)}

        return self._rooted(case, model, ms, selection, denied, row)

    def _probe_condition(self, ms, filter_type, gname: str, obj) -> tuple[dict, set[Any], list]:
        """(`{gname: {exact: <obj's value>}}`, rows of ms's model holding that value, refusals)."""
        model = ms.model
        if gname == ms.id_name:
            return {gname: {"exact": str(obj.pk)}}, {obj.pk}, []
        name = ms.scalars[gname].name
        raw = getattr(obj, ms.scalars[gname].info.attname)
        cache = self.world.cache["matching"]
        key = (model, name, obj.pk)
        if key not in cache:  # the same for every role
            cache[key] = set(
                model._default_manager.filter(**{name: raw}).values_list("pk", flat=True)
            )
        matching = set(cache[key])
        condition = {gname: filter_value(filter_type, gname, raw)}
        return condition, matching, self.field_denied(model, name, "filter on")

    def read_filter(self, case, model, ms) -> Read:
        visible = self.oracle.visible(model)
        probe = self.objects(model)[self.world.probe(case.label)]
        if "." not in case.detail:
            condition, matching, denied = self._probe_condition(
                ms, ms.filter_type, case.detail, probe
            )
            denied = self.view_denied(model) + denied
            expected = Denied(denied) if denied else Answer(self.ids(sorted(matching & visible)))
        else:
            gname, inner = case.detail.split(".", 1)
            relation = ms.relations[gname]
            target = self.bundle.models[relation.target]
            # The related row to look for: one of the probe's (another user's where rows have
            # owners), else any row of the target.
            linked = sorted(self.related(model, probe.pk, relation.name)) or sorted(
                relation.target._base_manager.values_list("pk", flat=True)
            )
            other = self.base_object(relation.target, linked[0])
            relation_filter = get_named_type(ms.filter_type.fields[gname].type)
            condition, matching, inner_denied = self._probe_condition(
                target, relation_filter, inner, other
            )
            condition = {gname: condition}
            denied = self._relation_denied(model, ms, gname, "filter on") + inner_denied
            if denied:
                expected = Denied(denied)
            else:
                matching &= self.oracle.visible(relation.target)
                found = [
                    pk
                    for pk in sorted(visible)
                    if self.related(model, pk, relation.name) & matching
                ]
                expected = Answer(self.ids(found))
        variables = {"f": (ms.filter_type.name, condition)}
        return self._list(ms, ms.id_name, expected, "filters: $f", variables)

    def read_order(self, case, model, ms) -> Read:
        visible = self.oracle.visible(model)
        rows = model._default_manager.filter(pk__in=visible)
        if "." not in case.detail:
            gname = case.detail
            item = f"{{{gname}: ASC_NULLS_LAST}}"
            if gname == ms.id_name:
                denied, expression = [], F("pk")
            else:
                name = ms.scalars[gname].name
                denied = self.field_denied(model, name, "order by")
                expression = F(name)
        else:
            gname, inner = case.detail.split(".", 1)
            relation = ms.relations[gname]
            assert relation.info.forward and not relation.many, case
            target = self.bundle.models[relation.target]
            item = f"{{{gname}: {{{inner}: ASC_NULLS_LAST}}}}"
            denied = self._relation_denied(model, ms, gname, "order by")
            column = "pk"
            if inner != target.id_name:
                column = target.scalars[inner].name
                denied += self.field_denied(relation.target, column, "order by")
            # A hidden related row sorts as if there were none.
            others = relation.target._default_manager.filter(
                pk=OuterRef(relation.info.attname),
                pk__in=self.oracle.visible(relation.target),
            )
            rows = rows.annotate(gqa_key=Subquery(others.values(column)[:1]))
            expression = F("gqa_key")
        denied = self.view_denied(model) + denied
        expected = Denied(denied) if denied else Answer(self.ids(ordered_pks(rows, expression)))
        # The item decides the order; the id only breaks ties (no second order_by here).
        return Read(ms.list_name, f"order_by: [{item}]", ms.id_name, {}, expected)

    # Writes --------------------------------------------------------------------------------

    def write(self, case: Case) -> Plan:
        model = apps.get_model(case.label)
        ms = self.bundle.models[model]
        if case.kind.startswith("connect_"):
            return self.write_connect(case, model, ms)
        _model, kind, method = mutation_fields(self.bundle)[case.kind]
        return getattr(self, f"write_{kind}")(case, model, ms, method)

    def _mutation(
        self, gname: str, arguments: dict[str, Any], shows: str = ""
    ) -> tuple[str, dict[str, Any]]:
        args = self.bundle.schema.mutation_type.fields[gname].args
        signature = ", ".join(f"${name}: {args[name].type}" for name in arguments)
        passed = ", ".join(f"{name}: ${name}" for name in arguments)
        selection = f"ok errors field_errors {{ field messages code }} {shows}"
        query = f"mutation({signature}) {{ {gname}({passed}) {{ {selection} }} }}"
        return query, arguments

    def payload_fields(self, ms: Any, every: bool = False) -> list[str]:
        """What a payload reads back: the fields the caller may select (`every`: all)."""
        leaves = leaf_fields(ms)
        if not every:
            if not self.oracle.allows(ms.model, "view"):
                return [ms.id_name]
            leaves = [g for g in leaves if self.oracle.selectable(ms.model, self.model_name(ms, g))]
        return [ms.id_name, *leaves]

    def shown_now(self, ms: Any, pks: list[Any], chosen: list[str]) -> list[dict[str, Any]]:
        """The rows as the caller sees them after the write (visibility asked afresh)."""
        model = ms.model
        rows = model._default_manager.filter(pk__in=pks)
        label = model._meta.label
        if label in OWNER_PATHS and label not in READ_ALL and not self.oracle.admin:
            rows = rows.filter(**{OWNER_PATHS[label]: self.oracle.user})
        found = {row.pk: row for row in rows}
        return [
            {g: shown(ms, g, found[pk], self.oracle) for g in chosen} for pk in pks if pk in found
        ]

    def _readback(self, ms: Any, key: str, chosen: list[str], pks) -> Callable[[], Any]:
        """The expected payload `object` / `objects` once the write is done. `pks` is a list, or
        a function of the rows created (for creates)."""
        known = set(ms.model._base_manager.values_list("pk", flat=True))

        def expected() -> Any:
            if not self.oracle.allows(ms.model, "view"):
                return None
            if callable(pks):
                fresh = ms.model._base_manager.exclude(pk__in=known).order_by("pk")
                wanted = list(fresh.values_list("pk", flat=True))
            else:
                wanted = pks
            rows = self.shown_now(ms, wanted, chosen)
            if key == "objects":
                return rows
            return rows[0] if rows else None

        return expected

    def _shows(self, ms: Any, key: str, every: bool = False) -> tuple[str, list[str]]:
        chosen = self.payload_fields(ms, every)
        return f"{key} {{ {' '.join(chosen)} }}", chosen

    def create_data(self, ms: Any) -> dict[str, Any]:
        """A valid create input: the required columns, and the required relations connected
        to a row of the owner role (or the last row where rows have no owner)."""
        data = {}
        fields = ms.create_input.fields
        for key, spec in ms.create_fields.items():
            if spec.kind == "scalar" and isinstance(fields[key].type, GraphQLNonNull):
                f = ms.model._meta.get_field(spec.name)
                data[key] = input_value(fields[key].type, f, self.world)
            elif spec.kind == "connect":
                f = ms.model._meta.get_field(spec.name)
                if not f.blank and not f.has_default():
                    chosen = self.world.selectors(spec.relation.target._meta.label)
                    data[key] = str(chosen.get("own", chosen.get("last")))
        return data

    def update_data(self, ms: Any) -> dict[str, Any]:
        """One plain text column set to a fresh token (nothing when the model has none)."""
        for key, spec in ms.update_fields.items():
            if spec.kind != "scalar":
                continue
            f = ms.model._meta.get_field(spec.name)
            plain = type(f) in (models.CharField, models.TextField) and not f.choices
            if plain:
                return {key: self.world.token()}
        return {}

    def row(self, label: str, aim: str) -> Any:
        return self.world.selectors(label)[aim]

    def expect_connect(self, target: type[models.Model], ids: list[str]) -> Denied | Missing | None:
        type_name = self.bundle.type_name(target)
        pks = [target._meta.pk.to_python(raw) for raw in ids]
        if not self.oracle.allows(target, "change"):
            return Denied([op_denied(type_name, "change")])
        if any(pk not in self.oracle.visible(target) for pk in pks):
            return Missing(type_name)
        for pk in pks:
            if not self.oracle.object_ok(target._base_manager.get(pk=pk), "change"):
                return Denied([f"You may not change {type_name} {pk}."])
        return None

    def _unwritable(self, ms: Any, specs: dict, data: dict) -> Denied | None:
        for key in data:
            spec = specs.get(key)
            if spec is not None and not self.oracle.writable(ms.model, spec.name):
                type_name = ms.type_name
                return Denied([f"You may not write field '{spec.name}' of {type_name}"])
        return None

    def _owner_after(self, ms: Any, data: dict, specs: dict, current: Any) -> Any:
        """The owner of the row as it would be saved (following a connected relation)."""
        path = OWNER_PATHS[ms.model._meta.label]
        first, _, rest = path.partition("__")
        for key, value in data.items():
            spec = specs[key]
            if spec.kind == "connect" and spec.name == first:
                if not rest:
                    return None  # connected straight to a user: not in these inputs
                other = spec.relation.target._base_manager.get(pk=value)
                return _follow(other, rest)
        return None if current is None else _follow(current, path)

    def expect_create(self, ms: Any, data: dict) -> Denied | Missing | Done:
        model, oracle = ms.model, self.oracle
        if not oracle.allows(model, "add"):
            return Denied([op_denied(ms.type_name, "add")])
        refused = self._unwritable(ms, ms.create_fields, data)
        if refused:
            return refused
        denial = f"You may not add this {ms.type_name}."
        return self._links_and_owner(ms, ms.create_fields, data, None, denial) or Done()

    def _links_and_owner(
        self, ms: Any, fields: dict, data: dict, row: Any, denial: str
    ) -> Denied | Missing | None:
        """What a write's links and its owner check refuse, in the order the library checks:
        to-one connects, then the owner the row would have, then to-many connects."""
        oracle = self.oracle
        later = []
        for key, value in data.items():
            spec = fields[key]
            if spec.kind == "connect":
                refused = self.expect_connect(spec.relation.target, [value])
                if refused:
                    return refused
            elif spec.kind in CONNECT_KINDS:
                later.append(spec)
        foreign = ms.model._meta.label in OWNER_PATHS and not oracle.admin
        if foreign and self._owner_after(ms, data, fields, row) != oracle.user.pk:
            return Denied([denial])
        for spec in later:
            refused = self.expect_connect(spec.relation.target, data[spec.graphql_name])
            if refused:
                return refused
        return None

    def expect_update(self, ms: Any, pk: Any, data: dict) -> Denied | Missing | Done:
        model, oracle = ms.model, self.oracle
        if not oracle.allows(model, "change"):
            return Denied([op_denied(ms.type_name, "change")])
        if pk not in oracle.visible(model):
            return Missing(ms.type_name)
        row = model._base_manager.get(pk=pk)
        if not oracle.object_ok(row, "change"):
            return Denied([f"You may not change {ms.type_name} {pk}."])
        refused = self._unwritable(ms, ms.update_fields, data)
        if refused:
            return refused
        denial = f"You may not change {ms.type_name} {pk}."
        return self._links_and_owner(ms, ms.update_fields, data, row, denial) or Done()

    def _bulk_rows(self, ms: Any, pks: list[Any], operation: str) -> Denied | Missing | None:
        model, oracle = ms.model, self.oracle
        if not oracle.allows(model, operation):
            return Denied([op_denied(ms.type_name, operation)])
        if any(pk not in oracle.visible(model) for pk in pks):
            return Missing(ms.type_name)
        for pk in pks:
            if not oracle.object_ok(model._base_manager.get(pk=pk), operation):
                return Denied([f"You may not {operation} {ms.type_name} {pk}."])
        return None

    def _written(self, case, ms, key, arguments, expected, pks, every=False) -> Plan:
        """A CRUD mutation reading its rows back (`object` / `objects`)."""
        shows, chosen = self._shows(ms, key, every)
        query, variables = self._mutation(case.kind, arguments, shows)
        readback = self._readback(ms, key, chosen, pks)
        return Plan(query, variables, case.kind, expected, key, readback)

    def write_create(self, case, model, ms, _method) -> Plan:
        data = self.create_data(ms)
        expected = self.expect_create(ms, data)
        return self._written(case, ms, "object", {"input": data}, expected, lambda: None)

    def write_bulk_create(self, case, model, ms, _method) -> Plan:
        items = [self.create_data(ms), self.create_data(ms)]
        expected = self.expect_create(ms, items[0])
        return self._written(case, ms, "objects", {"inputs": items}, expected, lambda: None)

    def write_update(self, case, model, ms, _method) -> Plan:
        pk, data = self.row(case.label, case.detail), self.update_data(ms)
        expected = self.expect_update(ms, pk, data)
        every = "all_fields" in case.extra
        if every and self.oracle.allows(model, "change") and self.oracle.allows(model, "view"):
            # The payload's selection is checked before anything is written.
            hidden = [
                field_denied(ms.type_name, self.model_name(ms, g), "read")
                for g in leaf_fields(ms)
                if not self.oracle.selectable(model, self.model_name(ms, g))
            ]
            expected = Denied(hidden) if hidden else expected
        arguments = {ms.id_name: str(pk), "input": data}
        return self._written(case, ms, "object", arguments, expected, [pk], every)

    def write_delete(self, case, model, ms, _method) -> Plan:
        pk = self.row(case.label, case.detail)
        expected = self._bulk_rows(ms, [pk], "delete") or Done()
        plan = self._written(case, ms, "object", {ms.id_name: str(pk)}, expected, [pk])
        before = plan.readback()  # shown as it was: the row is gone afterwards
        plan.readback = lambda: before
        return plan

    def write_bulk_update(self, case, model, ms, _method) -> Plan:
        pks = [self.row(case.label, aim) for aim in case.detail.split("+")]
        items = [{ms.id_name: str(pk), **self.update_data(ms)} for pk in pks]
        fields = {k: v for k, v in items[0].items() if k != ms.id_name}
        expected = (
            self._bulk_rows(ms, pks, "change")
            or self._unwritable(ms, ms.update_fields, fields)
            or Done()
        )
        return self._written(case, ms, "objects", {"inputs": items}, expected, pks)

    def write_bulk_delete(self, case, model, ms, _method) -> Plan:
        pks = [self.row(case.label, aim) for aim in case.detail.split("+")]
        expected = self._bulk_rows(ms, pks, "delete") or Done()
        arguments = {"ids": [str(pk) for pk in pks]}
        plan = self._written(case, ms, "objects", arguments, expected, pks)
        before = plan.readback()
        plan.readback = lambda: before
        return plan

    def write_method(self, case, model, ms, method) -> Plan:
        options = inspect_model(model).methods[method].options
        pk = self.row(case.label, case.detail)
        arguments: dict[str, Any] = {ms.id_name: str(pk)}
        for name, argument in self.bundle.schema.mutation_type.fields[case.kind].args.items():
            required = isinstance(argument.type, GraphQLNonNull)
            if name != ms.id_name and required and argument.default_value is Undefined:
                arguments[name] = input_value(argument.type, None, self.world)
        query, variables = self._mutation(case.kind, arguments)
        expected = self._bulk_rows(ms, [pk], options["operation"])
        permission = options["permission"]
        if expected is None and permission and not self.oracle.has_perm(permission):
            expected = Denied([f"You may not {options['name']} this {ms.type_name}."])
        return Plan(query, variables, case.kind, expected or Done(refusable=True))

    def write_connect(self, case, model, ms) -> Plan:
        write = case.kind.removeprefix("connect_")
        key, (aim,) = case.detail, case.extra
        specs = ms.create_fields if write == "create" else ms.update_fields
        spec = specs[key]
        target = self.row(spec.relation.target._meta.label, aim)
        value: Any = str(target) if spec.kind == "connect" else [str(target)]
        gname = f"{write}_{ms.base_name}"
        shows, chosen = self._shows(ms, "object")
        if write == "create":
            data = {**self.create_data(ms), key: value}
            query, variables = self._mutation(gname, {"input": data}, shows)
            readback = self._readback(ms, "object", chosen, lambda: None)
            return Plan(query, variables, gname, self.expect_create(ms, data), "object", readback)
        selected = self.world.selectors(case.label)
        pk = selected.get("own", selected.get("last"))
        data = {key: value}
        query, variables = self._mutation(gname, {ms.id_name: str(pk), "input": data}, shows)
        readback = self._readback(ms, "object", chosen, [pk])
        return Plan(query, variables, gname, self.expect_update(ms, pk, data), "object", readback)


def snapshot() -> list[Any]:
    """Every row of every example table (many-to-many links included): "nothing written"."""
    tables = []
    for model in example_models():
        if model._meta.proxy:
            continue
        tables.append(list(model._base_manager.order_by("pk").values()))
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if through._meta.auto_created:
                tables.append(list(through._base_manager.order_by("pk").values()))
    return tables


def assert_write(body: dict[str, Any], plan: Plan, before: list[Any], context: str) -> None:
    """The write's outcome as planned; `before` is every table as the test started."""
    expected = plan.expected
    if isinstance(expected, Denied):
        assert_denied(body, plan.key, expected, context)
        assert snapshot() == before, f"{context}: a refused write changed the database"
        return
    assert not body.get("errors"), f"{context}: unexpected errors {body['errors']}"
    payload = body["data"][plan.key]
    wanted = {"ok": True, "errors": [], "field_errors": []}
    if isinstance(expected, Done) and plan.shows is not None:
        wanted[plan.shows] = plan.readback()
    # Only what the caller sent, or may read back, may appear in the answer.
    leaked = tokens_in(body) - tokens_in(plan.variables) - tokens_in(wanted)
    assert not leaked, f"{context}: the answer shows stored values {leaked}: {body}"
    if isinstance(expected, Missing):
        assert payload["ok"] is False, f"{context}: expected 'no such row', got {payload}"
        wanted = f"No {expected.type_name} with id"
        messages = [
            *payload["errors"],
            *(m for e in payload["field_errors"] for m in e["messages"]),
        ]
        assert any(wanted in m for m in messages), f"{context}: {payload}"
        assert not payload.get(plan.shows or "object"), f"{context}: {payload}"
        assert snapshot() == before, f"{context}: a write on a missing row changed the database"
        return
    if expected.refusable and payload["ok"] is False:
        assert payload["errors"] == ["The method refused the input."], f"{context}: {payload}"
        assert snapshot() == before, f"{context}: a refused method changed the database"
        return
    assert payload == wanted, f"{context}:\n  got      {payload}\n  expected {wanted}"
