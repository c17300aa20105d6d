"""The library's own bookkeeping: refresh tokens and multi-factor devices.

These models are never exposed by the generator (the library's app is left out of every schema,
even one that lists it in ``APPS``), and nothing secret is stored in clear: refresh tokens and
backup codes are kept as hashes, TOTP secrets encrypted (see :mod:`django_graphql_auto.security`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RefreshToken(models.Model):
    """One issued refresh token, by the SHA-256 of its text.

    Tokens issued by rotation share a ``family`` with the login that started it: presenting a
    token of the family that was already spent revokes the whole family (reuse detection), and
    access tokens carry the family, so revoking it also ends them at once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="graphql_refresh_tokens"
    )
    family = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    spent_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "refresh token"

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "spent" if self.spent_at else "live"
        return f"refresh token of user {self.user_id} (family {self.family}, {state})"


class MFADevice(models.Model):
    """A user's TOTP authenticator; unconfirmed until the user proves it with a first code."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="graphql_mfa_device"
    )
    encrypted_secret = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last TOTP time step accepted: that code, and any older one, is refused from then on.
    last_used_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "MFA device"

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "unconfirmed"
        return f"MFA device of user {self.user_id} ({state})"


class MFABackupCode(models.Model):
    """A one-time backup code, by its keyed hash; usable once."""

    device = models.ForeignKey(MFADevice, models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "MFA backup code"
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="dga_backup_code_unique")
        ]

    def __str__(self) -> str:
        return f"backup code of device {self.device_id} ({'used' if self.used_at else 'unused'})"
