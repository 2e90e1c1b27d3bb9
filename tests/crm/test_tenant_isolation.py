"""Every URL that takes an object id answers 404 to a user of another workspace.

The test walks the URL configuration itself: a new URL with an id that is not listed in
OBJECT_URLS below makes `test_every_url_with_an_id_is_covered` fail, so no view can slip past.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.api.conftest import key_client
from tests.api.isolation import API_OBJECT_URLS, PAGE_OBJECT_URLS
from tests.factories import (
    AlertFactory,
    CheckResultFactory,
    CounterpartyFactory,
    InvitationFactory,
    MembershipFactory,
)
from tests.notifications.factories import ChatChannelFactory, DeliveryFactory

# Object URLs whose ids belong to a workspace: url name -> (the method the view serves, a function that
# builds the owner's object and returns the URL kwargs).
OBJECT_URLS: dict[str, tuple[str, Callable]] = {
    "crm:counterparty_detail": ("get", lambda ws: {"pk": CounterpartyFactory(workspace=ws).pk}),
    "crm:workspace_switch": ("post", lambda ws: {"pk": ws.pk}),
    "crm:counterparty_edit": ("get", lambda ws: {"pk": CounterpartyFactory(workspace=ws).pk}),
    "crm:counterparty_archive": ("post", lambda ws: {"pk": CounterpartyFactory(workspace=ws).pk}),
    "crm:counterparty_restore": (
        "post",
        lambda ws: {"pk": CounterpartyFactory(workspace=ws, archived_at=timezone.now()).pk},
    ),
    "crm:counterparty_delete": ("get", lambda ws: {"pk": CounterpartyFactory(workspace=ws).pk}),
    "crm:invitation_resend": ("post", lambda ws: {"pk": InvitationFactory(workspace=ws).pk}),
    "crm:invitation_revoke": ("post", lambda ws: {"pk": InvitationFactory(workspace=ws).pk}),
    "crm:membership_role": ("post", lambda ws: {"pk": MembershipFactory(workspace=ws).pk}),
    "crm:membership_remove": ("post", lambda ws: {"pk": MembershipFactory(workspace=ws).pk}),
    "notifications:channel_edit": ("get", lambda ws: {"pk": ChatChannelFactory(workspace=ws).pk}),
    "notifications:channel_delete": ("post", lambda ws: {"pk": ChatChannelFactory(workspace=ws).pk}),
    "notifications:channel_test": ("post", lambda ws: {"pk": ChatChannelFactory(workspace=ws).pk}),
    "notifications:delivery_retry": (
        "post",
        lambda ws: {"pk": DeliveryFactory(alert__check_run__counterparty__workspace=ws, status="failed").pk},
    ),
}
MISSING_ID = 2**31 - 1


def _import_of(ws) -> dict:
    """A staged import of the workspace, with a row, so that its preview, columns and report have content."""
    from tests.imports.factories import ImportRowFactory

    return {"pk": ImportRowFactory(job__workspace=ws).job_id}


for _name, _method in [
    ("imports:job", "get"),
    ("imports:mapping", "get"),
    ("imports:commit", "post"),
    ("imports:discard", "post"),
    ("imports:progress", "get"),
    ("imports:report_csv", "get"),
    ("imports:report_xlsx", "get"),
]:
    OBJECT_URLS[_name] = (_method, _import_of)


def _monitoring_run_of(ws) -> dict:
    """A run (global) that re-checked one of the workspace's counterparties: only then may it see the run."""
    from monitoring.models import MonitoringRun, Recheck

    run = MonitoringRun.objects.create()
    Recheck.objects.create(run=run, counterparty=CounterpartyFactory(workspace=ws), workspace=ws)
    return {"pk": run.pk}


OBJECT_URLS["monitoring:run_detail"] = ("get", _monitoring_run_of)
OBJECT_URLS.update(PAGE_OBJECT_URLS)
OBJECT_URLS["monitoring:counterparty_monitoring"] = ("post", lambda ws: {"pk": CounterpartyFactory(workspace=ws).pk})


def _alert_of(ws) -> dict:
    return {"pk": AlertFactory(check_run__counterparty__workspace=ws).pk}


def _check_of(ws) -> dict:
    return {"pk": CheckResultFactory(check_run__counterparty__workspace=ws).check_run_id}


OBJECT_URLS["dashboard:alert_detail"] = ("get", _alert_of)
OBJECT_URLS["dashboard:alert_acknowledge"] = ("post", _alert_of)
OBJECT_URLS["dashboard:check_proof"] = ("get", _check_of)
OBJECT_URLS["dashboard:check_proof_pdf"] = ("get", _check_of)


def finished_export_of(ws) -> dict:
    from django.core.files.base import ContentFile

    from crm.models import Export, ExportState

    export = Export.objects.create(workspace=ws, file_format="csv", state=ExportState.DONE, filename="list.csv")
    export.file.save("list.csv", ContentFile(b"VAT number\r\n"))
    return {"pk": export.pk}


