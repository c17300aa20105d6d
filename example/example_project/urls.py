"""URL routes for the demo.

The same GraphQL view is mounted twice: the public endpoint uses the default schema, and
``admin-graphql/`` selects the "admin" schema (configured in settings) through the URL kwargs,
which shows how one project can expose differently-scoped APIs side by side.
"""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("graphql/", include("django_graphql_auto.urls")),
    path("admin-graphql/", include("django_graphql_auto.urls"), {"schema_name": "admin"}),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    # Uploaded covers/attachments are only served by Django in development.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
