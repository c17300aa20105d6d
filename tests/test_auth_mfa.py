"""Multi-factor authentication end to end over HTTP, with real TOTP codes computed by pyotp:
setup, confirmation, login with a second step, replayed codes, one-time backup codes, disabling,
and the per-role requirement."""

from __future__ import annotations

import logging
import time

import pyotp
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import override_settings

from django_graphql_auto.models import MFABackupCode, MFADevice, RefreshToken
from tests.auth_support import (
    LOGIN,
    ME,
    PASSWORD,
    REFRESH,
    UNAUTHENTICATED,
    auth_environment,  # noqa: F401 (fixture)
    bearer,
    claims_of,
    forge,
    login,
    make_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("auth_environment")]

SETUP = """
mutation($ticket: String) {
  setup_mfa(ticket: $ticket) { ok secret otpauth_uri errors }
}
"""
CONFIRM = """
mutation($code: String!, $ticket: String) {
  confirm_mfa(code: $code, ticket: $ticket) {
    ok backup_codes errors field_errors { field code }
    login { ok access_token refresh_token }
  }
}
"""
VERIFY = """
mutation($ticket: String!, $code: String!) {
  verify_mfa(ticket: $ticket, code: $code) { ok access_token refresh_token user { username } }
}
"""
DISABLE = """
mutation($code: String!) { disable_mfa(code: $code) { ok errors field_errors { field code } } }
"""


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def fresh_code(secret: str) -> str:
    """A code of the next time step: newer than any code used so far in the test (codes of the
    current step may already have been spent), and inside the accepted window."""
    return code_at(secret, 1)


def enable_mfa(graphql, access_token: str) -> tuple[str, list[str]]:
    auth = bearer(access_token)
    setup = graphql(SETUP, {}, **auth).ok()["setup_mfa"]
    assert setup["ok"] is True, setup
    secret = setup["secret"]
    confirm = graphql(CONFIRM, {"code": code_at(secret)}, **auth).ok()["confirm_mfa"]
    assert confirm["ok"] is True, confirm
    return secret, confirm["backup_codes"]


@pytest.fixture
def alice():
    return make_user("alice")


def test_setup_returns_secret_and_uri(graphql, alice):
    tokens = login(graphql)
    setup = graphql(SETUP, {}, **bearer(tokens["access_token"])).ok()["setup_mfa"]
    assert setup["ok"] is True
    assert setup["otpauth_uri"].startswith("otpauth://totp/django-graphql-auto:alice?secret=")
    assert f"secret={setup['secret']}" in setup["otpauth_uri"]
    device = MFADevice.objects.get(user=alice)
    assert device.confirmed_at is None
    assert setup["secret"] not in device.encrypted_secret  # stored encrypted
    # Unconfirmed: login still gives tokens directly.
    assert login(graphql)["mfa_required"] is False


def test_setup_needs_a_signed_in_user(graphql, alice):
    result = graphql(SETUP, {})
    assert result.codes == [UNAUTHENTICATED]


def test_confirm_with_wrong_code_keeps_mfa_off(graphql, alice):
    auth = bearer(login(graphql)["access_token"])
    secret = graphql(SETUP, {}, **auth).ok()["setup_mfa"]["secret"]
    wrong = str((int(code_at(secret)) + 1) % 1_000_000).zfill(6)
    result = graphql(CONFIRM, {"code": wrong}, **auth).ok()["confirm_mfa"]
    assert result["ok"] is False
    assert result["field_errors"] == [{"field": "code", "code": "invalid"}]
    assert result["backup_codes"] is None
    assert graphql(ME, **auth).ok()["me"]["mfa_enabled"] is False


