"""A many-to-many through a model (Doctor.patients through Appointment) reads that model.

The links are Appointment rows: who saw which doctor. Reading them through the relation (a
nested list, its count, a relation filter, ordering) needs the same access as reading
appointments, and is refused while a row rule hides some appointments from the caller
(execution/context.py `RequestContext.require_relation`).
"""

from __future__ import annotations

import pytest
from clinic.models import Appointment

from django_graphql_auto.permissions import BasePermission
from tests import factories as f
from tests.authz import P, settings_with, user

pytestmark = pytest.mark.django_db

THROUGH = [
    "{ doctors { patients { first_name } } }",
    "{ doctors { patients_count } }",
    "{ patients { doctors { last_name } } }",
    '{ patients(filters: {doctors: {last_name: {exact: "House"}}}) { first_name } }',
]


class HideCancelledAppointments(BasePermission):
    filters_rows = True

    def filter_queryset(self, request, model, queryset):
        return queryset.exclude(status=Appointment.Status.CANCELLED)


@pytest.fixture
def seen():
    house = f.doctor(last_name="House")
    f.appointment(doctor=house, patient=f.patient(first_name="Secret"), status="cancelled")
    return house


def _appointments(**config):
    return settings_with(models={"clinic.Appointment": config})


@pytest.mark.parametrize("query", THROUGH)
def test_links_are_refused_when_the_through_model_is(graphql, seen, query):
    with _appointments(PERMISSION_CLASSES=[P + "IsAdminUser"]):
        assert graphql("{ appointments { id } }").codes == ["FORBIDDEN"]
        result = graphql(query)
    assert result.codes == ["FORBIDDEN"]
    assert "Secret" not in str(result.body) and "House" not in str(result.body)


@pytest.mark.parametrize("query", THROUGH)
def test_links_need_the_through_models_django_permission(graphql, client, seen, query):
    closed = {"clinic": {"PERMISSION_CLASSES": [P + "DjangoModelPermissions"]}}
    reader = user("reader", "clinic.view_doctor", "clinic.view_patient", "clinic.view_person")
    client.force_login(reader)
    with settings_with(apps=closed):
        assert graphql(query).codes == ["FORBIDDEN"]
    reader = user("nurse", "clinic.view_doctor", "clinic.view_patient", "clinic.view_person",
                  "clinic.view_appointment")  # fmt: skip
    client.force_login(reader)
    with settings_with(apps=closed):
        assert graphql(query).ok()


@pytest.mark.parametrize("query", THROUGH)
def test_links_are_refused_while_a_row_rule_hides_some_through_rows(graphql, seen, query):
    with _appointments(PERMISSION_CLASSES=[HideCancelledAppointments]):
        assert graphql("{ appointments { id } }").ok() == {"appointments": []}
        result = graphql(query)
    assert result.codes == ["FORBIDDEN"]
    assert "through Appointment" in result.errors[0]["message"]
    assert "Secret" not in str(result.body)


def test_links_are_read_when_the_through_model_is_open(graphql, seen):
    data = graphql("{ doctors { patients { first_name } patients_count } }").ok()
    assert data == {"doctors": [{"patients": [{"first_name": "Secret"}], "patients_count": 1}]}
