from django.apps import AppConfig


class BenchModelsConfig(AppConfig):
    name = "benchmarks.bench_models"
    label = "bench_models"
    default_auto_field = "django.db.models.BigAutoField"
