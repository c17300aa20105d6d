"""
System checks for the django-graphql-auto settings.

The settings are validated here rather than where they are used so that a mistake surfaces at
``manage.py check`` / ``runserver`` / ``migrate`` time, before a request is served: an unknown or
misspelt key silently ignored could expose what it was meant to hide.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from . import conf

TAG = "django_graphql_auto"


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """
    Report every problem :func:`conf.find_problems` finds as a check message.

    The settings are project-wide, so ``app_configs`` does not narrow anything: a model entry is
    checked whatever app is being checked.
    """
    messages: list[checks.CheckMessage] = []
    for problem in conf.find_problems():
        level = checks.Error if problem.is_error else checks.Warning
        messages.append(
            level(problem.message, hint=problem.hint, obj=problem.obj, id=f"{TAG}.{problem.id}")
        )
    return messages


checks.register(check_settings, TAG)


def check_create_mutations(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """W101: a model whose required field no input can set gets no create mutation.

    Every create would fail, so the mutation is left out; the warning says which field to
    expose (or give a default) to get it back.
    """
    if any(p.is_error for p in conf.find_problems()):
        return []  # the settings errors come first; nothing can be built from them
    from django.core.exceptions import ImproperlyConfigured

    from django_graphql_auto.mutations.inputs import input_fields, unsettable_required
    from django_graphql_auto.naming import NameCase
    from django_graphql_auto.schema.metadata import collect_model_schemas, is_password_field

    messages: list[checks.CheckMessage] = []
    for name in conf.schema_names():
        config = conf.load_schema_config(name)
        case = NameCase(camel=config["NAME_CASE"] == "camel")
        try:
            schemas = collect_model_schemas(config, case)
        except ImproperlyConfigured:
            continue  # reported by check_schemas (E101)
        for ms in schemas.values():
            if not ms.config["ENABLE_MUTATIONS"]:
                continue
            missing = unsettable_required(ms, input_fields(ms, schemas, case, update=False))
            # Password fields are never inputs by design: such users come from registration.
            if missing and not all(is_password_field(field) for field in missing):
                messages.append(
                    checks.Warning(
                        f"Schema '{name}': create_{ms.base_name} is not generated because the "
                        f"required field(s) {', '.join(missing)} of {ms.info.label} cannot be set "
                        "through the API.",
                        hint="Expose the field (and its related model), give it a default, or "
                        "set blank=True.",
                        obj=ms.model,
                        id=f"{TAG}.W101",
                    )
                )
    return messages


checks.register(check_create_mutations, TAG)


def check_authentication(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E201: the JWT keys cannot be loaded (missing or unreadable key file, a key of the wrong
    kind for JWT_ALGORITHM), found at ``check`` time rather than on the first login.
    W201: JWT_COOKIE without SESSION_COOKIE_SECURE outside DEBUG sends tokens over plain HTTP."""
    if any(p.is_error for p in conf.find_problems()):
        return []
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from django_graphql_auto.security import jwt

    messages: list[checks.CheckMessage] = []
    for name in conf.schema_names():
        config = conf.load_schema_config(name)
        if not config["ENABLE_AUTHENTICATION"]:
            continue
        jwt_settings = jwt.JWTSettings.from_config(config)
        try:
            jwt.verifying_key(jwt_settings)
            if jwt_settings.algorithm not in jwt.HMAC_ALGORITHMS:
                jwt.signing_key(jwt_settings)
        except ImproperlyConfigured as error:
            messages.append(checks.Error(f"Schema '{name}': {error}", id=f"{TAG}.E201"))
        if config["JWT_COOKIE"] and not settings.SESSION_COOKIE_SECURE and not settings.DEBUG:
            messages.append(
                checks.Warning(
                    f"Schema '{name}': JWT_COOKIE is on but SESSION_COOKIE_SECURE is off, so the "
                    "token cookies would also travel over plain HTTP.",
                    hint="Set SESSION_COOKIE_SECURE = True (the token cookies follow it).",
                    id=f"{TAG}.W201",
                )
            )
    return messages


checks.register(check_authentication, TAG)


def check_schemas(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E101: a schema cannot be built (names that clash, an invalid GraphQL schema); without
    this check the first request would find out, and every request would fail.
    W102: a field whose name is not a GraphQL name is left out. W103: a model with a composite
    primary key is left out. W104: the build failed in project code (say a POLICY class that
    cannot be instantiated): reported, not raised, so that `check` itself still runs.

    Each schema is built through the registry: the build reads models and settings only (no
    database), and the process that runs the checks (`runserver`) then serves that build."""
    if any(p.is_error for p in conf.find_problems()):
        return []
    from django.core.exceptions import ImproperlyConfigured

    from django_graphql_auto.schema.registry import get_schema

    messages: list[checks.CheckMessage] = []
    for name in conf.schema_names():
        messages += _left_out(name)
        try:
            get_schema(name)
        except ImproperlyConfigured as error:
            messages.append(
                checks.Error(
                    f"Schema '{name}' cannot be built: {error}",
                    hint="See docs/naming.md for the names the schema derives from models.",
                    id=f"{TAG}.E101",
                )
            )
        except Exception as error:  # project code (say a POLICY class) failed
            messages.append(
                checks.Warning(
                    f"Schema '{name}' could not be built while checking: "
                    f"{type(error).__name__}: {error}",
                    hint="Every request to this schema would fail the same way.",
                    id=f"{TAG}.W104",
                )
            )
    return messages


def _left_out(name: str) -> list[checks.CheckMessage]:
    """W102 and W103 for one schema: what its models have that the schema cannot carry."""
    from django_graphql_auto.introspection import inspect_model
    from django_graphql_auto.naming import NameCase
    from django_graphql_auto.schema.metadata import has_composite_pk, unnamable_fields

    config = conf.load_schema_config(name)
    case = NameCase(camel=config["NAME_CASE"] == "camel")
    messages: list[checks.CheckMessage] = []
    for model_config in config.models:
        model = model_config.model
        if has_composite_pk(model):
            messages.append(
                checks.Warning(
                    f"Schema '{name}': {model._meta.label} is left out because its primary key "
                    "is a CompositePrimaryKey, which the API cannot carry as an id yet.",
                    hint="Exclude the model (EXCLUDE_MODELS) to silence this warning.",
                    obj=model,
                    id=f"{TAG}.W103",
                )
            )
            continue
        for field in unnamable_fields(inspect_model(model), model_config, case):
            messages.append(
                checks.Warning(
                    f"Schema '{name}': {model._meta.label}.{field} is left out because "
                    f"'{case(field)}' is not a GraphQL name (ASCII letters, digits and _).",
                    hint="Expose it under an ASCII name with a @graphql_field property that "
                    "returns it, and add the field to EXCLUDE_FIELDS to silence this warning.",
                    obj=model,
                    id=f"{TAG}.W102",
                )
            )
    return messages


checks.register(check_schemas, TAG)
