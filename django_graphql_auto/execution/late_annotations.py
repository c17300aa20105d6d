"""Annotations computed after a prefetch window instead of before it.

Django limits a prefetched list per parent (`Prefetch(lookup, rows[:3])`) by numbering the rows
with ROW_NUMBER() in a subquery and filtering on that number outside it. Every annotation of the
queryset is computed inside that subquery, that is for *every* related row of every parent,
before the window drops most of them: `authors { posts(limit: 3) { comments_count } }` counted
the comments of all 2,000 posts of 40 authors to return 120. The hand-written answer picks the
rows first and annotates only those; this iterable does the same within Django's prefetch:

    SELECT ..., (count subquery) FROM post
    WHERE id IN (SELECT id FROM (... ROW_NUMBER() ... WHERE author_id IN (...)) WHERE n <= 3)

Still one statement per level. Used for reverse foreign keys only, where the parent's key is a
column of the row itself (a many-to-many prefetch selects it through the join table, which the
outer query would lose).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable


def annotate_chosen(chosen: QuerySet, annotations: dict[str, Any], order_by: Any) -> QuerySet:
    """The rows `chosen` picks (by primary key), annotated on an outer query and ordered by
    `order_by`: the annotations are computed for those rows only."""
    rows = QuerySet(model=chosen.model, using=chosen.db).filter(pk__in=chosen.values("pk"))
    return rows.annotate(**annotations).order_by(*order_by)


class _AnnotatedAfterWindow(ModelIterable):
    annotations: dict[str, Any] = {}

    def __iter__(self) -> Iterator[Model]:
        chosen = self.queryset  # filters, row rules and (once prefetched) the window
        query = chosen.query
        # Prefetching has turned the slice into the window (whose ordering it has taken along).
        inner = chosen if query.is_sliced else chosen.order_by()
        rows = annotate_chosen(inner, self.annotations, query.order_by)
        rows.query.deferred_loading = query.deferred_loading
        rows.query.select_related = query.select_related
        yield from ModelIterable(rows, self.chunked_fetch, self.chunk_size)


def annotated_after_window(annotations: dict[str, Any]) -> type[ModelIterable]:
    """A model iterable for a prefetch queryset that annotates only the rows its window keeps."""
    return type("AnnotatedAfterWindow", (_AnnotatedAfterWindow,), {"annotations": annotations})
