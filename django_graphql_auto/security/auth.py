"""The authentication root fields: ``me``, ``login``, ``verify_mfa``, ``refresh_token``,
``logout``, ``setup_mfa``, ``confirm_mfa``, ``disable_mfa``, ``change_password`` and (with
``ENABLE_REGISTRATION``) ``register``. Added by :func:`add_auth_fields` to every schema whose
``ENABLE_AUTHENTICATION`` is on. The flows are described in ``docs/authentication.md``.

Outcome conventions:

* A refused credential (wrong password, bad or expired ticket, wrong MFA code at login, an
  invalid, spent or revoked refresh token) is a GraphQL error with code ``UNAUTHENTICATED``;
  a field that needs a signed-in user and has none is ``UNAUTHENTICATED`` too. Login throttling
  refusals carry ``RATE_LIMITED`` (see :mod:`django_graphql_auto.security.ratelimit`).
* Input the signed-in user can correct (a wrong code while setting MFA up, a weak new password,
  a taken username) comes back in the payload: ``ok: false`` with ``errors`` / ``field_errors``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import (
    authenticate,
    get_user_model,
    password_validation,
    update_session_auth_hash,
)
from django.contrib.auth import logout as session_logout
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.middleware.csrf import get_token
from django.utils.crypto import constant_time_compare
from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from django_graphql_auto.execution.errors import UNAUTHENTICATED, client_error
from django_graphql_auto.mutations.payloads import FieldError, field_error_type
from django_graphql_auto.security import audit, authentication, jwt, mfa, ratelimit, tokens
from django_graphql_auto.security.jwt import InvalidToken, JWTSettings

# --- results -----------------------------------------------------------------------------------


@dataclass
class AuthResult:
    """What ``login``, ``verify_mfa`` and ``refresh_token`` return."""

    ok: bool = False
    pair: tokens.TokenPair | None = None
    hide_tokens: bool = False  # JWT_COOKIE mode: the tokens travel only in HttpOnly cookies
    mfa_required: bool = False
    mfa_setup_required: bool = False
    mfa_ticket: str | None = None
    user: Any = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Result:
    """The other payloads: ``ok``, messages, and whatever the mutation adds."""

    ok: bool = False
    errors: list[str] = field(default_factory=list)
    field_errors: list[FieldError] = field(default_factory=list)
    secret: str | None = None
    otpauth_uri: str | None = None
    backup_codes: list[str] | None = None
    login: AuthResult | None = None
    user: Any = None


def _unauthenticated(message: str) -> Exception:
    return client_error(message, UNAUTHENTICATED)


# --- request helpers ---------------------------------------------------------------------------


def _request(info: Any) -> Any:
    return info.context.request


def _config(info: Any) -> Any:
    return info.context.bundle.config


def _schema_name(info: Any) -> str:
    return info.context.bundle.name


def _signed_in(info: Any) -> Any:
    user = info.context.user
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _require_user(info: Any) -> Any:
    user = _signed_in(info)
    if user is None:
        raise _unauthenticated("You must be signed in.")
    return user


def user_roles(user: Any) -> list[str]:
    """A user's roles: the names of their Django groups."""
    if not hasattr(user, "groups"):
        return []
    return sorted(user.groups.values_list("name", flat=True))


def _throttle(info: Any, username: str) -> None:
    """Login throttling per account and per IP: raises when this attempt must not run, else
    counts it as being checked (before the check, so that parallel requests cannot all pass)
    until ``_failed`` or ``_succeeded`` settles it; kept on the context for them. A path that
    calls neither (a right password going on to MFA) leaves it to the end of the request."""
    info.context.login_attempt = ratelimit.login_attempt(
        _request(info), username, schema_name=_schema_name(info)
    )


def _failed(info: Any, username: str) -> None:
    audit.security_event(
        "authentication_failed",
        info.context,
        "wrong password or MFA code",
        username=username,
        field=info.field_name,
    )
    info.context.login_attempt.failed()


def _succeeded(info: Any, username: str) -> None:
    info.context.login_attempt.succeeded()


# --- tickets -----------------------------------------------------------------------------------


def _issue_ticket(user: Any, kind: str, config: Any, **claims: Any) -> str:
    token, _ = jwt.issue(
        kind,
        str(user.pk),
        config["MFA_TICKET_LIFETIME"],
        JWTSettings.from_config(config),
        pwd=tokens.password_fingerprint(user),
        **claims,
    )
    return token


