"""The token lifecycle: issue a pair, authenticate an access token, rotate, revoke.

* An **access token** (default 5 minutes) authenticates a request (``Authorization: Bearer``).
* A **refresh token** (default 7 days) buys a new pair once: :func:`rotate` marks it spent and
  issues the next token of the same *family*. Presenting a spent token again means two parties
  hold it, so the whole family is revoked (reuse detection); the thief's and the owner's tokens
  all stop working and the user logs in again.
* Refresh tokens are stored as the SHA-256 of their text, never in clear.
* Every token carries ``pwd``, a keyed fingerprint of the user's password hash, checked on every
  use: a password change, by whatever means (``set_password``, the admin, ``changepassword``,
  even a queryset update), ends every outstanding token at once; the next refresh attempt also
  marks the user's stored refresh tokens revoked.
* Access tokens carry their family (``fam``): authenticating one checks, in the same query that
  loads the user, that the family is not revoked, so logout and reuse detection end the access
  tokens too, not only the refresh tokens.
* ``MFA_REQUIRED_ROLES`` applies at rotation as at login: a member of such a role without a
  confirmed MFA device cannot refresh (the family is revoked), or a refresh token obtained
  before the user joined the role would keep the login alive forever.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from django_graphql_auto.models import RefreshToken
from django_graphql_auto.security import jwt, mfa
from django_graphql_auto.security.jwt import InvalidToken, JWTSettings

_PASSWORD_SALT = "django_graphql_auto.security.tokens.password-fingerprint"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    user: Any


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_fingerprint(user: Any) -> str:
    """A short keyed digest of the stored password hash (not of the password): it changes
    whenever the password does, and tells a token reader nothing."""
    return salted_hmac(_PASSWORD_SALT, user.password or "", algorithm="sha256").hexdigest()[:22]


def _same_password(user: Any, claims: dict[str, Any]) -> bool:
    return constant_time_compare(password_fingerprint(user), str(claims.get("pwd", "")))


def _user_pk(subject: str) -> Any:
    try:
        return get_user_model()._meta.pk.to_python(subject)
    except (ValidationError, ValueError, TypeError):
        raise InvalidToken("The token is invalid.") from None


def _active(user: Any) -> bool:
    return getattr(user, "is_active", True) is not False


def issue_pair(user: Any, config: Any, *, family: uuid.UUID | None = None) -> TokenPair:
    """A new access + refresh token for ``user``; the refresh token is stored hashed."""
    settings = JWTSettings.from_config(config)
    family = family or uuid.uuid4()
    subject = str(user.pk)
    fingerprint = password_fingerprint(user)
    access_lifetime = config["JWT_ACCESS_TOKEN_LIFETIME"]
    refresh_lifetime = config["JWT_REFRESH_TOKEN_LIFETIME"]
    access, _ = jwt.issue(
        jwt.ACCESS, subject, access_lifetime, settings, fam=str(family), pwd=fingerprint
    )
    refresh, _ = jwt.issue(
        jwt.REFRESH, subject, refresh_lifetime, settings, fam=str(family), pwd=fingerprint
    )
    RefreshToken.objects.create(
        user=user,
        family=family,
        token_hash=token_hash(refresh),
        expires_at=timezone.now() + timedelta(seconds=refresh_lifetime),
    )
    return TokenPair(access, refresh, access_lifetime, refresh_lifetime, user)


def authenticate_access(token: str, config: Any) -> tuple[Any, uuid.UUID]:
    """The user an access token stands for, and its family; raises :class:`InvalidToken`.

    One query: the user, provided the token's family has not been revoked.
    """
    claims = jwt.decode(token, jwt.ACCESS, JWTSettings.from_config(config))
    try:
        family = uuid.UUID(str(claims.get("fam")))
    except ValueError:
        raise InvalidToken("The token is invalid.") from None
    live_family = RefreshToken.objects.filter(
        user=OuterRef("pk"), family=family, revoked_at__isnull=True
    )
    user_model = get_user_model()
    user = (
        user_model._default_manager.filter(pk=_user_pk(claims["sub"]))
        .filter(Exists(live_family))
        .first()
    )
    if user is None:
        raise InvalidToken("The token has been revoked.")
    if not _active(user):
        raise InvalidToken("The user is inactive.")
    if not _same_password(user, claims):
        raise InvalidToken("The password has changed since the token was issued.")
    return user, family


def revoke_family(family: Any) -> int:
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def revoke_user(user: Any, *, keep_family: Any = None) -> int:
    """Revoke every refresh token (and so every access token) of ``user``, except those of
    ``keep_family`` when given (the caller's own login)."""
    live = RefreshToken.objects.filter(user=user, revoked_at__isnull=True)
    if keep_family is not None:
        live = live.exclude(family=keep_family)
    return live.update(revoked_at=timezone.now())


def family_started(family: Any) -> bool:
    """True once a token of ``family`` was issued (rows stay, revoked or spent, until they
    expire): an MFA ticket names the family its login starts, so this makes it single-use."""
    return RefreshToken.objects.filter(family=family).exists()


def rotate(token: str, config: Any) -> TokenPair:
    """Spend ``token`` and return the next pair of its family; raises :class:`InvalidToken`.

    Refusals that must revoke something (reuse, a changed password) commit the revocation
    before raising.
    """
    settings = JWTSettings.from_config(config)
    claims = jwt.decode(token, jwt.REFRESH, settings)
    refusal: str | None = None
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=token_hash(token))
            .first()
        )
        if row is None or str(row.user.pk) != claims["sub"] or str(row.family) != claims["fam"]:
            raise InvalidToken("The refresh token is unknown.")
        now = timezone.now()
        if row.revoked_at is not None:
            refusal = "The refresh token has been revoked."
        elif row.spent_at is not None:
            revoke_family(row.family)
            refusal = "The refresh token was already used: every token of its login is revoked."
        elif row.expires_at <= now:
            refusal = "The refresh token has expired."
        elif not _same_password(row.user, claims):
            revoke_user(row.user)
            refusal = "The password has changed since the token was issued."
        elif not _active(row.user):
            revoke_user(row.user)
            refusal = "The user is inactive."
        elif mfa.missing_for_role(row.user, config["MFA_REQUIRED_ROLES"]):
            revoke_family(row.family)
            refusal = mfa.ROLE_REQUIRES_MFA
        else:
            row.spent_at = now
            row.save(update_fields=["spent_at"])
            return issue_pair(row.user, config, family=row.family)
    raise InvalidToken(refusal)


def revoke_token(token: str, config: Any) -> bool:
    """Logout with a refresh token: revoke its family. Expired tokens are accepted (a late
    logout must still work); a token that is not ours raises :class:`InvalidToken`."""
    claims = jwt.decode(token, jwt.REFRESH, JWTSettings.from_config(config), verify_exp=False)
    row = RefreshToken.objects.filter(token_hash=token_hash(token)).first()
    if row is None or str(row.user_id) != claims["sub"]:
        raise InvalidToken("The refresh token is unknown.")
    revoke_family(row.family)
    return True


def clear_expired(now: Any = None) -> int:
    """Delete the rows of refresh tokens that expired; returns how many."""
    deleted, _ = RefreshToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
