"""``BENCH_MODEL_COUNT`` generated models (default 50) for ``benchmarks/schema_build.py``.

Each model has eight fields of mixed types (text, long text, integer, decimal, date-time,
boolean, a text field with choices, JSON) and, from the second model on, a foreign key to an
earlier model, so the relation count grows with the model count exactly as the column count
does. Which earlier model is set by ``BENCH_MODEL_SHAPE``:

* ``tree`` (default): model *i* points to model *(i - 1) // 2*, a balanced tree: every model has
  one forward and at most two reverse relations, and no path through the models is longer than
  about 2·log2(n);
* ``chain``: model *i* points to model *i - 1*, one path through every model. This is the worst
  case for anything that walks the type graph recursively (graphql-core's type collection does:
  see docs/PERFORMANCE.md).

No table is ever created: building a schema reads models, never the database.
"""

import os

from django.db import models

COUNT = int(os.environ.get("BENCH_MODEL_COUNT", "50"))
SHAPE = os.environ.get("BENCH_MODEL_SHAPE", "tree")
STATUS_CHOICES = [("new", "New"), ("active", "Active"), ("closed", "Closed")]


def _fields(index: int) -> dict:
    fields = {
        "__module__": __name__,
        "name": models.CharField(max_length=100),
        "description": models.TextField(blank=True),
        "quantity": models.IntegerField(default=0),
        "price": models.DecimalField(max_digits=10, decimal_places=2, default=0),
        "created_at": models.DateTimeField(null=True, blank=True),
        "active": models.BooleanField(default=True),
        "status": models.CharField(max_length=10, choices=STATUS_CHOICES, default="new"),
        "extra": models.JSONField(default=dict, blank=True),
        "Meta": type("Meta", (), {"app_label": "bench_models"}),
    }
    if index:
        target = index - 1 if SHAPE == "chain" else (index - 1) // 2
        fields["previous"] = models.ForeignKey(
            f"bench_models.Model{target:04d}",
            null=True,
            blank=True,
            on_delete=models.CASCADE,
            related_name="next_items",
        )
    return fields


for _index in range(COUNT):
    _name = f"Model{_index:04d}"
    globals()[_name] = type(_name, (models.Model,), _fields(_index))
