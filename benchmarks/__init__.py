"""Benchmarks of django-graphql-auto against hand-written Django views (see docs/PERFORMANCE.md)."""
