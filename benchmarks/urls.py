"""``/graphql/`` exactly as the example project mounts it, plus the hand-written views."""

from django.urls import include, path

from benchmarks import raw_views

urlpatterns = [
    path("graphql/", include("django_graphql_auto.urls")),
    path("raw/", include(raw_views.urlpatterns)),
]
