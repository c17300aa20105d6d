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
    from django_graphql_auto.mutations.inputs import input_fields, unsettable_required
    from django_graphql_auto.naming import NameCase
    from django_graphql_auto.schema.metadata import collect_model_schemas, is_password_field

    messages: list[checks.CheckMessage] = []
    for name in conf.schema_names():
        config = conf.load_schema_config(name)
        case = NameCase(camel=config["NAME_CASE"] == "camel")
        schemas = collect_model_schemas(config, case)
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
