"""`manage.py export_schema [--schema NAME] [--out FILE]`: the schema as SDL."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from graphql import print_schema

from django_graphql_auto.conf import schema_names
from django_graphql_auto.schema.registry import get_schema


class Command(BaseCommand):
    help = "Write the GraphQL schema (SDL) of one configured schema to stdout or a file."

    def add_arguments(self, parser):
        parser.add_argument("--schema", default="default", help="Schema name (default: default).")
        parser.add_argument("--out", help="File to write instead of stdout.")

    def handle(self, *args, schema: str, out: str | None, **options):
        if schema not in schema_names():
            known = ", ".join(schema_names())
            raise CommandError(f"Unknown schema '{schema}'; configured schemas: {known}.")
        sdl = print_schema(get_schema(schema).schema) + "\n"
        if out:
            Path(out).write_text(sdl, encoding="utf-8")
            self.stderr.write(f"Wrote schema '{schema}' to {out}.")
        else:
            self.stdout.write(sdl, ending="")
