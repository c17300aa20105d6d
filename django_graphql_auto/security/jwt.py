"""Signing and checking JSON Web Tokens (PyJWT), with the algorithm pinned by the settings.

Every token this library issues is a JWT with ``type`` (``access``, ``refresh``, ``mfa`` or
``mfa_setup``), ``sub`` (the user's primary key as a string), ``iat``, ``nbf``, ``exp``, ``iss``,
``aud`` and ``jti``. :func:`decode` checks all of them and the expected ``type``, so a refresh
token or an MFA ticket is never taken for an access token.

Keys:

* ``HS256`` / ``HS384`` / ``HS512`` (``HS256`` by default) sign with ``JWT_SECRET`` when it is set
  (at least 32 characters), otherwise with a sub-key derived from ``SECRET_KEY`` by HMAC: never
  ``SECRET_KEY`` itself, so a token can never help anyone forge a session or a password-reset
  link, and changing the derivation salt invalidates every token at once.
* ``RS256`` / ``RS384`` / ``RS512`` / ``ES256`` / ``ES384`` / ``ES512`` sign with the PEM private
  key in ``JWT_PRIVATE_KEY_FILE`` and check with ``JWT_PUBLIC_KEY_FILE`` (or the private key's
  public half). The key type must match the algorithm.

The algorithm used to check a token is always the configured one, never the token header's: the
``none`` algorithm and HS/RS confusion (an HMAC token "signed" with the RSA public key) are
refused because PyJWT is only ever given ``algorithms=[configured]`` and a key object of the
configured kind.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
EC_ALGORITHMS = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
ALGORITHMS = (*HMAC_ALGORITHMS, *RSA_ALGORITHMS, *EC_ALGORITHMS)

MIN_SECRET_LENGTH = 32

ACCESS = "access"
REFRESH = "refresh"
MFA_TICKET = "mfa"
MFA_SETUP_TICKET = "mfa_setup"

_KEY_SALT = "django_graphql_auto.security.jwt.signing-key"


class InvalidToken(Exception):
    """The token was refused; ``str()`` is a client-safe reason."""


@dataclass(frozen=True)
class JWTSettings:
    algorithm: str
    secret: str | None
    private_key_file: str | None
    public_key_file: str | None
    issuer: str
    audience: str
    leeway: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | Any) -> JWTSettings:
        def path(value: Any) -> str | None:
            return None if value is None else str(value)

        return cls(
            algorithm=config["JWT_ALGORITHM"],
            secret=config["JWT_SECRET"],
            private_key_file=path(config["JWT_PRIVATE_KEY_FILE"]),
            public_key_file=path(config["JWT_PUBLIC_KEY_FILE"]),
            issuer=config["JWT_ISSUER"],
            audience=config["JWT_AUDIENCE"],
            leeway=config["JWT_LEEWAY"],
        )


def _derived_secret() -> str:
    """A 512-bit sub-key of SECRET_KEY: HMAC-SHA512 under a salt of our own."""
    return salted_hmac(_KEY_SALT, "jwt", algorithm="sha512").hexdigest()


def _hmac_key(jwt_settings: JWTSettings) -> str:
    if jwt_settings.secret is None:
        return _derived_secret()
    if len(jwt_settings.secret) < MIN_SECRET_LENGTH:
        raise ImproperlyConfigured(
            f"JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters long."
        )
    if jwt_settings.secret == settings.SECRET_KEY:
        raise ImproperlyConfigured("JWT_SECRET must not be SECRET_KEY itself.")
    return jwt_settings.secret


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(f"Cannot read {what} {path!r}: {error}") from None


@lru_cache(maxsize=16)
def _asymmetric_keys(algorithm: str, private_file: str | None, public_file: str | None):
    """(private key or None, public key), loaded once and checked against the algorithm."""
    if private_file is None and public_file is None:
        raise ImproperlyConfigured(
            f"JWT_ALGORITHM {algorithm} needs JWT_PRIVATE_KEY_FILE (and/or JWT_PUBLIC_KEY_FILE)."
        )
    private_key = None
    if private_file is not None:
        try:
            private_key = serialization.load_pem_private_key(
                _read(private_file, "JWT_PRIVATE_KEY_FILE"), password=None
            )
        except (ValueError, TypeError) as error:
            raise ImproperlyConfigured(
                f"JWT_PRIVATE_KEY_FILE is not an unencrypted PEM private key: {error}"
            ) from None
    if public_file is not None:
        try:
            public_key = serialization.load_pem_public_key(
                _read(public_file, "JWT_PUBLIC_KEY_FILE")
            )
        except (ValueError, TypeError) as error:
            raise ImproperlyConfigured(
                f"JWT_PUBLIC_KEY_FILE is not a PEM public key: {error}"
            ) from None
    else:
        public_key = private_key.public_key()
    for key in (private_key, public_key):
        if key is None:
            continue
        if algorithm in RSA_ALGORITHMS:
            ok = isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey)
        else:
            ok = isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and (
                isinstance(key.curve, EC_ALGORITHMS[algorithm])
            )
        if not ok:
            raise ImproperlyConfigured(f"The JWT key files do not hold keys for {algorithm}.")
    return private_key, public_key


def signing_key(jwt_settings: JWTSettings) -> Any:
    if jwt_settings.algorithm in HMAC_ALGORITHMS:
        return _hmac_key(jwt_settings)
    private_key, _ = _asymmetric_keys(
        jwt_settings.algorithm, jwt_settings.private_key_file, jwt_settings.public_key_file
    )
    if private_key is None:
        raise ImproperlyConfigured(
            "JWT_PRIVATE_KEY_FILE is not set: this server can check tokens but not issue them."
        )
    return private_key


def verifying_key(jwt_settings: JWTSettings) -> Any:
    if jwt_settings.algorithm in HMAC_ALGORITHMS:
        return _hmac_key(jwt_settings)
    return _asymmetric_keys(
        jwt_settings.algorithm, jwt_settings.private_key_file, jwt_settings.public_key_file
    )[1]


def encode(claims: Mapping[str, Any], jwt_settings: JWTSettings) -> str:
    """Sign ``claims`` as they are (callers use :func:`issue`; tests craft odd tokens here)."""
    return pyjwt.encode(
        dict(claims),
        signing_key(jwt_settings),
        algorithm=jwt_settings.algorithm,
        headers={"typ": "JWT"},
    )


def issue(
    token_type: str, subject: str, lifetime: int, jwt_settings: JWTSettings, **claims: Any
) -> tuple[str, dict[str, Any]]:
    """A new signed token of ``token_type`` for ``subject`` valid ``lifetime`` seconds."""
    now = int(time.time())
    payload = {
        "type": token_type,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "iss": jwt_settings.issuer,
        "aud": jwt_settings.audience,
        "jti": secrets.token_urlsafe(24),
        **claims,
    }
    return encode(payload, jwt_settings), payload


_REQUIRED = ["type", "sub", "iat", "nbf", "exp", "iss", "aud", "jti"]

_REASONS = (
    (pyjwt.ExpiredSignatureError, "The token has expired."),
    (pyjwt.ImmatureSignatureError, "The token is not valid yet."),
    (pyjwt.InvalidAudienceError, "The token is for another audience."),
    (pyjwt.InvalidIssuerError, "The token is from another issuer."),
    (pyjwt.InvalidAlgorithmError, "The token is signed with an algorithm that is not accepted."),
    (pyjwt.InvalidSignatureError, "The token signature is invalid."),
    (pyjwt.MissingRequiredClaimError, "The token lacks a required claim."),
)


def decode(
    token: str, expected_type: str, jwt_settings: JWTSettings, *, verify_exp: bool = True
) -> dict[str, Any]:
    """The claims of a valid token of ``expected_type``; raises :class:`InvalidToken`."""
    if not isinstance(token, str) or not token or len(token) > 8192:
        raise InvalidToken("The token is malformed.")
    try:
        header = pyjwt.get_unverified_header(token)
    except pyjwt.PyJWTError:
        raise InvalidToken("The token is malformed.") from None
    if header.get("alg") != jwt_settings.algorithm:
        # PyJWT would refuse it too (algorithms is pinned); saying so first gives a clear reason.
        raise InvalidToken("The token is signed with an algorithm that is not accepted.")
    try:
        claims = pyjwt.decode(
            token,
            verifying_key(jwt_settings),
            algorithms=[jwt_settings.algorithm],
            audience=jwt_settings.audience,
            issuer=jwt_settings.issuer,
            leeway=jwt_settings.leeway,
            options={
                "require": _REQUIRED,
                "verify_signature": True,
                "verify_exp": verify_exp,
                "verify_nbf": True,
                "verify_iat": True,
                "verify_aud": True,
                "verify_iss": True,
            },
        )
    except pyjwt.PyJWTError as error:
        for kind, reason in _REASONS:
            if isinstance(error, kind):
                raise InvalidToken(reason) from None
        raise InvalidToken("The token is invalid.") from None
    if claims.get("type") != expected_type:
        raise InvalidToken(f"A {claims.get('type')!s} token is not accepted here.")
    if not isinstance(claims.get("sub"), str):
        raise InvalidToken("The token is invalid.")
    # PyJWT checks only that iat is a number; a token issued in the future is not one of ours.
    if claims["iat"] > time.time() + jwt_settings.leeway + 5:
        raise InvalidToken("The token is not valid yet.")
    return claims
