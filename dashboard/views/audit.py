"""The audit export: a form for the range, then the checks as CSV (streamed) or XLSX.

CSV streams, however many checks. A workbook is written whole before its first byte leaves, so up to
AUDIT_EXPORT_BACKGROUND_ROWS checks the request writes it, and more are written by crm's export task, the
request answering at once with the export's page and its download link (docs/exports.md).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.audit import audit_checks, audit_filename, audit_rows, csv_lines, xlsx_file
from crm.models import Counterparty, ExportFormat
from crm.services.exports import audit_export_request
from crm.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from crm.untrusted import object_id

from ..forms import AuditExportForm

DEFAULT_DAYS = 30


def _counterparty(request: HttpRequest, value: str) -> Counterparty | None:
    pk = object_id(value or "")
    return Counterparty.objects.for_workspace(request.workspace).filter(pk=pk).first() if pk else None


@login_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    today = timezone.now().date()
    initial = {"date_from": today - timedelta(days=DEFAULT_DAYS - 1), "date_to": today}
    # Days in the query string (a link, or the form sent again) stay chosen.
    initial.update({key: request.GET[key] for key in ("date_from", "date_to") if request.GET.get(key)})
    counterparty = _counterparty(request, request.GET.get("counterparty", ""))
    if counterparty is not None:
        initial["counterparty"] = str(counterparty.pk)
    context = {
        "form": AuditExportForm(initial=initial),
        "counterparty": counterparty,
        "background_rows": settings.AUDIT_EXPORT_BACKGROUND_ROWS,
    }
    return render(request, "dashboard/audit.html", context)


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
    if file_format == ExportFormat.XLSX and checks.count() > settings.AUDIT_EXPORT_BACKGROUND_ROWS:
        export = audit_export_request(
            workspace=request.workspace,
            user=request.user,
            first=first,
            last=last,
            counterparty=counterparty,
            file_format=file_format,
        )
        return redirect("crm:export_detail", pk=export.pk)
    rows = audit_rows(checks)
    scope = counterparty.vat_number if counterparty else request.workspace.slug
    filename = audit_filename(scope=scope, first=first, last=last, file_format=file_format)
    if file_format == ExportFormat.XLSX:
        return FileResponse(xlsx_file(rows), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response = StreamingHttpResponse(csv_lines(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
