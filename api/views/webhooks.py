"""The owners' webhook pages: endpoints (the signing secret shown once), and each one's deliveries with
their attempts, so that a receiver's failures can be seen and sent again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import WebhookEndpointForm
from ..models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from ..models.webhooks import new_signing_secret
from ..services.webhooks import delivery_retry
from ..tasks import webhook_send
from .pages import owned_workspace

DELIVERIES_SHOWN = 50


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    workspace = owned_workspace(request)
    form, created, status = WebhookEndpointForm(), None, 200
    if request.method == "POST":
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            created = form.save(commit=False)
            created.workspace, created.created_by = workspace, request.user
            created.config = {"secret": new_signing_secret()}
            created.save()
            form, status = WebhookEndpointForm(), 201
        else:
            status = 400
    context = {
        "workspace": workspace,
        "endpoints": WebhookEndpoint.objects.filter(workspace=workspace),
        "form": form,
        "created": created,
    }
    return render(request, "api/webhooks.html", context, status=status)


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, workspace=owned_workspace(request))
    deliveries = endpoint.deliveries.prefetch_related("attempt_log")[:DELIVERIES_SHOWN]
    return render(request, "api/webhook_detail.html", {"endpoint": endpoint, "deliveries": deliveries})


@login_required
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, workspace=owned_workspace(request))
    endpoint.enabled = not endpoint.enabled
    endpoint.save(update_fields=["enabled"])  # through save(): the workspace's has_webhooks follows
    return redirect("api_pages:webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, workspace=owned_workspace(request))
    endpoint.delete()
    messages.success(request, _("The webhook %(url)s is deleted, with its deliveries.") % {"url": endpoint.url})
    return redirect("api_pages:webhooks")


@login_required
@require_POST
def webhook_delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(
        WebhookDelivery, pk=pk, workspace=owned_workspace(request), status=DeliveryStatus.FAILED
    )
    delivery_retry(delivery=delivery)
    webhook_send.delay(delivery.pk)
    messages.success(request, _("The delivery is sent again."))
    return redirect("api_pages:webhook_detail", pk=delivery.endpoint_id)
