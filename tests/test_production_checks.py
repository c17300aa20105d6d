"""`manage.py check --deploy` names the settings that are unsafe once DEBUG is off (W301-W307),
per schema, and stays quiet while developing."""

from __future__ import annotations

from django.core.checks import run_checks
from django.test.utils import override_settings

REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x:1"}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def deploy_warnings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in run_checks(include_deployment_checks=True, tags=["django_graphql_auto"]):
        if message.id.startswith("django_graphql_auto.W30"):
            found.setdefault(message.id.rsplit(".", 1)[1], []).append(message.msg)
    return found


UNSAFE = {
    "INTROSPECTION": True,
    "GRAPHIQL": True,
    "DEBUG_ERRORS": True,
    "STATEMENT_TIMEOUT_MS": 0,
    "PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"],
}


@override_settings(DEBUG=False, CACHES={"default": LOCMEM}, DJANGO_GRAPHQL_AUTO=UNSAFE)
def test_every_unsafe_setting_is_named():
    warnings = deploy_warnings()
    assert sorted(warnings) == ["W301", "W302", "W303", "W304", "W305", "W306", "W307"]
    assert warnings["W301"] == [
        "Schema 'default': INTROSPECTION is True: the API answers introspection, so anyone can "
        "read the whole schema although DEBUG is off."
    ]


@override_settings(
    DEBUG=False,
    CACHES={"default": LOCMEM, "limits": REDIS},
    DJANGO_GRAPHQL_AUTO={
        "ENABLE_RATE_LIMITING": True,
        "RATE_LIMIT_CACHE": "limits",
        "SCHEMAS": {"open": {"PERMISSION_CLASSES": ["django_graphql_auto.permissions.AllowAny"]}},
    },
)
def test_a_production_setup_is_quiet_and_each_schema_is_checked():
    """The defaults (INTROSPECTION, GRAPHIQL and DEBUG_ERRORS follow DEBUG; a statement
    timeout) pass; a schema opened to anyone is named on its own. Opening apps or models one by
    one (the example's GRAPHQL_AUTO_APPS) is the way the docs recommend and is not warned."""
    assert deploy_warnings() == {
        "W307": [
            "Schema 'open': PERMISSION_CLASSES of the whole schema include AllowAny: every "
            "exposed model can be read and written by anonymous clients unless it says otherwise."
        ]
    }


def test_nothing_is_said_while_developing_or_without_deploy():
    with override_settings(DEBUG=True, DJANGO_GRAPHQL_AUTO=UNSAFE):
        assert deploy_warnings() == {}
    with override_settings(DEBUG=False, DJANGO_GRAPHQL_AUTO=UNSAFE):
        ids = {message.id for message in run_checks(tags=["django_graphql_auto"])}
        assert not {i for i in ids if i.startswith("django_graphql_auto.W30")}
