"""`manage.py clear_expired_tokens`: delete the rows of expired refresh tokens."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from django_graphql_auto.security.tokens import clear_expired


class Command(BaseCommand):
    help = "Delete stored refresh tokens that have expired (run it daily, e.g. from cron)."

    def handle(self, *args, **options):
        deleted = clear_expired()
        self.stdout.write(f"Deleted {deleted} expired refresh token(s).")
