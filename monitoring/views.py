"""Monitoring pages and switches. Every query starts from request.workspace: another tenant's id is a 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from crm.models import Counterparty, MonitoringFrequency, Role
from crm.permissions import may, require_role, role_required
from crm.untrusted import local_next, object_id
from crm.vocabulary import when

from .models import RecheckOutcome
from .schedule import schedule_in_words
from .selectors import (
    daily_run_task,
    monitoring_card,
    next_run_at,
    run_alerts,
    run_rechecks,
    runs_for_workspace,
    workspace_shares,
)
from .services import RunNowTooSoon, counterparty_monitoring_set, workspace_run_next_allowed, workspace_run_start

# The card's script sends this header; without it (no JavaScript) the answer is a redirect.
FETCH_HEADER = "X-Requested-With"


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    monitored = Counterparty.objects.for_workspace(workspace).monitored()
    task = daily_run_task()
    runs = list(runs_for_workspace(workspace).order_by("-started_at", "-id")[:30])
    return render(
        request,
        "monitoring/overview.html",
        {
            "monitored_daily": monitored.filter(monitoring=MonitoringFrequency.DAILY).count(),
            "monitored_weekly": monitored.filter(monitoring=MonitoringFrequency.WEEKLY).count(),
            "due_now": monitored.due().count(),
            "task": task,
            "schedule_words": schedule_in_words(task),
            "next_run_at": next_run_at(timezone.now(), task),
            "shares": workspace_shares(workspace, runs),
            "may_run_now": may(request, Role.OWNER),
            "run_now_allowed_at": workspace_run_next_allowed(workspace),
        },
    )


@login_required
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    """An owner starts a run of their own workspace's monitoring now (rate limited in the service)."""
    require_role(request, Role.OWNER, reason=_("Only an owner of the workspace can start a run."))
    workspace = request.workspace
    try:
        run = workspace_run_start(workspace=workspace)
    except RunNowTooSoon as refused:
        messages.warning(
            request,
            _("A run of this workspace started less than %(minutes)s minutes ago; the next one can start at %(when)s.")
            % {"minutes": _minutes(settings.MONITORING_RUN_NOW_INTERVAL), "when": when(refused.next_allowed_at)},
        )
        return redirect("monitoring:overview")
    messages.success(
        request,
        ngettext(
            "A run of %(count)d monitored counterparty has started; its results appear below as they come.",
            "A run of %(count)d monitored counterparties has started; its results appear below as they come.",
            run.due,
        )
        % {"count": run.due},
    )
    return redirect("monitoring:overview")


def _minutes(span) -> str:
    return f"{span.total_seconds() / 60:g}"


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(runs_for_workspace(request.workspace), pk=pk)
    workspace = request.workspace
    return render(
        request,
        "monitoring/run_detail.html",
        {
            "share": workspace_shares(workspace, [run])[0],
            "rechecks": run_rechecks(workspace, run)[:500],
            "missed": run_rechecks(workspace, run).filter(outcome=RecheckOutcome.MISSED)[:500],
            "window_hours": f"{settings.MONITORING_RUN_WINDOW.total_seconds() / 3600:g}",
            "alerts": run_alerts(workspace, run),
        },
    )


@login_required
@require_POST
@role_required(Role.MEMBER)
def counterparty_monitoring(request: HttpRequest, pk: int) -> HttpResponse:
    """Set one counterparty's monitoring (off, daily, weekly); answers fetch() with the re-rendered card."""
    counterparty = get_object_or_404(Counterparty.objects.for_workspace(request.workspace), pk=pk)
    # No value is a plain toggle: off becomes daily, on becomes off.
    frequency = request.POST.get("monitoring") or (
        MonitoringFrequency.OFF if counterparty.is_monitored else MonitoringFrequency.DAILY
    )
    if frequency not in MonitoringFrequency.values:
        return HttpResponseBadRequest("monitoring must be one of: " + ", ".join(MonitoringFrequency.values))
    counterparty_monitoring_set(
        workspace=request.workspace, counterparty_ids=[counterparty.pk], frequency=frequency, actor=request.user
    )
    counterparty.refresh_from_db()
    if request.headers.get(FETCH_HEADER) == "fetch":
        card = monitoring_card(counterparty)
        return HttpResponse(render_to_string("monitoring/_card.html", {"card": card}, request=request))
    messages.success(
        request,
        _("Monitoring of %(name)s: %(frequency)s.")
        % {"name": counterparty.display_name, "frequency": counterparty.get_monitoring_display()},
    )
    return redirect("crm:counterparty_detail", pk=counterparty.pk)


@login_required
@require_POST
@role_required(Role.MEMBER)
def bulk_monitoring(request: HttpRequest) -> HttpResponse:
    """Monitoring on or off for the counterparties ticked in the CRM list (ids of other workspaces do nothing)."""
    frequency = request.POST.get("monitoring", "")
    back = local_next(request, reverse("crm:counterparty_list"))
    if frequency not in MonitoringFrequency.values:
        return HttpResponseBadRequest("monitoring must be one of: " + ", ".join(MonitoringFrequency.values))
    ids = [object_id(value) for value in request.POST.getlist("counterparty")]
    if None in ids:
        return HttpResponseBadRequest(_("counterparty must be the ids of counterparties."), content_type="text/plain")
    if not ids:
        messages.warning(request, _("Tick at least one counterparty first."))
        return HttpResponseRedirect(back)
    updated = counterparty_monitoring_set(
        workspace=request.workspace, counterparty_ids=ids, frequency=frequency, actor=request.user
    )
    label = str(MonitoringFrequency(frequency).label).lower()
    messages.success(
        request,
        ngettext(
            "Monitoring %(frequency)s for %(count)d counterparty.",
            "Monitoring %(frequency)s for %(count)d counterparties.",
            updated,
        )
        % {"frequency": label, "count": updated},
    )
    return HttpResponseRedirect(back)
