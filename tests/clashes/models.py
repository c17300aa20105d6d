"""Models whose names or values collide with names the generator derives: a model named like
another model's order, page or enum type, like a scalar, a choice set whose values all become
the same enum name, a field name GraphQL cannot carry.

Served by the "clashes" schema (tests/settings.py, URL /clashes-graphql/).
"""

from __future__ import annotations

from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=50)
    size = models.CharField(max_length=1, choices=[("s", "Small"), ("l", "Large")], blank=True)


class ProductOrder(models.Model):
    """`ProductOrder` is also the name of Product's ordering input."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="orders")
    quantity = models.PositiveIntegerField(default=1)


class ProductSize(models.Model):
    """`ProductSize` is also the name of the enum of `Product.size`."""

    label = models.CharField(max_length=20)


class Upload(models.Model):
    """`Upload` is also a scalar."""

    name = models.CharField(max_length=50)


class Blog(models.Model):
    title = models.CharField(max_length=50)


class BlogPage(models.Model):
    """`blog_pages` is also Blog's page field, and `BlogPage` its page type."""

    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="pages")
    title = models.CharField(max_length=50)


class Vote(models.Model):
    """Choice values that all become `_`: `+`, `-` and `?`."""

    mark = models.CharField(max_length=1, choices=[("+", "Up"), ("-", "Down"), ("?", "Unsure")])


class Guest(models.Model):
    prénom = models.CharField(max_length=50)  # not a GraphQL name
    family_name = models.CharField(max_length=50)
