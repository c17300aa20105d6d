"""`manage.py sync_roles`: create and update the Django groups declared in `ROLES`."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from django_graphql_auto.security.roles import UnknownPermissions, declared_roles, sync_roles


class Command(BaseCommand):
    help = (
        "Create the groups declared in DJANGO_GRAPHQL_AUTO['ROLES'] and set each group's "
        "permissions to exactly the declared ones. Idempotent; other groups are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would change without writing anything.",
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        try:
            roles = declared_roles()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        if not roles:
            self.stdout.write("No roles are declared (DJANGO_GRAPHQL_AUTO['ROLES'] is empty).")
            return
        try:
            changes = sync_roles(roles, dry_run=dry_run)
        except UnknownPermissions as error:
            raise CommandError(f"{error} Nothing was changed; run migrate first?") from None
        prefix = "[dry run] " if dry_run else ""
        for change in changes:
            self.stdout.write(prefix + change.describe())
        changed = sum(1 for change in changes if change.changed)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(f"{prefix}{len(changes)} role(s), {changed} {verb}.")
