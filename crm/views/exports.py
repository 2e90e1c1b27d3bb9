"""An export written in the background: the page that follows it, and its download."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ..exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from ..models import Export, ExportFormat, ExportState


def _export(request: HttpRequest, pk: int) -> Export:
    return get_object_or_404(Export.objects.filter(workspace=request.workspace), pk=pk)


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The export's state; static/js/app.js asks again (as JSON) until it is finished, then reloads."""
    export = _export(request, pk)
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        return JsonResponse(
            {
                "state": export.state,
                "state_label": export.get_state_display(),
                "finished": export.is_finished,
                "rows": export.rows,
                "download_url": reverse("crm:export_download", args=[export.pk])
                if export.state == ExportState.DONE
                else None,
            }
        )
    context = {
        "export": export,
        "expected": export.expected,
        "retention_hours": round(settings.EXPORT_RETENTION.total_seconds() / 3600),
    }
    return render(request, "crm/export_detail.html", context)


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = _export(request, pk)
    if export.state != ExportState.DONE or not export.file:
        raise Http404("The export is not ready.")
    content_type = XLSX_CONTENT_TYPE if export.file_format == ExportFormat.XLSX else CSV_CONTENT_TYPE
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.filename, content_type=content_type)
