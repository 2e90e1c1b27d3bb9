from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (webhook events: checks, status changes, alerts, imports)