def _issue_login_ticket(user: Any, config: Any) -> str:
    """An MFA ticket naming the token family its login will start (``fam``): once that
    family exists the ticket has been used, and ``verify_mfa`` refuses it."""
    return _issue_ticket(user, jwt.MFA_TICKET, config, fam=str(uuid.uuid4()))


def _ticket_refused(info: Any, reason: str) -> Exception:
    """A refused ticket (forged, expired, stale) is an authentication failure like a wrong code,
    and is logged as one."""
    message = f"MFA ticket refused: {reason}"
    audit.security_event("authentication_failed", info.context, message, field=info.field_name)
    return _unauthenticated(message)


def _ticket_user(info: Any, ticket: str, kind: str) -> tuple[Any, dict[str, Any]]:
    """The user a ticket of ``kind`` stands for, and its claims."""
    config = _config(info)
    try:
        claims = jwt.decode(ticket, kind, JWTSettings.from_config(config))
        user_model = get_user_model()
        pk = user_model._meta.pk.to_python(claims["sub"])
        if kind == jwt.MFA_TICKET:
            claims["fam"] = uuid.UUID(str(claims.get("fam")))
    except (InvalidToken, ValidationError, ValueError, TypeError) as error:
        reason = str(error) if isinstance(error, InvalidToken) else "The ticket is invalid."
        raise _ticket_refused(info, reason) from None
    user = user_model._default_manager.filter(pk=pk).first()
    if user is None or getattr(user, "is_active", True) is False:
        raise _ticket_refused(info, "the user cannot sign in.")
    if not constant_time_compare(tokens.password_fingerprint(user), str(claims.get("pwd"))):
        raise _ticket_refused(info, "the password has changed.")
    return user, claims


def _setup_user(info: Any, ticket: str | None) -> tuple[Any, bool]:
    """The user setting MFA up: the signed-in one, or the holder of a setup ticket."""
    if ticket:
        user, _ = _ticket_user(info, ticket, jwt.MFA_SETUP_TICKET)
        return user, True
    return _require_user(info), False


# --- completing a login ------------------------------------------------------------------------


def _finish_login(info: Any, user: Any, family: uuid.UUID | None = None) -> AuthResult:
    """Issue the tokens (and cookies in JWT_COOKIE mode) of a user who passed every factor."""
    request, config = _request(info), _config(info)
    pair = tokens.issue_pair(user, config, family=family)
    cookie_mode = bool(config["JWT_COOKIE"])
    if request is not None:
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        if cookie_mode:
            authentication.queue_token_cookies(request, pair)
            get_token(request)  # make sure the client has a CSRF cookie for its next POSTs
    return AuthResult(ok=True, pair=pair, hide_tokens=cookie_mode, user=user)


def _rotated(info: Any, pair: tokens.TokenPair) -> AuthResult:
    cookie_mode = bool(_config(info)["JWT_COOKIE"])
    if cookie_mode:
        authentication.queue_token_cookies(_request(info), pair)
    return AuthResult(ok=True, pair=pair, hide_tokens=cookie_mode, user=pair.user)


# --- resolvers ---------------------------------------------------------------------------------


def resolve_me(_root: Any, info: Any) -> Any:
    return _signed_in(info)


def resolve_login(_root: Any, info: Any, username: str, password: str) -> AuthResult:
    config = _config(info)
    _throttle(info, username)
    user = authenticate(_request(info), username=username, password=password)
    # A backend may return an inactive user (AllowAllUsersModelBackend): no sign-in for them,
    # and the same answer as a wrong password.
    if user is None or not user.is_active:
        _failed(info, username)
        raise _unauthenticated("Invalid username or password.")
    if mfa.has_confirmed_device(user):
        return AuthResult(mfa_required=True, mfa_ticket=_issue_login_ticket(user, config))
    if mfa.required_for(user, config["MFA_REQUIRED_ROLES"]):
        return AuthResult(
            mfa_setup_required=True,
            mfa_ticket=_issue_ticket(user, jwt.MFA_SETUP_TICKET, config),
            errors=[mfa.ROLE_REQUIRES_MFA],
        )
    _succeeded(info, username)
    return _finish_login(info, user)


