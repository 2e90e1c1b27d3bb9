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


API_OBJECT_URLS: dict[str, tuple[str, Callable]] = {
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
