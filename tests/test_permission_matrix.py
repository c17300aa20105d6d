"""The permission matrix (issue 5, acceptance): each example model, operation and role.

For each model of the schema (generated from `get_schema().models`, so a new model or field is
covered automatically) and each role (anonymous, authenticated without permissions, owner, staff
with every model permission through a `ROLES` group, superuser), the outcome of each operation
equals what the configuration in `tests/matrix_support.py` says:

- reads: single (own, another user's and an unowned row), list, pages, each output field, each
  relation (nested list or to-one) and `<relation>_count` under a list, a single and a pages
  root, each field of each related row, a filter on each filter entry (and one level through
  each relation, on every field of the related model), an ordering on each ordering entry (and
  one level through each to-one relation); every document is answered twice, by the compiled
  executor and by graphql-core's;
- writes: every mutation field of the Mutation type (create, update, delete, bulk, method
  mutations) on the caller's row and on another user's, each connect field of the create and
  update inputs connected to the caller's row and to another user's, and an update whose
  payload reads every field back.

The expected outcome comes from a small oracle (`matrix_support.Oracle`) that reads the
configuration and the data with Django's ORM, never the library's policy. A refused read is
FORBIDDEN, naming the operation or field refused, with the field null and **no stored value
anywhere in the response** (every stored string carries a unique token, and the raw JSON is
searched for them); an allowed read returns exactly the expected rows and values (masks
included, hidden rows absent or null). A refused write is FORBIDDEN (or "no such row") and
leaves every example table unchanged; an allowed write answers `ok: true` and its payload shows
exactly the written rows as the caller may see them.

The data is built once for the module (in a transaction rolled back at the end) and each test
runs in its own savepoint; the schema is built once (the conftest's per-test schema reset is
overridden here). Reads are batched a few root fields per document, each under its own alias, so
one test covers one role, model and operation.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from django_graphql_auto.schema.registry import clear_schemas, get_schema
from tests.matrix_support import (
    OPERATIONS,
    OWNER_PATHS,
    READ_ALL,
    ROLES,
    Oracle,
    Planner,
    World,
    assert_write,
    batch,
    check_batch,
    matrix_settings,
    mutation_fields,
    post,
    read_cases,
    snapshot,
    write_cases,
)

pytestmark = pytest.mark.django_db

with matrix_settings():
    clear_schemas()
    _bundle = get_schema()
    READ_CASES = list(read_cases(_bundle))
    WRITE_CASES = list(write_cases(_bundle))
    MODELS = {model._meta.label for model in _bundle.models}
    RELATED = {model._meta.label for model, ms in _bundle.models.items() if ms.relations}
    COUNTED = {model._meta.label for model, ms in _bundle.models.items() if ms.counts}
    MUTATIONS = set(mutation_fields(_bundle))
    del _bundle
clear_schemas()

#: Root fields per document: the default limits allow 20 root fields and a cost of 10,000.
BATCH = 8
READ_GROUPS = [
    tuple(cases)
    for _, cases in itertools.groupby(READ_CASES, key=lambda c: (c.role, c.label, c.kind, c.extra))
]


@dataclass
class Matrix:
    bundle: Any
    world: World
    clients: dict[str, Client]
    planners: dict[str, Planner]
    baseline: list[Any]  # every example table, as built


@pytest.fixture(autouse=True)
def _fresh_schemas():
    """Overrides the conftest's per-test schema reset: the module shares one schema."""
    yield


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    with matrix_settings(), django_db_blocker.unblock(), transaction.atomic():
        clear_schemas()
        world = World().build()
        bundle = get_schema()
        clients, planners = {}, {}
        for role in ROLES:
            client = Client()
            if role.username is not None:
                client.force_login(world.users[role.name])
            clients[role.name] = client
            planners[role.name] = Planner(bundle, world, Oracle(role, world))
        yield Matrix(bundle, world, clients, planners, snapshot())
        transaction.set_rollback(True)
    clear_schemas()


