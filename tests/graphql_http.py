"""One GraphQL POST through Django's test client, as every HTTP test sends it."""

from __future__ import annotations

import json
from typing import Any


def post_graphql(
    client: Any,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    operation_name: str | None = None,
    path: str = "/graphql/",
    **headers: Any,
) -> Any:
    """The raw response to `{"query", "variables", "operationName"}` sent as JSON, asking for
    application/graphql-response+json."""
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    if operation_name is not None:
        payload["operationName"] = operation_name
    return client.post(
        path,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_ACCEPT="application/graphql-response+json",
        **headers,
    )
