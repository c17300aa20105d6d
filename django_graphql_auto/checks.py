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
