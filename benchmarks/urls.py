"""``/graphql/`` exactly as the example project mounts it, plus the hand-written views and the
peers whose library is installed (``/peers/<name>/``)."""

from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from benchmarks import peers, raw_views

urlpatterns = [
    path("graphql/", include("django_graphql_auto.urls")),
    path("raw/", include(raw_views.urlpatterns)),
    *(path(f"peers/{name}/", csrf_exempt(view)) for name, view in peers.available().items()),
]
