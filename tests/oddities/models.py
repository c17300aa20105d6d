"""Models a real project has and the example project does not: keys other than an auto id,
a foreign key to a unique non-key column, decimals beyond 28 digits, database defaults.

Served by the "oddities" schema (tests/settings.py, URL /oddities-graphql/); the default and
admin schemas leave this app out.
"""

from __future__ import annotations

from django.db import models


class Country(models.Model):
    iso = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=50)


class City(models.Model):
    """Points at `Country.iso`, not at its primary key (`to_field`)."""

    country = models.ForeignKey(
        Country, on_delete=models.CASCADE, to_field="iso", related_name="cities"
    )
    name = models.CharField(max_length=50)


class Code(models.Model):
    """An editable, non-numeric primary key."""

    code = models.CharField(max_length=40, primary_key=True)
    label = models.CharField(max_length=50, blank=True)


class CodeNote(models.Model):
    owner = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="notes")
    note = models.CharField(max_length=50)


class CodeBadge(models.Model):
    """A one-to-one that is the primary key (without multi-table inheritance)."""

    code = models.OneToOneField(Code, on_delete=models.CASCADE, primary_key=True)
    label = models.CharField(max_length=50)


class Measure(models.Model):
    wide = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    level = models.IntegerField(db_default=5)
    name = models.CharField(max_length=50, blank=True)


class Invoice(models.Model):
    number = models.CharField(max_length=20)


class InvoiceLine(models.Model):
    """Django 5.2's composite primary key."""

    pk = models.CompositePrimaryKey("invoice", "position")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    text = models.CharField(max_length=50)
