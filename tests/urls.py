"""The example project's routes plus one endpoint per test-only schema (tests/test_apps.py)."""

from django.urls import include, path
from example_project.urls import urlpatterns as example_urlpatterns

urlpatterns = [
    *example_urlpatterns,
    path("oddities-graphql/", include("django_graphql_auto.urls"), {"schema_name": "oddities"}),
    path("clashes-graphql/", include("django_graphql_auto.urls"), {"schema_name": "clashes"}),
]