def resolve_verify_mfa(_root: Any, info: Any, ticket: str, code: str) -> AuthResult:
    config = _config(info)
    user, claims = _ticket_user(info, ticket, jwt.MFA_TICKET)
    username = user.get_username()
    _throttle(info, username)
    with transaction.atomic():
        # The device row stays locked until the login is issued: requests with the same ticket
        # run one after the other, and all but the first find the ticket's family started.
        device = mfa.device_of(user, confirmed=True, for_update=True)
        if device is None:
            raise _unauthenticated("Multi-factor authentication is not enabled for this user.")
        if tokens.family_started(claims["fam"]):
            raise _ticket_refused(info, "it was already used.")
        verified = mfa.verify_code(device, code, config["MFA_TOTP_WINDOW"])
        result = _finish_login(info, user, claims["fam"]) if verified else None
    # Counted outside the block, whose rollback would undo a count kept in a database cache.
    if result is None:
        _failed(info, username)
        raise _unauthenticated("The code is not valid (or was already used).")
    _succeeded(info, username)
    return result


def _refresh_from(info: Any, token: str | None, cookie: str) -> str | None:
    if token:
        return token
    request = _request(info)
    if _config(info)["JWT_COOKIE"] and request is not None:
        return request.COOKIES.get(cookie) or None
    return None


def resolve_refresh_token(_root: Any, info: Any, token: str | None = None) -> AuthResult:
    token = _refresh_from(info, token, authentication.REFRESH_COOKIE)
    if token is None:
        raise _unauthenticated("No refresh token was sent.")
    try:
        pair = tokens.rotate(token, _config(info))
    except InvalidToken as error:
        reason = f"refresh token refused: {error}"
        audit.security_event("authentication_failed", info.context, reason)
        if _config(info)["JWT_COOKIE"]:
            authentication.queue_cookie_deletion(_request(info))
        raise _unauthenticated(str(error)) from None
    return _rotated(info, pair)


def resolve_logout(
    _root: Any, info: Any, refresh_token: str | None = None, everywhere: bool = False
) -> Result:
    request, config = _request(info), _config(info)
    token = _refresh_from(info, refresh_token, authentication.REFRESH_COOKIE)
    user = _signed_in(info)
    if everywhere and user is None:
        raise _unauthenticated("You must be signed in to sign out everywhere.")
    if token is not None:
        try:
            tokens.revoke_token(token, config)
        except InvalidToken as error:
            if refresh_token:  # a token the client chose to send: say it was not accepted
                raise _unauthenticated(str(error)) from None
    family = getattr(request, authentication.FAMILY_ATTR, None)
    if family is not None:
        tokens.revoke_family(family)
    if everywhere:
        tokens.revoke_user(user)
    if config["JWT_COOKIE"]:
        authentication.queue_cookie_deletion(request)
    if (
        request is not None
        and hasattr(request, "session")
        and authentication.auth_method(request) is None
    ):
        session_logout(request)
    return Result(ok=True)


def resolve_setup_mfa(_root: Any, info: Any, ticket: str | None = None) -> Result:
    user, _ = _setup_user(info, ticket)
    if mfa.has_confirmed_device(user):
        return Result(errors=["Multi-factor authentication is already enabled; disable it first."])
    secret = mfa.start_setup(user)
    uri = mfa.provisioning_uri(secret, user, _config(info)["MFA_ISSUER"])
    return Result(ok=True, secret=secret, otpauth_uri=uri)


def resolve_confirm_mfa(_root: Any, info: Any, code: str, ticket: str | None = None) -> Result:
    config = _config(info)
    user, by_ticket = _setup_user(info, ticket)
    device = mfa.device_of(user, confirmed=False)
    if device is None:
        message = (
            "Multi-factor authentication is already enabled."
            if mfa.has_confirmed_device(user)
            else "Call setup_mfa first."
        )
        return Result(errors=[message])
    username = user.get_username()
    _throttle(info, username)
    if not mfa.verify_code(device, code, config["MFA_TOTP_WINDOW"], allow_backup=False):
        _failed(info, username)
        return Result(
            errors=["The code is not valid."],
            field_errors=[FieldError("code", ("The code is not valid.",), "invalid")],
        )
    # Logins made with the password alone end when MFA is turned on (docs/authentication.md,
    # "Turning it on"); the caller's own has just proved a code and stays.
    caller_family = None if by_ticket else getattr(_request(info), authentication.FAMILY_ATTR, None)
    with transaction.atomic():
        mfa.confirm(device)
        codes = mfa.new_backup_codes(device, config["MFA_BACKUP_CODES"])
        tokens.revoke_user(user, keep_family=caller_family)
    result = Result(ok=True, backup_codes=codes)
    if by_ticket:
        _succeeded(info, username)
        result.login = _finish_login(info, user)
    return result


