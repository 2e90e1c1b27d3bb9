"""The workspace's home page: its figures and four charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.countries import country_name

from .. import selectors
from ..charts import Paint, bar_chart
from ..selectors import Series

# Colours repeat the words of the badges (static/css/app.css); patterns tell the series apart without them.
STATUS_PAINTS = {
    "valid": Paint(_("Valid"), "#1b7f3b"),
    "invalid": Paint(_("Invalid"), "#b42318"),
    "unchecked": Paint(_("Not checked yet"), "#7b8794"),
}
CHECK_PAINTS = {
    "valid": Paint(_("Valid"), "#1b7f3b"),
    "invalid": Paint(_("Invalid"), "#b42318"),
    "unverified": Paint(_("Unverified (registry unavailable)"), "#a15c07"),
    "error": Paint(_("Error on our side"), "#6b21a8"),
}
SEVERITY_PAINTS = {
    "info": Paint(_("Info"), "#2f6fb5"),
    "warning": Paint(_("Warning"), "#a15c07"),
    "critical": Paint(_("Critical"), "#b42318"),
}
AVAILABILITY_PAINTS = {
    "answered": Paint(_("Answered"), "#1b7f3b"),
    "outage": Paint(_("Outage"), "#a15c07"),
}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    now = timezone.now()
    today = now.date()
    figures = selectors.headline(workspace, now)
    statuses = selectors.status_over_time(workspace, today, figures)
    checks = selectors.checks_per_day(workspace, today)
    alerts = selectors.alerts_per_week(workspace, today)
    availability = selectors.registry_availability(today)
    shares = Series(
        labels=[row.country_code for row in availability],
        names=[f"{country_name(row.country_code)} ({row.country_code})" for row in availability],
        values={
            "answered": [row.answered_share for row in availability],
            "outage": [row.outage_share for row in availability],
        },
    )
    charts = [
        _chart("status", _("Counterparties by status, last 30 days"), statuses, STATUS_PAINTS),
        _chart("checks", _("Checks per day by result, last 30 days"), checks, CHECK_PAINTS),
        _chart("alerts", _("Alerts per week by severity, last 12 weeks"), alerts, SEVERITY_PAINTS),
    ]
    return render(
        request,
        "dashboard/home.html",
        {
            "figures": figures,
            "schedule": selectors.schedule(workspace, now),
            "charts": charts,
            "availability": availability,
            "availability_chart": bar_chart(
                "registries",
                shares,
                AVAILABILITY_PAINTS,
                title=_("Registry availability per member state, last 14 days"),
                horizontal=True,
                percent=True,
            )
            if availability
            else None,
            "now": now,
        },
    )


def _chart(name: str, title, series: Series, paints: dict[str, Paint]) -> dict:
    """A chart and the same figures as rows of a table (label, one value per series)."""
    keys = [key for key in paints if key in series.values]
    return {
        "name": name,
        "title": title,
        "svg": bar_chart(name, series, paints, title=title),
        "columns": [paints[key].label for key in keys],
        "rows": [(label, [series.values[key][index] for key in keys]) for index, label in enumerate(series.labels)],
    }
