"""URLs of one GraphQL endpoint: ``path("graphql/", include("django_graphql_auto.urls"))``.

Another schema is another include with a ``schema_name`` kwarg, which reaches both views::

    path("admin-graphql/", include("django_graphql_auto.urls"), {"schema_name": "admin"})

There is deliberately no ``app_name``: the package never calls ``reverse()`` (GraphiQL's asset URLs
are relative to the endpoint), so any number of includes coexist. A project that wants to reverse
a particular mount gives it a namespace:
``include(("django_graphql_auto.urls", "graphql"), namespace="admin_graphql")``.
"""

from django.urls import path

from django_graphql_auto.transport.graphiql import graphiql_asset
from django_graphql_auto.transport.http import GraphQLView

urlpatterns = [
    path("", GraphQLView.as_view(), name="graphql"),
    path("graphiql/<path:asset>", graphiql_asset, name="graphiql-asset"),
]
