"""The API's object URLs for the tenant-isolation sweep (tests/crm/test_tenant_isolation.py).

url name -> (method, a function that builds the owner's object and returns the URL kwargs). The sweep asks
each with the outsider's own key, of another workspace, and expects the answer of a missing id: 404.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.factories import AlertFactory, CheckResultFactory, CounterpartyFactory


def _counterparty(ws) -> dict:
    return {"pk": CounterpartyFactory(workspace=ws).pk}


def _check(ws) -> dict:
    return {"pk": CheckResultFactory(check_run__counterparty=CounterpartyFactory(workspace=ws)).check_run_id}


def _alert(ws) -> dict:
    return {"pk": AlertFactory(check_run__counterparty=CounterpartyFactory(workspace=ws)).pk}


def _batch(ws) -> dict:
    from api.models import Batch

    return {"pk": Batch.objects.create(workspace=ws, total=0).pk}


API_OBJECT_URLS: dict[str, tuple[str, Callable]] = {
    "api:batch-detail": ("get", _batch),
    "api:batch-results": ("get", _batch),
    "api:counterparty-detail": ("get", _counterparty),
    "api:counterparty-archive": ("post", _counterparty),
    "api:counterparty-restore": ("post", _counterparty),
    "api:counterparty-monitoring": ("put", _counterparty),
    "api:counterparty-checks": ("get", _counterparty),
    "api:check-detail": ("get", _check),
    "api:check-proof": ("get", _check),
    "api:alert-detail": ("get", _alert),
    "api:alert-acknowledge": ("post", _alert),
}


def _api_key(ws) -> dict:
    from api.models import ApiKey

    return {"pk": ApiKey.issue(workspace=ws, name="ERP", scope="read").api_key.pk}


def _webhook(ws) -> dict:
    return {"pk": webhook_of(ws).pk}


def webhook_of(ws):
    from api.models import WebhookEndpoint

    # Loopback, which the SSRF guard refuses at once: a delivery sent again in a test fails without waiting.
    return WebhookEndpoint.objects.create(workspace=ws, url="http://127.0.0.1:9/hooks", events=["alert.created"])


def _failed_delivery(ws) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from api.models import WebhookDelivery

    delivery = WebhookDelivery.objects.create(
        endpoint=webhook_of(ws),
        workspace=ws,
        event="alert.created",
        payload={},
        status="failed",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    return {"pk": delivery.pk}


# The owners' pages (a signed-in session, not a key): they join crm's OBJECT_URLS.
PAGE_OBJECT_URLS: dict[str, tuple[str, Callable]] = {
    "api_pages:key_revoke": ("post", _api_key),
    "api_pages:webhook_detail": ("get", _webhook),
    "api_pages:webhook_toggle": ("post", _webhook),
    "api_pages:webhook_delete": ("post", _webhook),
    "api_pages:webhook_delivery_retry": ("post", _failed_delivery),
}