OBJECT_URLS["crm:export_detail"] = ("get", finished_export_of)
OBJECT_URLS["crm:export_download"] = ("get", finished_export_of)

# URLs with a path argument that is deliberately not a workspace object id, and why.
NOT_WORKSPACE_OBJECTS = {
    "crm:invitation_accept": "a secret token, accepted only by the invited address, verified (test_invitations.py)",
}

# Third-party URLs with their own access rules (staff-only admin, allauth's keys).
THIRD_PARTY_NAMESPACES = {"admin"}
THIRD_PARTY_PREFIXES = ("account_",)


def walk_urlconf(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every named URL under the resolver, as ("namespace:name", pattern); other sweeps use it too."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk_urlconf(entry, inner)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


def urls_with_arguments() -> list[str]:
    names = []
    for name, pattern in walk_urlconf(get_resolver()):
        if not pattern.pattern.converters and not pattern.pattern.regex.groups:
            continue
        if name.split(":")[0] in THIRD_PARTY_NAMESPACES or name.startswith(THIRD_PARTY_PREFIXES):
            continue
        names.append(name)
    return sorted(set(names))


def test_every_url_with_an_id_is_covered():
    covered = {*OBJECT_URLS, *API_OBJECT_URLS, *NOT_WORKSPACE_OBJECTS}
    uncovered = [name for name in urls_with_arguments() if name not in covered]
    assert not uncovered, f"add these URLs to OBJECT_URLS in {__name__}: {uncovered}"


@pytest.mark.parametrize("url_name", sorted(OBJECT_URLS))
def test_outsider_gets_404_for_every_object_url(url_name, owner, outsider):
    method, build = OBJECT_URLS[url_name]
    url = reverse(url_name, kwargs=build(owner.workspace))
    response = getattr(outsider.client, method)(url)
    assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"


@pytest.mark.parametrize("url_name", sorted(OBJECT_URLS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_any_method_tells_an_outsider_nothing(url_name, method, owner, outsider):
    """Whatever the method, the answer for another workspace's id is the answer for an id that does not exist."""
    kwargs = OBJECT_URLS[url_name][1](owner.workspace)
    theirs = getattr(outsider.client, method)(reverse(url_name, kwargs=kwargs))
    missing = getattr(outsider.client, method)(reverse(url_name, kwargs=dict.fromkeys(kwargs, MISSING_ID)))
    assert theirs.status_code == missing.status_code
    assert theirs.status_code in {404, 405}


@pytest.mark.parametrize("url_name", sorted(OBJECT_URLS))
def test_owner_reaches_every_object_url(url_name, owner):
    """The same URLs work for the owner, so the 404 above is isolation and not a broken view."""
    method, build = OBJECT_URLS[url_name]
    url = reverse(url_name, kwargs=build(owner.workspace))
    response = getattr(owner.client, method)(url)
    assert response.status_code in {200, 302}, f"{method.upper()} {url} answered {response.status_code}"


@pytest.mark.parametrize("url_name", sorted(API_OBJECT_URLS))
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_an_outsiders_api_key_gets_404_for_every_api_object(url_name, method, owner, outsider):
    """The REST API (tests/api/isolation.py), asked with a key of the outsider's own workspace."""
    client = key_client(outsider.workspace).client
    kwargs = API_OBJECT_URLS[url_name][1](owner.workspace)
    theirs = getattr(client, method)(reverse(url_name, kwargs=kwargs))
    missing = getattr(client, method)(reverse(url_name, kwargs=dict.fromkeys(kwargs, MISSING_ID)))
    assert theirs.status_code == missing.status_code
    assert theirs.status_code in {404, 405}
    if method == API_OBJECT_URLS[url_name][0]:
        assert theirs.status_code == 404


@pytest.mark.parametrize("url_name", sorted(API_OBJECT_URLS))
def test_the_owners_api_key_reaches_every_api_object(url_name, owner):
    method, build = API_OBJECT_URLS[url_name]
    url = reverse(url_name, kwargs=build(owner.workspace))
    response = getattr(key_client(owner.workspace).client, method)(url, {"monitoring": "daily"})
    assert response.status_code == 200, f"{method.upper()} {url} answered {response.status_code}"


def test_outsider_list_shows_nothing_of_the_owner(owner, outsider):
    mine = CounterpartyFactory(workspace=owner.workspace, name="Secret Supplier GmbH")
    CheckResultFactory(check_run__counterparty=mine)
    AlertFactory(check_run__counterparty=mine)
    response = outsider.client.get(reverse("crm:counterparty_list"), {"q": "Secret"})
    assert response.status_code == 200
    assert b"Secret Supplier" not in response.content
    assert mine.vat_number.encode() not in outsider.client.get(reverse("crm:counterparty_list")).content
