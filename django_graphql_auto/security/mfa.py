"""Time-based one-time passwords (RFC 6238, pyotp) and one-time backup codes.

* The TOTP secret is stored encrypted (Fernet, with a key derived from ``SECRET_KEY``; keys
  derived from ``SECRET_KEY_FALLBACKS`` still decrypt, so the usual key rotation works).
* A code is accepted within ``MFA_TOTP_WINDOW`` time steps of now, and only if its time step is
  later than the last one accepted for the device: a replayed code (or an older one) is refused.
  The check and the update are one conditional UPDATE, so two requests racing with the same code
  cannot both win.
* Backup codes are random (50 bits), shown once, stored as keyed hashes, and each is spent by a
  conditional UPDATE: usable exactly once.
* ``MFA_REQUIRED_ROLES``: a member of a listed group without a confirmed device gets no tokens
  from ``login`` and cannot refresh the tokens they already hold (:func:`missing_for_role`).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from typing import Any

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from django_graphql_auto.models import MFABackupCode, MFADevice

_SECRET_SALT = "django_graphql_auto.security.mfa.secret-encryption"
_BACKUP_SALT = "django_graphql_auto.security.mfa.backup-code"
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i

#: The refusal of ``login`` and ``refresh_token`` for a role that requires MFA not set up yet.
ROLE_REQUIRES_MFA = "Your role requires multi-factor authentication: set it up to sign in."


def _fernet_key(secret_key: str) -> bytes:
    digest = salted_hmac(_SECRET_SALT, "fernet", secret=secret_key, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None  # SECRET_KEY changed without a fallback: the device cannot be used


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def device_of(
    user: Any, *, confirmed: bool | None = None, for_update: bool = False
) -> MFADevice | None:
    """The user's device; ``for_update`` locks its row until the transaction ends."""
    if user is None or not getattr(user, "pk", None):
        return None
    queryset = MFADevice.objects.filter(user=user)
    if for_update:
        queryset = queryset.select_for_update()
    if confirmed is True:
        queryset = queryset.filter(confirmed_at__isnull=False)
    elif confirmed is False:
        queryset = queryset.filter(confirmed_at__isnull=True)
    return queryset.first()


def has_confirmed_device(user: Any) -> bool:
    return device_of(user, confirmed=True) is not None


def provisioning_uri(secret: str, user: Any, issuer: str) -> str:
    return _totp(secret).provisioning_uri(name=user.get_username(), issuer_name=issuer)


def start_setup(user: Any) -> str:
    """A new secret for ``user`` on an unconfirmed device (replacing an unconfirmed one)."""
    secret = pyotp.random_base32()
    with transaction.atomic():
        MFADevice.objects.filter(user=user, confirmed_at__isnull=True).delete()
        MFADevice.objects.create(user=user, encrypted_secret=encrypt_secret(secret))
    return secret


def _normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def is_totp_code(code: str) -> bool:
    code = "".join(code.split())
    # isdigit() alone accepts other scripts' digits ("١٢٣٤٥٦"), which no authenticator shows.
    return len(code) == 6 and code.isascii() and code.isdigit()


def verify_totp(device: MFADevice, code: str, window: int) -> bool:
    """Accept ``code`` once: its time step must be newer than the last one accepted."""
    secret = decrypt_secret(device.encrypted_secret)
    code = "".join(code.split())
    if secret is None or not is_totp_code(code):
        return False
    totp = _totp(secret)
    current = int(time.time()) // totp.interval
    matched = None
    for offset in range(-window, window + 1):
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    if matched is None:
        return False
    accepted = (
        MFADevice.objects.filter(pk=device.pk)
        .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=matched))
        .update(last_used_step=matched)
    )
    return accepted == 1


def _backup_hash(code: str) -> str:
    return salted_hmac(_BACKUP_SALT, _normalize(code), algorithm="sha256").hexdigest()


def _new_backup_code() -> str:
    raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def new_backup_codes(device: MFADevice, count: int) -> list[str]:
    """Replace the device's backup codes with ``count`` new ones; returns them in clear, once."""
    codes = [_new_backup_code() for _ in range(count)]
    with transaction.atomic():
        device.backup_codes.all().delete()
        MFABackupCode.objects.bulk_create(
            MFABackupCode(device=device, code_hash=_backup_hash(code)) for code in codes
        )
    return codes


def use_backup_code(device: MFADevice, code: str) -> bool:
    normalized = _normalize(code)
    if len(normalized) != 10:
        return False
    spent = MFABackupCode.objects.filter(
        device=device, code_hash=_backup_hash(normalized), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


def verify_code(device: MFADevice, code: str, window: int, *, allow_backup: bool = True) -> bool:
    """A current TOTP code or, when allowed, an unused backup code."""
    if not isinstance(code, str):
        return False
    if is_totp_code(code):
        return verify_totp(device, code, window)
    return allow_backup and use_backup_code(device, code)


def confirm(device: MFADevice) -> None:
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])


def disable(user: Any) -> None:
    MFADevice.objects.filter(user=user).delete()


def required_for(user: Any, roles: list[str] | tuple[str, ...]) -> bool:
    """True when ``user`` belongs to a group named in ``MFA_REQUIRED_ROLES``."""
    if not roles or not hasattr(user, "groups"):
        return False
    return user.groups.filter(name__in=list(roles)).exists()


def missing_for_role(user: Any, roles: list[str] | tuple[str, ...]) -> bool:
    """True when ``user``'s role requires MFA and they have no confirmed device.

    Checked at refresh as at login: a user added to such a role keeps no token family that
    was signed in with the password alone. Confirming a device ends every other family of the
    user (``confirm_mfa``; the caller's own has just proved a code), so with a confirmed device
    every live family has passed MFA, and the device is all there is to check.
    """
    return required_for(user, roles) and not has_confirmed_device(user)
