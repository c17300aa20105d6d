from django.apps import AppConfig


class OdditiesConfig(AppConfig):
    name = "tests.oddities"
    label = "oddities"
