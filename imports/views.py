"""The import pages: upload, reading, column mapping, preview, commit, live progress, report, template.

Every job is looked up in the request's workspace (another workspace's id is a 404). Everyone in the
workspace may read a job and download its report; only owners and members may upload, map, commit or
discard (a viewer reads and exports, and changes nothing).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Role
from crm.permissions import may, require_role
from crm.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_lines

from .columns import TEMPLATE_EXAMPLE, template_headers
from .forms import MappingForm, UploadForm
from .models import Classification, ImportJob, JobStatus
from .reading import UnreadableFile
from .report import report_headers, report_rows, xlsx_file
from .selectors import job_progress
from .services import (
    ImportConflict,
    job_commit,
    job_map,
    job_reconcile,
    job_upload,
    readings_reconcile,
    rows_read,
    upload_delete,
)

ROWS_PER_PAGE = 100
# A job whose file a worker has not read (yet, or at all): it has no rows to preview or map.
_UNREAD = (JobStatus.READING, JobStatus.FAILED)


def _job(request: HttpRequest, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=pk, workspace=request.workspace)


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    allowed = may(request, Role.MEMBER)
    form = UploadForm()
    status = 200
    if request.method == "POST":
        require_role(request, Role.MEMBER)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = job_upload(workspace=request.workspace, user=request.user, upload=upload, filename=upload.name)
            except UnreadableFile as error:
                form.add_error("file", error.message)
            else:
                # A worker reads it: the job's page follows the reading and becomes the preview.
                return redirect("imports:job", pk=job.pk)
        status = 400
    jobs = ImportJob.objects.filter(workspace=request.workspace).select_related("created_by")[:20]
    context = {"form": form, "jobs": jobs, "may_import": allowed}
    return render(request, "imports/upload.html", context, status=status)


@login_required
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.is_committed or job.status in _UNREAD:
        return redirect("imports:job", pk=job.pk)
    require_role(request, Role.MEMBER)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        job_map(job=job, mapping=form.mapping)
        return redirect("imports:job", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    preview = list(job.rows.order_by("line").values_list("cells", flat=True)[:5])
    return render(request, "imports/mapping.html", {"job": job, "form": form, "preview": preview}, status=status)


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.status == JobStatus.MAPPING:
        return redirect("imports:mapping", pk=job.pk)
    if job.status in _UNREAD:
        context = {"job": job, "rows_read": rows_read(job.pk), "may_import": may(request, Role.MEMBER)}
        return render(request, "imports/reading.html", context)
    shown = request.GET.get("show", "")
    rows = job.rows.order_by("line")
    if shown in Classification.values:
        rows = rows.filter(classification=shown)
    else:
        shown = ""
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    counts = [(value, label, job.count(value)) for value, label in Classification.choices]
    context = {
        "job": job,
        "page": page,
        "shown": shown,
        "counts": counts,
        "may_import": may(request, Role.MEMBER),
        "progress": job_progress(job) if job.is_committed else None,
    }
    return render(request, "imports/job.html", context)


@login_required
@require_POST
def commit(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    require_role(request, Role.MEMBER)
    try:
        job = job_commit(job=job, user=request.user)
    except ImportConflict:
        messages.error(request, _("The CRM changed while the import was written; nothing was saved. Try again."))
    else:
        if job.is_committed:
            messages.success(request, _("Imported. The new counterparties are being verified."))
    return redirect("imports:job", pk=job.pk)


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    require_role(request, Role.MEMBER)
    if not job.is_committed:
        upload_delete(job)
        job.delete()
        messages.success(request, _("The preview was discarded; nothing was imported."))
    return redirect("imports:upload")


@login_required
def progress(request: HttpRequest, pk: int) -> JsonResponse:
    """The poll of the job's page, while the file is read and then while it is verified. It also reconciles
    the job: a lost read or a chunk whose worker died is sent again."""
    job = _job(request, pk)
    if job.status == JobStatus.VERIFYING:
        job_reconcile(job=job)
        job.refresh_from_db()
    elif job.status == JobStatus.READING:
        readings_reconcile(jobs=ImportJob.objects.filter(pk=job.pk))
    answer = job_progress(job).as_json()
    if job.status == JobStatus.READING:
        answer["rows_read"] = rows_read(job.pk)
    return JsonResponse(answer)


@login_required
def report(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    job = _job(request, pk)
    filename = f"import-{job.pk}-report.{file_format}"
    if file_format == "xlsx":
        response = HttpResponse(
            xlsx_file(_("Import report"), report_headers(), report_rows(job)), content_type=XLSX_CONTENT_TYPE
        )
    else:
        response = StreamingHttpResponse(csv_lines(report_headers(), report_rows(job)), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def template(request: HttpRequest, file_format: str) -> HttpResponse:
    """An empty file with our headers and one example row, to fill in."""
    filename = f"vatcrm-import-template.{file_format}"
    if file_format == "xlsx":
        body = xlsx_file(_("Counterparties"), template_headers(), [TEMPLATE_EXAMPLE])
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    else:
        response = HttpResponse(
            "".join(csv_lines(template_headers(), [TEMPLATE_EXAMPLE])), content_type=CSV_CONTENT_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
