"""The audit export: a form for the range, then the checks as CSV (streamed) or XLSX."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.models import Counterparty
from crm.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from crm.untrusted import object_id

from ..audit import audit_checks, audit_rows, csv_lines, xlsx_file
from ..forms import AuditExportForm

DEFAULT_DAYS = 30
XLSX_MAX_ROWS = 50_000


def _counterparty(request: HttpRequest, value: str) -> Counterparty | None:
    pk = object_id(value or "")
    return Counterparty.objects.for_workspace(request.workspace).filter(pk=pk).first() if pk else None


@login_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    today = timezone.now().date()
    initial = {"date_from": today - timedelta(days=DEFAULT_DAYS - 1), "date_to": today}
    # Sent back here from an export that was refused: the days chosen stay chosen.
    initial.update({key: request.GET[key] for key in ("date_from", "date_to") if request.GET.get(key)})
    counterparty = _counterparty(request, request.GET.get("counterparty", ""))
    if counterparty is not None:
        initial["counterparty"] = str(counterparty.pk)
    return render(
        request, "dashboard/audit.html", {"form": AuditExportForm(initial=initial), "counterparty": counterparty}
    )


@login_required
@require_GET
def audit_export(request: HttpRequest, file_format: str) -> HttpResponse:
    form = AuditExportForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    first, last = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    counterparty = _counterparty(request, form.cleaned_data["counterparty"])
    if form.cleaned_data["counterparty"] and counterparty is None:
        return HttpResponseBadRequest(_("No such counterparty in this workspace."), content_type="text/plain")
    checks = audit_checks(request.workspace, first=first, last=last, counterparty=counterparty)
    if file_format == "xlsx" and (count := checks.count()) > XLSX_MAX_ROWS:
        # A workbook is written whole before its first byte leaves: this many rows would hold a web worker
        # for minutes. CSV streams row by row, however many.
        messages.error(
            request,
            _("%(count)s checks are too many for one Excel file (at most %(max)s): choose fewer days, or CSV.")
            % {"count": count, "max": XLSX_MAX_ROWS},
        )
        return HttpResponseRedirect(f"{reverse('dashboard:audit')}?{request.GET.urlencode()}")
    rows = audit_rows(checks)
    scope = counterparty.vat_number if counterparty else request.workspace.slug
    filename = f"checks-{scope}-{first:%Y%m%d}-{last:%Y%m%d}.{file_format}"
    if file_format == "xlsx":
        return FileResponse(xlsx_file(rows), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response = StreamingHttpResponse(csv_lines(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
