"""The alert inbox: every alert of the workspace, filtered, acknowledged one at a time or many at once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from crm.models import Alert, Role
from crm.permissions import require_role
from crm.untrusted import local_next, object_id

from ..filters import AlertFilter
from ..forms import AcknowledgeForm
from ..services import alerts_acknowledge

PAGE_SIZE = 50


def _workspace_alerts(request: HttpRequest):
    return Alert.objects.filter(workspace=request.workspace)


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    queryset = _workspace_alerts(request).select_related("counterparty", "acknowledged_by")
    alert_filter = AlertFilter(request.GET, queryset=queryset)
    page = Paginator(alert_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboard/alert_list.html",
        {
            "filter": alert_filter,
            "page": page,
            "alerts": page.object_list,
            "query_without_page": query.urlencode(),
            "form": AcknowledgeForm(),
        },
    )


@login_required
@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(
        _workspace_alerts(request).select_related("counterparty", "acknowledged_by", "check_run", "previous_check"),
        pk=pk,
    )
    return render(request, "dashboard/alert_detail.html", {"alert": alert, "form": AcknowledgeForm()})


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(_workspace_alerts(request), pk=pk)
    require_role(request, Role.MEMBER)  # viewers read and export; acknowledging is a change
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return render(request, "dashboard/alert_detail.html", {"alert": alert, "form": form}, status=400)
    done = alerts_acknowledge(
        workspace=request.workspace, alert_ids=[alert.pk], user=request.user, comment=form.cleaned_data["comment"]
    )
    if done:
        messages.success(request, _("Alert acknowledged."))
    else:
        messages.info(request, _("Someone had acknowledged this alert already; their acknowledgement stands."))
    return HttpResponseRedirect(local_next(request, reverse("dashboard:alert_detail", args=[alert.pk])))


@login_required
@require_POST
def alert_bulk_acknowledge(request: HttpRequest) -> HttpResponse:
    require_role(request, Role.MEMBER)  # viewers read and export; acknowledging is a change
    raw = request.POST.getlist("alert")
    ids = [object_id(value) for value in raw]
    if not raw or None in ids:
        return HttpResponseBadRequest(_("Tick the alerts to acknowledge."), content_type="text/plain")
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(form.errors.get("comment", [])), content_type="text/plain")
    done = alerts_acknowledge(
        workspace=request.workspace, alert_ids=ids, user=request.user, comment=form.cleaned_data["comment"]
    )
    messages.success(
        request, ngettext("%(count)d alert acknowledged.", "%(count)d alerts acknowledged.", done) % {"count": done}
    )
    return HttpResponseRedirect(local_next(request, reverse("dashboard:alert_list")))
