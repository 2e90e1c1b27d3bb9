"""Changing counterparties: edit, archive, restore, delete, and the CRM list's bulk actions.

Every lookup starts from the request's workspace (another workspace's id is a 404); every change needs
the member role (crm.permissions) and goes through crm.services.counterparties, which records it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..forms import BulkActionForm, CounterpartyForm
from ..models import Counterparty, Role
from ..permissions import require_role, role_required
from ..services.counterparties import (
    CounterpartyHasChecks,
    counterparties_archive,
    counterparties_restore,
    counterparties_reverify,
    counterparties_tag,
    counterparty_delete,
    counterparty_update,
)
from ..untrusted import local_next
from .counterparties import export_response


def _counterparty(request: HttpRequest, pk: int) -> Counterparty:
    return get_object_or_404(Counterparty.objects.for_workspace(request.workspace), pk=pk)


@login_required
@role_required(Role.MEMBER, to_read=True)
def counterparty_edit(request: HttpRequest, pk: int) -> HttpResponse:
    counterparty = _counterparty(request, pk)
    form = CounterpartyForm(request.POST or None, instance=counterparty)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            counterparty_update(
                counterparty=counterparty,
                actor=request.user,
                name=data["name"],
                address=data["address"],
                external_reference=data["external_reference"],
                notes=data["notes"],
                tags=data["tags"],
            )
            messages.success(request, _("Changes saved."))
            return redirect("crm:counterparty_detail", pk=pk)
        counterparty.refresh_from_db()  # the form wrote the rejected values onto the instance
    status = 400 if form.is_bound else 200
    return render(request, "crm/counterparty_edit.html", {"form": form, "counterparty": counterparty}, status=status)


_ARCHIVE_MESSAGES = {
    True: _lazy("%(name)s is archived: kept with its checks, out of the list and out of monitoring."),
    False: _lazy("%(name)s is back in the list. Monitoring is off."),
}


@login_required
@require_POST
@role_required(Role.MEMBER)
def counterparty_archive(request: HttpRequest, pk: int, *, archive: bool = True) -> HttpResponse:
    """Archive the counterparty, or (with `archive=False`, the restore URL) bring it back."""
    counterparty = _counterparty(request, pk)
    change = counterparties_archive if archive else counterparties_restore
    change(workspace=request.workspace, ids=[counterparty.pk], actor=request.user)
    messages.success(request, _ARCHIVE_MESSAGES[archive] % {"name": counterparty.display_name})
    return redirect("crm:counterparty_detail", pk=pk)


@login_required
@role_required(Role.MEMBER, to_read=True)
def counterparty_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes, if the counterparty was never checked."""
    counterparty = _counterparty(request, pk)
    has_checks = counterparty.checks.exists()
    if request.method == "POST":
        try:
            counterparty_delete(counterparty=counterparty)
        except CounterpartyHasChecks as refusal:
            messages.error(request, str(refusal))
            return redirect("crm:counterparty_detail", pk=pk)
        messages.success(request, _("%(name)s was deleted.") % {"name": counterparty.display_name})
        return redirect("crm:counterparty_list")
    return render(request, "crm/counterparty_delete.html", {"counterparty": counterparty, "has_checks": has_checks})


def _back(request: HttpRequest) -> str:
    return local_next(request, reverse("crm:counterparty_list"))


@login_required
@require_POST
def counterparty_bulk(request: HttpRequest) -> HttpResponse:
    """An action on the ticked counterparties of the list; ids of another workspace do nothing."""
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        errors = form.errors.as_data()
        if set(errors) == {"counterparty"} and errors["counterparty"][0].code == "required":
            messages.warning(request, errors["counterparty"][0].messages[0])
            return HttpResponseRedirect(_back(request))
        text = " ".join(message for field in errors.values() for error in field for message in error.messages)
        return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
    action, ids = form.cleaned_data["action"], form.cleaned_data["counterparty"]
    workspace, actor = request.workspace, request.user
    if action in BulkActionForm.READING:
        selection = Counterparty.objects.for_workspace(workspace).filter(pk__in=ids)
        return export_response(request, selection, "xlsx" if action == BulkActionForm.EXPORT_XLSX else "csv")
    require_role(request, Role.MEMBER)
    if action == BulkActionForm.REVERIFY:
        count = counterparties_reverify(workspace=workspace, ids=ids, actor=actor)
        message = ngettext(
            "%(count)d counterparty is being verified again; the results appear as the registry answers.",
            "%(count)d counterparties are being verified again; the results appear as the registry answers.",
            count,
        )
    elif action in (BulkActionForm.TAG_ADD, BulkActionForm.TAG_REMOVE):
        add = action == BulkActionForm.TAG_ADD
        count = counterparties_tag(
            workspace=workspace, ids=ids, tag_name=form.cleaned_data["tag"], add=add, actor=actor
        )
        message = (
            ngettext("Tag added to %(count)d counterparty.", "Tag added to %(count)d counterparties.", count)
            if add
            else ngettext(
                "Tag removed from %(count)d counterparty.", "Tag removed from %(count)d counterparties.", count
            )
        )
    elif action == BulkActionForm.ARCHIVE:
        count = counterparties_archive(workspace=workspace, ids=ids, actor=actor)
        message = ngettext("%(count)d counterparty archived.", "%(count)d counterparties archived.", count)
    else:
        count = counterparties_restore(workspace=workspace, ids=ids, actor=actor)
        message = ngettext("%(count)d counterparty restored.", "%(count)d counterparties restored.", count)
    messages.success(request, message % {"count": count})
    return HttpResponseRedirect(_back(request))