def resolve_disable_mfa(_root: Any, info: Any, code: str) -> Result:
    config = _config(info)
    user = _require_user(info)
    device = mfa.device_of(user, confirmed=True)
    if device is None:
        return Result(errors=["Multi-factor authentication is not enabled."])
    if mfa.required_for(user, config["MFA_REQUIRED_ROLES"]):
        return Result(errors=["Your role requires multi-factor authentication."])
    username = user.get_username()
    _throttle(info, username)
    if not mfa.verify_code(device, code, config["MFA_TOTP_WINDOW"]):
        _failed(info, username)
        return Result(
            errors=["The code is not valid."],
            field_errors=[FieldError("code", ("The code is not valid.",), "invalid")],
        )
    mfa.disable(user)
    return Result(ok=True)


def _validation_errors(name: str, error: ValidationError) -> list[FieldError]:
    return [
        FieldError(name, tuple(item.messages), item.code or "invalid") for item in error.error_list
    ]


def resolve_change_password(_root: Any, info: Any, old_password: str, new_password: str) -> Result:
    request = _request(info)
    case = info.context.bundle.case
    user = _require_user(info)
    username = user.get_username()
    _throttle(info, username)
    if not user.check_password(old_password):
        _failed(info, username)
        message = "The current password is not correct."
        return Result(
            errors=[message],
            field_errors=[FieldError(case("old_password"), (message,), "invalid")],
        )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        return Result(
            errors=["The new password is not acceptable."],
            field_errors=_validation_errors(case("new_password"), error),
        )
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        tokens.revoke_user(user)
    result = Result(ok=True, user=user)
    if authentication.auth_method(request) is not None:
        result.login = _finish_login(info, user)  # the old tokens ended with the old password
    elif request is not None and hasattr(request, "session"):
        update_session_auth_hash(request, user)  # keep this session, end the others
    return result


def resolve_register(_root: Any, info: Any, username: str, email: str, password: str) -> Result:
    user_model = get_user_model()
    username_field = user_model.USERNAME_FIELD
    email_field = user_model.get_email_field_name()
    values = {username_field: user_model.normalize_username(username)}
    field_errors: list[FieldError] = []
    try:
        validate_email(email)
    except ValidationError as error:
        field_errors += _validation_errors("email", error)
    if email_field != username_field:
        values[email_field] = user_model._default_manager.normalize_email(email)
    user = user_model(**values)
    try:
        user.full_clean(exclude=["password", email_field] if field_errors else ["password"])
    except ValidationError as error:
        for name, errors in error.error_dict.items():
            target = (
                "username" if name == username_field else "email" if name == email_field else name
            )
            for item in errors:
                field_errors.append(
                    FieldError(target, tuple(item.messages), item.code or "invalid")
                )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        field_errors += _validation_errors("password", error)
    if field_errors:
        return Result(errors=["The registration is not valid."], field_errors=field_errors)
    user.set_password(password)
    user.save()
    return Result(ok=True, user=user)


# --- types -------------------------------------------------------------------------------------


def _nn(gtype: Any) -> GraphQLNonNull:
    return GraphQLNonNull(gtype)


def _strings() -> GraphQLNonNull:
    return _nn(GraphQLList(_nn(GraphQLString)))


