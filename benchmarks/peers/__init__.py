"""Peer implementations: the benchmark's documents answered by graphene-django and
strawberry-django, written the way a team would hand-write them with each library's optimizer.

They stand in for the shared harness's peers (``../shared/bench`` is not on this machine): same
models, same data, same HTTP stack, same documents as ``benchmarks/queries.py`` sends to our API,
so their medians sit in the same table. Each module exposes ``view``, a Django view taking a
GraphQL-over-HTTP POST. The libraries come from the ``bench`` extra (``pip install -e
".[bench]"``, which ``make bench`` runs); a peer whose library is missing is skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

PEERS = {
    "graphene": "benchmarks.peers.graphene_api",
    "strawberry": "benchmarks.peers.strawberry_api",
}


def available() -> dict[str, Callable[..., Any]]:
    """The peers whose library is installed, as ``{name: view}``."""
    views = {}
    for name, module in PEERS.items():
        try:
            views[name] = importlib.import_module(module).view
        except ImportError:
            continue
    return views
