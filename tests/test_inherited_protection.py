"""A column hidden on a model stays hidden on every model that shows the same column."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_graphql_auto.schema.registry import get_schema
from tests import factories as f

pytestmark = pytest.mark.django_db

PROTECTED = {
    "blog.Post": {"EXCLUDE_FIELDS": ["internal_notes"]},
    "clinic.Person": {
        "EXCLUDE_FIELDS": ["phone"],
        "FIELD_RULES": {"email": {"hidden": True}},
    },
    # The child's own settings add to its parent's, they do not replace them.
    "clinic.Patient": {"EXCLUDE_FIELDS": ["insurance_number"]},
}


def _fields(type_name: str) -> set[str]:
    return set(get_schema().schema.type_map[type_name].fields)


@override_settings(GRAPHQL_AUTO_MODELS=PROTECTED)
def test_multi_table_children_keep_their_parents_exclusions():
    assert "phone" not in _fields("Person")
    assert "phone" not in _fields("Doctor")
    assert not {"phone", "insurance_number"} & _fields("Patient")
    assert "internal_notes" not in _fields("PublishedPost")  # proxies, as before


@override_settings(GRAPHQL_AUTO_MODELS=PROTECTED)
def test_multi_table_children_keep_their_parents_field_rules(graphql):
    f.patient(email="secret@example.com")
    f.doctor(email="doc-secret@example.com")
    for query in (
        "{ people { email } }",
        "{ patients { email } }",
        "{ doctors { email } }",
        '{ patients(filters: {email: {icontains: "secret"}}) { id } }',
    ):
        result = graphql(query)
        assert result.codes == ["FORBIDDEN"], query
        assert "secret" not in str(result.body["data"] or "")


@override_settings(
    GRAPHQL_AUTO_APPS={},
    GRAPHQL_AUTO_MODELS={
        "blog.Post": {
            "EXCLUDE_FIELDS": ["internal_notes"],
            "PERMISSION_CLASSES": ["django_graphql_auto.permissions.IsAdminUser"],
        },
    },
)
def test_a_proxy_takes_the_access_rules_of_its_concrete_model(graphql, client, django_user_model):
    """Else `published_posts` would be a way around the rules set on `blog.Post`."""
    from django.contrib.auth.models import Permission

    f.post(status="published", title="Guarded")
    reader = django_user_model.objects.create_user("reader")
    reader.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(reader)
    for query in ("{ posts { title } }", "{ published_posts { title } }"):
        result = graphql(query)
        assert result.codes == ["FORBIDDEN"], query
        assert "Guarded" not in str(result.body)