@pytest.mark.parametrize("group", READ_GROUPS, ids=lambda group: group[0].group)
def test_read(matrix, group):
    """The cases of one role, model, operation (and root), a few root fields per document
    (within the default query limits), each document answered once by the compiled executor
    and once by graphql-core's."""
    planner, client = matrix.planners[group[0].role], matrix.clients[group[0].role]
    problems = []
    for start in range(0, len(group), BATCH):
        cases = group[start : start + BATCH]
        reads = [planner.read(case) for case in cases]
        for executor in ("compiled", "general"):
            body = post(client, *batch(reads, general=executor == "general"))
            names = [f"{case.id} ({executor} executor)" for case in cases]
            problems += check_batch(body, reads, names)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", WRITE_CASES, ids=lambda case: case.id)
def test_write(matrix, case):
    plan = matrix.planners[case.role].write(case)
    body = post(matrix.clients[case.role], plan.query, plan.variables)
    # Every test starts from the module's data (each runs in a savepoint rolled back after it),
    # so "nothing written" compares with the picture taken once.
    assert_write(body, plan, matrix.baseline, f"{case.id}: {plan.query} {plan.variables}")


# --- The matrix itself -------------------------------------------------------------------------


def test_every_model_operation_and_role_is_covered():
    """The cases are generated from the schema: each model has each read operation for each
    role, and every mutation field of the schema has cases for each role."""
    roles = {role.name for role in ROLES}
    reads = Counter((c.label, c.kind, c.role) for c in READ_CASES)
    for label in MODELS:
        for kind in ("single", "list", "pages", "select", "filter", "order"):
            for role in roles:
                assert reads[(label, kind, role)], (label, kind, role)
    assert {c.label for c in READ_CASES if c.kind == "nested"} == RELATED
    assert {c.label for c in READ_CASES if c.kind == "count"} == COUNTED
    assert {c.kind for c in WRITE_CASES if not c.kind.startswith("connect_")} == MUTATIONS
    assert {(c.kind, c.role) for c in WRITE_CASES} >= {(m, r) for m in MUTATIONS for r in roles}
    assert {c.kind for c in WRITE_CASES if c.kind.startswith("connect_")} == {
        "connect_create",
        "connect_update",
    }


def test_configuration_is_not_degenerate(matrix):
    """What the matrix relies on, in the oracle's own words: the roles differ, the owner rules
    hide rows, and field rules hide and mask per role (unconditional ones even for superusers)."""
    from blog.models import Author, Comment, Post
    from clinic.models import Doctor, Drug, Patient

    oracle = {name: planner.oracle for name, planner in matrix.planners.items()}
    every_model = [apps.get_model(label) for label in MODELS]
    for role in ("anonymous", "no_perms"):
        assert not any(oracle[role].allows(m, op) for m in every_model for op in OPERATIONS)
    for role in ("staff", "superuser"):
        assert all(oracle[role].allows(m, op) for m in every_model for op in OPERATIONS)
    owner = oracle["owner"]
    assert owner.allows(Post, "change") and not owner.allows(Post, "delete")
    assert not owner.allows(Patient, "view") and owner.allows(Doctor, "view")
    for label in OWNER_PATHS:
        model = apps.get_model(label)
        every = frozenset(model._default_manager.values_list("pk", flat=True))
        assert oracle["staff"].visible(model) == every
        assert owner.visible(model) == every if label in READ_ALL else owner.visible(model) < every
    assert [owner.field_state(Author, "bio")[0], oracle["staff"].field_state(Author, "bio")[0]] == [
        "hidden",
        "read",
    ]
    assert owner.field_state(Comment, "author_name") == ("masked", "[redacted]")
    assert oracle["staff"].field_state(Comment, "author_name") == ("read", None)
    assert owner.field_state(Doctor, "phone") == ("masked", "***")  # from clinic.Person
    assert oracle["superuser"].field_state(Patient, "insurance_number") == ("hidden", None)
    assert oracle["superuser"].field_state(Drug, "unit_price") == ("masked", None)
