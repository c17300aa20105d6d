"""One dispatch point for "a row changed", fed by every mutation, single or bulk.

Bulk writes bypass Django's model signals, so subscribers (and caches) listen here instead.
Events are sent only after the surrounding transaction commits: a rolled-back write was never a
change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import models, transaction
from django.dispatch import Signal

ChangeKind = Literal["created", "updated", "deleted"]

#: Sent once per committed batch with `events=[ChangeEvent, ...]`.
changes_committed = Signal()


@dataclass(frozen=True)
class ChangeEvent:
    model: type[models.Model]
    pk: object
    kind: ChangeKind
    fields: frozenset[str]  # model field names written (empty for deletes)


def dispatch(events: list[ChangeEvent], using: str | None = None) -> None:
    """Send `events` once the current transaction commits (at once outside a transaction)."""
    if not events:
        return
    batch = list(events)
    transaction.on_commit(
        lambda: changes_committed.send(sender=ChangeEvent, events=batch), using=using
    )
