"""/notifications/: a member's preferences; for owners, the chat channels and the deliveries that failed.

Every lookup starts from request.workspace: another workspace's channel or delivery is a 404; a member or
viewer reaching for the owners' actions is a 403 (crm.permissions). Preferences are each reader's own, and
a viewer may set theirs.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.middleware import QUERY_PARAMETER
from crm.models import Role, Workspace
from crm.permissions import require_role

from .forms import ChannelForm, PreferenceForm
from .models import ChatChannel, Delivery, DeliveryStatus, NotificationPreference
from .services import channel_send_test, delivery_retry
from .tasks import send_deliveries
from .transports import TransportError

FAILURES_SHOWN = 50


def _require_owner(request: HttpRequest) -> Workspace:
    require_role(request, Role.OWNER)
    return request.workspace


def _owned_channel(request: HttpRequest, pk: int) -> ChatChannel:
    workspace = _require_owner(request)
    return get_object_or_404(ChatChannel, pk=pk, workspace=workspace)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if QUERY_PARAMETER in request.GET:
        # The link in an email names the alert's workspace (`?workspace=<id>`). crm's middleware makes it
        # the current one, if it is the reader's, when `request.workspace` is first evaluated (it is lazy:
        # hence the `.pk` here). The redirect only drops the parameter from the address bar.
        request.workspace.pk  # noqa: B018
        return redirect("notifications:index")
    workspace = request.workspace
    preference = NotificationPreference.for_member(user=request.user, workspace=workspace)
    form = PreferenceForm(instance=preference)
    if request.method == "POST":
        form = PreferenceForm(request.POST, instance=preference)
        if form.is_valid():
            preference = form.save(commit=False)
            preference.updated_at = timezone.now()
            preference.save()
            messages.success(request, _("Notification preferences saved."))
            return redirect("notifications:index")
    is_owner = workspace.is_owner(request.user)
    failures = (
        Delivery.objects.filter(workspace=workspace, status=DeliveryStatus.FAILED)
        .select_related("alert__counterparty", "channel")
        .order_by("-failed_at")[:FAILURES_SHOWN]
        if is_owner
        else []
    )
    context = {
        "workspace": workspace,
        "form": form,
        "is_owner": is_owner,
        "channels": ChatChannel.objects.filter(workspace=workspace),
        "failures": failures,
    }
    return render(request, "notifications/index.html", context)


@login_required
def channel_add(request: HttpRequest) -> HttpResponse:
    workspace = _require_owner(request)
    form = ChannelForm(request.POST or None, initial={"kind": request.GET.get("kind", "slack")})
    if request.method == "POST" and form.is_valid():
        channel = form.save(commit=False)
        channel.workspace, channel.created_by = workspace, request.user
        channel.save()
        _announce_saved(request, channel, form)
        return redirect("notifications:index")
    return render(request, "notifications/channel_form.html", {"form": form, "channel": None})


@login_required
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _owned_channel(request, pk)
    form = ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        form.save()
        _announce_saved(request, channel, form)
        return redirect("notifications:index")
    return render(request, "notifications/channel_form.html", {"form": form, "channel": channel})


def _announce_saved(request: HttpRequest, channel: ChatChannel, form: ChannelForm) -> None:
    messages.success(request, _("Channel “%(name)s” saved.") % {"name": channel.name})
    if form.generated_secret:
        messages.warning(
            request,
            f"Signing secret of “{channel.name}”: {form.generated_secret} — copy it now, it is not shown again.",
        )


@login_required
@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _owned_channel(request, pk)
    channel.delete()
    messages.success(request, _("Channel “%(name)s” removed.") % {"name": channel.name})
    return redirect("notifications:index")


@login_required
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _owned_channel(request, pk)
    try:
        channel_send_test(channel=channel)
    except TransportError as error:
        messages.error(
            request,
            _("The test message to “%(name)s” failed: %(error)s") % {"name": channel.name, "error": error.message},
        )
    else:
        messages.success(request, _("Test message sent to “%(name)s”.") % {"name": channel.name})
    return redirect("notifications:index")


@login_required
@require_POST
def delivery_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _require_owner(request)
    delivery = get_object_or_404(Delivery, pk=pk, workspace=workspace)
    if delivery_retry(delivery=delivery):
        transaction.on_commit(lambda: send_deliveries.delay([delivery.pk]))
        messages.success(request, _("Sending again to %(address)s.") % {"address": delivery.address})
    return redirect("notifications:index")
