from django.apps import AppConfig


class ClashesConfig(AppConfig):
    name = "tests.clashes"
    label = "clashes"
