from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # crm's exports say when a counterparty is next re-checked; only monitoring knows (the schedule),
        # and crm does not import monitoring, so monitoring hands its answer over.
        from crm import exports

        from .schedule import next_check_times

        exports.next_check_times = next_check_times