def _build_types(bundle: Any) -> dict[str, GraphQLObjectType]:
    case = bundle.case
    field_error = field_error_type(bundle)

    def attr(name: str, gtype: Any, description: str | None = None) -> GraphQLField:
        return GraphQLField(
            gtype, resolve=lambda obj, _info: getattr(obj, name), description=description
        )

    user_type = GraphQLObjectType(
        "Viewer",
        lambda: {
            "id": GraphQLField(_nn(GraphQLID), resolve=lambda u, _: str(u.pk)),
            "username": GraphQLField(_nn(GraphQLString), resolve=lambda u, _: u.get_username()),
            "email": GraphQLField(
                GraphQLString,
                resolve=lambda u, _: getattr(u, u.get_email_field_name(), None) or None,
            ),
            case("first_name"): GraphQLField(
                GraphQLString, resolve=lambda u, _: getattr(u, "first_name", None)
            ),
            case("last_name"): GraphQLField(
                GraphQLString, resolve=lambda u, _: getattr(u, "last_name", None)
            ),
            case("is_staff"): GraphQLField(
                _nn(GraphQLBoolean), resolve=lambda u, _: bool(getattr(u, "is_staff", False))
            ),
            "roles": GraphQLField(
                _strings(),
                resolve=lambda u, _: user_roles(u),
                description="Names of the user's groups.",
            ),
            "permissions": GraphQLField(
                _strings(),
                resolve=lambda u, _: sorted(u.get_all_permissions()),
                description='Django permissions, "app_label.codename".',
            ),
            case("mfa_enabled"): GraphQLField(
                _nn(GraphQLBoolean), resolve=lambda u, _: mfa.has_confirmed_device(u)
            ),
        },
        description="The signed-in user: a fixed, safe subset of the user model.",
    )

    def token(name: str):
        def resolve(result: AuthResult, _info: Any) -> Any:
            if result.pair is None or result.hide_tokens:
                return None
            return getattr(result.pair, name)

        return resolve

    auth_payload = GraphQLObjectType(
        "AuthPayload",
        lambda: {
            "ok": attr("ok", _nn(GraphQLBoolean), "True when tokens were issued."),
            case("access_token"): GraphQLField(
                GraphQLString,
                resolve=token("access_token"),
                description="Send as `Authorization: Bearer <token>`; null in cookie mode.",
            ),
            case("refresh_token"): GraphQLField(
                GraphQLString,
                resolve=token("refresh_token"),
                description="Single use: refresh_token() returns the next one; null in "
                "cookie mode.",
            ),
            case("token_type"): GraphQLField(
                GraphQLString, resolve=lambda r, _: "Bearer" if r.pair else None
            ),
            case("expires_in"): GraphQLField(
                GraphQLInt,
                resolve=lambda r, _: r.pair.expires_in if r.pair else None,
                description="Seconds the access token is valid.",
            ),
            case("refresh_expires_in"): GraphQLField(
                GraphQLInt,
                resolve=lambda r, _: r.pair.refresh_expires_in if r.pair else None,
                description="Seconds the refresh token is valid.",
            ),
            case("mfa_required"): attr(
                "mfa_required",
                _nn(GraphQLBoolean),
                "The password was right; call verify_mfa with mfa_ticket and a code.",
            ),
            case("mfa_setup_required"): attr(
                "mfa_setup_required",
                _nn(GraphQLBoolean),
                "The user's role requires MFA: call setup_mfa and confirm_mfa with mfa_ticket.",
            ),
            case("mfa_ticket"): attr(
                "mfa_ticket", GraphQLString, "Short-lived proof that the password was right."
            ),
            "user": attr("user", user_type),
            "errors": attr("errors", _strings()),
        },
        description="Result of login, verify_mfa and refresh_token.",
    )

    def payload(name: str, extra: dict[str, GraphQLField], description: str):
        return GraphQLObjectType(
            name,
            lambda: {
                "ok": attr("ok", _nn(GraphQLBoolean)),
                "errors": attr("errors", _strings()),
                case("field_errors"): attr("field_errors", _nn(GraphQLList(_nn(field_error)))),
                **extra,
            },
            description=description,
        )

    login_field = attr(
        "login", auth_payload, "The new tokens, when this operation signed the user in."
    )
    return {
        "user": user_type,
        "auth": auth_payload,
        "logout": payload("LogoutPayload", {}, "Result of logout."),
        "setup": payload(
            "SetupMfaPayload",
            {
                "secret": attr("secret", GraphQLString, "Base32 TOTP secret (shown once)."),
                case("otpauth_uri"): attr(
                    "otpauth_uri", GraphQLString, "otpauth:// URI for a QR code."
                ),
            },
            "A new, unconfirmed TOTP secret: confirm it with confirm_mfa.",
        ),
        "confirm": payload(
            "ConfirmMfaPayload",
            {
                case("backup_codes"): attr(
                    "backup_codes",
                    GraphQLList(_nn(GraphQLString)),
                    "One-time backup codes, shown once: each signs in once instead of a code.",
                ),
                "login": login_field,
            },
            "Result of confirm_mfa.",
        ),
        "disable": payload("DisableMfaPayload", {}, "Result of disable_mfa."),
        "password": payload(
            "ChangePasswordPayload", {"login": login_field}, "Result of change_password."
        ),
        "register": payload(
            "RegisterPayload",
            {"user": attr("user", user_type)},
            "Result of register; the new user then signs in with login.",
        ),
    }


