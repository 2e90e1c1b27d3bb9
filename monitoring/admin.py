"""Runs in the operators' console: read-only totals, and the per-counterparty rows behind them.

The daily schedule itself is django-celery-beat's "Periodic tasks" > "monitoring: daily run"; its crontab
is edited there and the running beat picks the change up without a restart.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import MonitoringRun, Recheck


@admin.register(MonitoringRun)
class MonitoringRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "trigger",
        "state",
        "finished_at",
        "due",
        "enqueued",
        "checked",
        "changed",
        "unverified",
        "retried",
        "skipped",
        "alerts",
        "missed",
        "redispatched",
        "pending",
    ]
    list_filter = [
        "trigger",
        ("finished_at", admin.EmptyFieldListFilter),
        ("incomplete_reason", admin.EmptyFieldListFilter),
    ]
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in MonitoringRun._meta.fields] + ["pending", "rechecks_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MonitoringRun]:
        # A subquery per run on the partial index of pending rows, not a join over every Recheck row.
        pending = (
            Recheck.objects.filter(run=OuterRef("pk"), finished_at__isnull=True)
            .order_by()
            .values("run")
            .annotate(count=Count("id"))
            .values("count")
        )
        return super().get_queryset(request).annotate(pending_count=Coalesce(Subquery(pending), 0))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> MonitoringRun | None:
        # A run in progress has no stored totals yet (they are counted when it ends): count them now.
        run = super().get_object(request, object_id, from_field)
        return run.with_live_totals() if run is not None else None

    @admin.display(description=_("pending"), ordering="pending_count")
    def pending(self, run: MonitoringRun) -> int:
        return run.pending_count

    @admin.display(description=_("state"))
    def state(self, run: MonitoringRun) -> str:
        # The reason itself is on the run's page in the admin (a read-only field) and in the log.
        if run.is_incomplete:
            return _("incomplete: %(missed)s not re-checked") % {"missed": run.missed}
        return _("complete") if run.is_finished else _("in progress")

    @admin.display(description=_("re-checks"))
    def rechecks_link(self, run: MonitoringRun) -> str:
        url = reverse("admin:monitoring_recheck_changelist") + f"?run__exact={run.pk}"
        text = ngettext("the %(count)s re-check of this run", "the %(count)s re-checks of this run", run.enqueued)
        return format_html('<a href="{}">{}</a>', url, text % {"count": run.enqueued})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are started by the schedule or `manage.py run_monitoring`

    def has_change_permission(self, request: HttpRequest, obj: MonitoringRun | None = None) -> bool:
        return False


@admin.register(Recheck)
class RecheckAdmin(admin.ModelAdmin):
    list_display = [
        "counterparty",
        "run",
        "outcome",
        "attempts",
        "changed",
        "alerts",
        "workspace",
        "dispatched_at",
        "picked_at",
        "finished_at",
    ]
    list_filter = ["outcome", "changed"]
    search_fields = ["counterparty__vat_number", "counterparty__name", "workspace__name"]
    list_select_related = ["counterparty", "run", "workspace"]
    readonly_fields = [field.name for field in Recheck._meta.fields]
    show_full_result_count = False  # a night is 100,000 rows: skip the second COUNT(*)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Recheck | None = None) -> bool:
        return False
