"""Keys and numbers beyond what the example project has (`tests/oddities`, served at
/oddities-graphql/).

- A model with Django 5.2's CompositePrimaryKey is left out of the schema, and so are the
  relations to it, with warning W103: its tuple id cannot round-trip through `ID` yet.
- A `DecimalField(max_digits=30)` value reads back exactly, on the compiled path and on the
  general executor (Python's default decimal context holds only 28 digits).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.db import connection
from graphql import print_schema

from django_graphql_auto.execution import engine
from django_graphql_auto.schema.registry import get_schema
from tests.test_apps import test_app

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/oddities-graphql/"
WIDE = "12345678901234567890.0123456789"  # 30 digits: more than the default context's 28


def _stored(pk: int) -> str:
    """The wide value as the database keeps it: exactly on PostgreSQL (numeric); SQLite
    stores a decimal column as a double, so there it is the nearest double, still 30 digits."""
    from tests.oddities.models import Measure

    stored = Measure.objects.get(pk=pk).wide
    if connection.vendor == "postgresql":
        assert stored == Decimal(WIDE)
    return f"{stored:.10f}"


@pytest.fixture
def oddities():
    with test_app("oddities") as path:
        yield path


def test_a_composite_key_model_is_left_out_with_a_warning(graphql, oddities):
    from tests.oddities.models import Invoice, InvoiceLine

    invoice = Invoice.objects.create(number="A-1")
    InvoiceLine.objects.create(invoice=invoice, position=1, text="one")
    sdl = print_schema(get_schema("oddities").schema)
    assert "InvoiceLine" not in sdl and "invoice_line" not in sdl
    invoice_type = sdl.split("type Invoice {", 1)[1].split("}", 1)[0]
    assert "lines" not in invoice_type
    result = graphql("{ invoices { id number } }", path=PATH)
    assert result.ok() == {"invoices": [{"id": str(invoice.pk), "number": "A-1"}]}
    refused = graphql("{ invoice_lines { text } }", path=PATH)
    assert refused.status == 400 and refused.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert InvoiceLine.objects.count() == 1
    warnings = [m for m in run_checks() if m.id == "django_graphql_auto.W103"]
    assert len(warnings) == 1 and "oddities.InvoiceLine" in warnings[0].msg
    assert not [m for m in run_checks() if m.id == "django_graphql_auto.E101"]


def _spy_compiled(monkeypatch, *, general: bool) -> list[bool]:
    """Records whether the compiled path answered; `general` forces graphql-core's executor."""
    answered: list[bool] = []
    real = engine.execute_compiled

    def spy(*args):
        result = None if general else real(*args)
        answered.append(result is not None)
        return result

    monkeypatch.setattr(engine, "execute_compiled", spy)
    return answered


@pytest.mark.parametrize("general", [False, True], ids=["compiled", "general"])
def test_a_thirty_digit_decimal_reads_back_exactly(graphql, oddities, monkeypatch, general):
    from tests.oddities.models import Measure

    measure = Measure.objects.create(wide=Decimal(WIDE), name="wide")
    Measure.objects.create(wide=Decimal("-0.5"), name="small")
    answered = _spy_compiled(monkeypatch, general=general)
    result = graphql("{ measures(order_by: [{id: ASC}]) { id wide name } }", path=PATH)
    wide = _stored(measure.pk)
    assert result.ok() == {
        "measures": [
            {"id": str(measure.pk), "wide": wide, "name": "wide"},
            {"id": str(measure.pk + 1), "wide": "-0.5000000000", "name": "small"},
        ]
    }
    assert answered == [not general]
    single = graphql(
        "query($id: ID!) { measure(id: $id) { wide } }", {"id": str(measure.pk)}, path=PATH
    )
    assert single.ok() == {"measure": {"wide": wide}}


def test_a_thirty_digit_decimal_is_written_and_read_back_by_a_mutation(graphql, oddities):
    from tests.oddities.models import Measure

    result = graphql(
        'mutation($w: Decimal) { create_measure(input: {wide: $w, name: "m"}) {'
        " ok errors object { wide } } }",
        {"w": WIDE},
        path=PATH,
    )
    wide = _stored(Measure.objects.get().pk)
    assert result.ok() == {"create_measure": {"ok": True, "errors": [], "object": {"wide": wide}}}
    found = graphql(
        "query($w: Decimal) { measures(filters: {wide: {exact: $w}}) { wide } }",
        {"w": WIDE},
        path=PATH,
    )
    assert found.ok() == {"measures": [{"wide": wide}]}