def test_full_mfa_flow(graphql, alice):
    tokens = login(graphql)
    secret, backup_codes = enable_mfa(graphql, tokens["access_token"])
    assert len(backup_codes) == 10 and len(set(backup_codes)) == 10
    assert graphql(ME, **bearer(tokens["access_token"])).ok()["me"]["mfa_enabled"] is True
    # Backup codes are stored hashed.
    stored = list(MFABackupCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10 and not set(backup_codes) & set(stored)

    # Login now stops after the password: no tokens, a ticket.
    first_step = login(graphql)
    assert first_step["ok"] is False and first_step["mfa_required"] is True
    assert first_step["access_token"] is None and first_step["refresh_token"] is None
    ticket = first_step["mfa_ticket"]
    assert claims_of(ticket)["type"] == "mfa"
    # The ticket is not an access token.
    refused = graphql(ME, **bearer(ticket))
    assert refused.status == 401 and refused.codes == [UNAUTHENTICATED]

    # A real TOTP code completes the login.
    code = fresh_code(secret)
    done = graphql(VERIFY, {"ticket": ticket, "code": code}).ok()["verify_mfa"]
    assert done["ok"] is True and done["user"] == {"username": "alice"}
    assert graphql(ME, **bearer(done["access_token"])).ok()["me"]["username"] == "alice"

    # The same code again (same time step) is refused: replay.
    replay = graphql(VERIFY, {"ticket": login(graphql)["mfa_ticket"], "code": code})
    assert replay.codes == [UNAUTHENTICATED]
    assert replay.data is None

    # A backup code works once.
    backup = backup_codes[0]
    ticket = login(graphql)["mfa_ticket"]
    with_backup = graphql(VERIFY, {"ticket": ticket, "code": backup}).ok()["verify_mfa"]
    assert with_backup["ok"] is True
    again = graphql(VERIFY, {"ticket": login(graphql)["mfa_ticket"], "code": backup})
    assert again.codes == [UNAUTHENTICATED]
    # Format does not matter: upper case and without the dash is the same code.
    other = backup_codes[1].replace("-", "").upper()
    ticket = login(graphql)["mfa_ticket"]
    assert graphql(VERIFY, {"ticket": ticket, "code": other}).ok()["verify_mfa"]["ok"] is True
    assert MFABackupCode.objects.filter(used_at__isnull=False).count() == 2


def test_code_used_to_confirm_cannot_log_in(graphql, alice):
    tokens = login(graphql)
    auth = bearer(tokens["access_token"])
    secret = graphql(SETUP, {}, **auth).ok()["setup_mfa"]["secret"]
    code = code_at(secret)
    assert graphql(CONFIRM, {"code": code}, **auth).ok()["confirm_mfa"]["ok"] is True
    ticket = login(graphql)["mfa_ticket"]
    assert graphql(VERIFY, {"ticket": ticket, "code": code}).codes == [UNAUTHENTICATED]
    # An older code (previous step) is refused as well: it is not newer than the last used.
    older = code_at(secret, -1)
    assert graphql(VERIFY, {"ticket": ticket, "code": older}).codes == [UNAUTHENTICATED]


def test_wrong_and_far_codes_are_refused(graphql, alice):
    secret, _ = enable_mfa(graphql, login(graphql)["access_token"])
    ticket = login(graphql)["mfa_ticket"]
    for code in (code_at(secret, 5), "000000" if code_at(secret, 1) != "000000" else "111111"):
        assert graphql(VERIFY, {"ticket": ticket, "code": code}).codes == [UNAUTHENTICATED]
    cache.clear()  # five failures would lock the account (test_guessing_codes_locks_the_account)
    for code in ("", "12345", "abcdef", "1234567"):
        assert graphql(VERIFY, {"ticket": ticket, "code": code}).codes == [UNAUTHENTICATED]


def test_bad_tickets_are_refused(graphql, alice, caplog):
    caplog.set_level(logging.WARNING, logger="django_graphql_auto.security")
    secret, _ = enable_mfa(graphql, login(graphql)["access_token"])
    ticket = login(graphql)["mfa_ticket"]
    now = int(time.time())
    tokens = login(graphql, password=PASSWORD)
    for bad in (
        forge(ticket, exp=now - 1, iat=now - 400, nbf=now - 400),
        forge(ticket, aud="other"),
        forge(ticket, type="access"),
        forge(ticket, type="mfa_setup"),
        ticket[:-3] + "abc",
        tokens["mfa_ticket"][:10],
    ):
        result = graphql(VERIFY, {"ticket": bad, "code": fresh_code(secret)})
        assert result.codes == [UNAUTHENTICATED], bad
    # A ticket issued before a password change is dead.
    alice.set_password("another-long-password-7")
    alice.save()
    result = graphql(VERIFY, {"ticket": ticket, "code": fresh_code(secret)})
    assert result.codes == [UNAUTHENTICATED]
    assert "password" in result.errors[0]["message"]
    # Each refusal is an authentication failure in the security log, as a wrong code is.
    refused = [
        r
        for r in caplog.records
        if getattr(r, "event", None) == "authentication_failed"
        and r.reason.startswith("MFA ticket refused")
    ]
    assert len(refused) == 7 and {r.field for r in refused} == {"verify_mfa"}
    assert ticket not in caplog.text  # the ticket itself is never logged


def test_a_ticket_signs_in_once(graphql, alice):
    """A ticket stayed usable for its whole lifetime after a successful verify_mfa: whoever
    held it could turn each further code into another login."""
    secret, backup_codes = enable_mfa(graphql, login(graphql)["access_token"])
    ticket = login(graphql)["mfa_ticket"]
    window = {code_at(secret, offset) for offset in (-1, 0, 1, 2)}
    wrong = next(code for code in ("000000", "111111", "222222") if code not in window)
    # A wrong code does not use the ticket up ...
    assert graphql(VERIFY, {"ticket": ticket, "code": wrong}).codes == [UNAUTHENTICATED]
    assert graphql(VERIFY, {"ticket": ticket, "code": fresh_code(secret)}).ok()["verify_mfa"]["ok"]
    # ... a login does.
    again = graphql(VERIFY, {"ticket": ticket, "code": backup_codes[0]})
    assert again.codes == [UNAUTHENTICATED] and again.data is None
    assert "already used" in again.errors[0]["message"]
    # Nothing was issued, and the backup code was not spent: it signs in with a new ticket.
    assert RefreshToken.objects.values("family").distinct().count() == 2
    assert not MFABackupCode.objects.filter(used_at__isnull=False).exists()
    ticket = login(graphql)["mfa_ticket"]
    assert graphql(VERIFY, {"ticket": ticket, "code": backup_codes[0]}).ok()["verify_mfa"]["ok"]


def test_turning_mfa_on_ends_the_other_logins(graphql, alice):
    """Logins made with the password alone outlived MFA: another device's refresh token kept
    rotating, so a stolen session survived the very step meant to lock the account down."""
    mine, other = login(graphql), login(graphql)
    enable_mfa(graphql, mine["access_token"])
    assert graphql(ME, **bearer(other["access_token"])).status == 401
    assert graphql(REFRESH, {"token": other["refresh_token"]}).codes == [UNAUTHENTICATED]
    # The login that turned MFA on has just proved a code: it goes on.
    assert graphql(ME, **bearer(mine["access_token"])).ok()["me"]["mfa_enabled"] is True
    assert graphql(REFRESH, {"token": mine["refresh_token"]}).ok()["refresh_token"]["ok"]


def test_disable_mfa_needs_a_current_code(graphql, alice):
    tokens = login(graphql)
    secret, _ = enable_mfa(graphql, tokens["access_token"])
    auth = bearer(tokens["access_token"])
    wrong = graphql(DISABLE, {"code": "123456" if fresh_code(secret) != "123456" else "654321"})
    assert wrong.codes == [UNAUTHENTICATED]  # not signed in at all
    refused = graphql(DISABLE, {"code": code_at(secret, 4)}, **auth).ok()["disable_mfa"]
    assert refused["ok"] is False
    assert refused["field_errors"] == [{"field": "code", "code": "invalid"}]
    done = graphql(DISABLE, {"code": fresh_code(secret)}, **auth).ok()["disable_mfa"]
    assert done == {"ok": True, "errors": [], "field_errors": []}
    assert not MFADevice.objects.exists() and not MFABackupCode.objects.exists()
    assert login(graphql)["ok"] is True  # tokens directly again


def test_disable_mfa_with_a_backup_code(graphql, alice):
    tokens = login(graphql)
    _, backup_codes = enable_mfa(graphql, tokens["access_token"])
    auth = bearer(tokens["access_token"])
    result = graphql(DISABLE, {"code": backup_codes[3]}, **auth).ok()["disable_mfa"]
    assert result["ok"] is True


def test_setup_twice_is_refused_once_confirmed(graphql, alice):
    tokens = login(graphql)
    enable_mfa(graphql, tokens["access_token"])
    again = graphql(SETUP, {}, **bearer(tokens["access_token"])).ok()["setup_mfa"]
    assert again["ok"] is False and again["secret"] is None
    assert "already enabled" in again["errors"][0]


# --- per-role requirement ---------------------------------------------------------------------


ROLES = {
    "MFA_REQUIRED_ROLES": ["operators"],
    "SCHEMAS": {"admin": {"APPS": ["blog", "clinic", "auth"]}},
}


def test_role_requires_mfa_setup_before_tokens(graphql, alice):
    alice.groups.add(Group.objects.create(name="operators"))
    with override_settings(DJANGO_GRAPHQL_AUTO=ROLES):
        first = graphql(LOGIN, {"username": "alice", "password": PASSWORD}).ok()["login"]
        assert first["ok"] is False
        assert first["mfa_setup_required"] is True and first["mfa_required"] is False
        assert first["access_token"] is None and first["refresh_token"] is None
        assert first["errors"]
        ticket = first["mfa_ticket"]
        assert claims_of(ticket)["type"] == "mfa_setup"
        # The setup ticket is good for setup only: not for verify_mfa, not as a Bearer token.
        assert graphql(VERIFY, {"ticket": ticket, "code": "123456"}).codes == [UNAUTHENTICATED]
        assert graphql(ME, **bearer(ticket)).status == 401
        setup = graphql(SETUP, {"ticket": ticket}).ok()["setup_mfa"]
        assert setup["ok"] is True
        confirm = graphql(CONFIRM, {"code": code_at(setup["secret"]), "ticket": ticket}).ok()
        confirmed = confirm["confirm_mfa"]
        assert confirmed["ok"] is True and len(confirmed["backup_codes"]) == 10
        access = confirmed["login"]["access_token"]
        assert graphql(ME, **bearer(access)).ok()["me"]["mfa_enabled"] is True
        # From now on the usual second step applies, and MFA cannot be switched off.
        assert login(graphql)["mfa_required"] is True
        refused = graphql(DISABLE, {"code": fresh_code(setup["secret"])}, **bearer(access)).ok()
        assert refused["disable_mfa"]["ok"] is False
        assert "role requires" in refused["disable_mfa"]["errors"][0]


def test_setting_mfa_up_for_a_role_ends_the_logins_from_before(graphql, alice):
    """A login made before the user joined the role kept working once the user had set MFA up
    (the device is confirmed, so the role is satisfied): it never passed MFA."""
    before = login(graphql)
    alice.groups.add(Group.objects.create(name="operators"))
    with override_settings(DJANGO_GRAPHQL_AUTO=ROLES):
        ticket = login(graphql)["mfa_ticket"]
        secret = graphql(SETUP, {"ticket": ticket}).ok()["setup_mfa"]["secret"]
        confirm = graphql(CONFIRM, {"code": code_at(secret), "ticket": ticket}).ok()
        after = confirm["confirm_mfa"]["login"]
        assert graphql(ME, **bearer(before["access_token"])).status == 401
        assert graphql(REFRESH, {"token": before["refresh_token"]}).codes == [UNAUTHENTICATED]
        # The login that set MFA up refreshes: the role is satisfied.
        assert graphql(REFRESH, {"token": after["refresh_token"]}).ok()["refresh_token"]["ok"]


def test_role_outside_the_list_logs_in_directly(graphql, alice):
    alice.groups.add(Group.objects.create(name="readers"))
    with override_settings(DJANGO_GRAPHQL_AUTO=ROLES):
        assert login(graphql)["ok"] is True


# --- throttling -------------------------------------------------------------------------------


def test_guessing_codes_locks_the_account(graphql, alice):
    """Wrong second-factor codes count as failed logins (LOGIN_FAILURE_LIMIT, default 5)."""
    secret, _ = enable_mfa(graphql, login(graphql)["access_token"])
    ticket = login(graphql)["mfa_ticket"]
    right = fresh_code(secret)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert graphql(VERIFY, {"ticket": ticket, "code": wrong}).codes == [UNAUTHENTICATED]
    locked = graphql(VERIFY, {"ticket": ticket, "code": right})
    assert locked.codes == ["RATE_LIMITED"]


@pytest.mark.parametrize(
    "code",
    ["\u0661" * 6, "12345\uff16", "\u00b9\u00b2\u00b3\u00b9\u00b2\u00b3"],
    ids=["arabic-indic", "fullwidth", "superscript"],
)
def test_digits_of_other_scripts_are_a_wrong_code_and_count(graphql, alice, code):
    """str.isdigit() accepts them, the code comparison then failed with a server error that
    counted no failure: the lock must come after five such guesses as after five wrong codes."""
    secret, _ = enable_mfa(graphql, login(graphql)["access_token"])
    ticket = login(graphql)["mfa_ticket"]
    for _ in range(5):
        assert graphql(VERIFY, {"ticket": ticket, "code": code}).codes == [UNAUTHENTICATED]
    locked = graphql(VERIFY, {"ticket": ticket, "code": fresh_code(secret)})
    assert locked.codes == ["RATE_LIMITED"]