def _string_arg(required: bool = True, description: str | None = None) -> GraphQLArgument:
    return GraphQLArgument(
        _nn(GraphQLString) if required else GraphQLString, description=description
    )


def add_auth_fields(bundle: Any, query_fields: dict, mutation_fields: dict) -> None:
    """Add ``me`` and the authentication mutations to a schema being built."""
    case = bundle.case
    config = bundle.config
    types = _build_types(bundle)
    query_fields["me"] = GraphQLField(
        types["user"], resolve=resolve_me, description="The signed-in user; null when anonymous."
    )
    ticket = _string_arg(False, "The mfa_ticket of a login that requires MFA setup.")
    mutations = {
        "login": GraphQLField(
            _nn(types["auth"]),
            args={"username": _string_arg(), "password": _string_arg()},
            resolve=resolve_login,
            description="Sign in with a password: tokens, or an MFA ticket when a second "
            "factor is needed.",
        ),
        "verify_mfa": GraphQLField(
            _nn(types["auth"]),
            args={"ticket": _string_arg(), "code": _string_arg()},
            resolve=resolve_verify_mfa,
            description="Second login step: a TOTP code or an unused backup code.",
        ),
        "refresh_token": GraphQLField(
            _nn(types["auth"]),
            args={"token": _string_arg(False, "The refresh token (cookie mode: omit it).")},
            resolve=resolve_refresh_token,
            description="Spend a refresh token for a new pair; a reused token revokes its "
            "whole login.",
        ),
        "logout": GraphQLField(
            _nn(types["logout"]),
            args={
                case("refresh_token"): _string_arg(False, "The refresh token to revoke."),
                "everywhere": GraphQLArgument(
                    GraphQLBoolean,
                    default_value=False,
                    description="Revoke every token of the signed-in user.",
                ),
            },
            resolve=lambda root, info, **kwargs: resolve_logout(
                root,
                info,
                refresh_token=kwargs.get(case("refresh_token")),
                everywhere=bool(kwargs.get("everywhere")),
            ),
            description="Revoke the tokens of this login (and end the session, if any).",
        ),
        "setup_mfa": GraphQLField(
            _nn(types["setup"]),
            args={"ticket": ticket},
            resolve=resolve_setup_mfa,
            description="Start TOTP setup for the signed-in user (or the holder of a setup "
            "ticket).",
        ),
        "confirm_mfa": GraphQLField(
            _nn(types["confirm"]),
            args={"code": _string_arg(), "ticket": ticket},
            resolve=resolve_confirm_mfa,
            description="Confirm TOTP setup with a first code; returns the backup codes.",
        ),
        "disable_mfa": GraphQLField(
            _nn(types["disable"]),
            args={"code": _string_arg()},
            resolve=resolve_disable_mfa,
            description="Turn MFA off; needs a current code (or an unused backup code).",
        ),
        "change_password": GraphQLField(
            _nn(types["password"]),
            args={case("old_password"): _string_arg(), case("new_password"): _string_arg()},
            resolve=lambda root, info, **kwargs: resolve_change_password(
                root,
                info,
                old_password=kwargs[case("old_password")],
                new_password=kwargs[case("new_password")],
            ),
            description="Change the password; every other token and session of the user ends.",
        ),
    }
    if config["ENABLE_REGISTRATION"]:
        mutations["register"] = GraphQLField(
            _nn(types["register"]),
            args={
                "username": _string_arg(),
                "email": _string_arg(),
                "password": _string_arg(),
            },
            resolve=resolve_register,
            description="Create an account (Django's password validators apply).",
        )
    for name, gql_field in mutations.items():
        mutation_fields[case(name)] = gql_field
    bundle.extras["auth_fields"] = {
        "query": ["me"],
        "mutation": [case(name) for name in mutations],
    }
