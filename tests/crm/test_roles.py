"""A viewer reads and exports and changes nothing: every URL of the project, posted to as a viewer.

The sweep walks the URL configuration, like the tenant-isolation one: each URL is either a change (listed in
CHANGES with what a member or owner would send to make it), a read whatever the method (READS), or
something a viewer may do for themselves (VIEWER_MAY, with the reason). A URL in none of them fails
`test_every_url_is_classified`. For each change, the viewer's POST answers 403 and leaves every row of the
project as it was; the same POST by someone with the role does change a row, so the 403 is the rule
working and not a broken request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.urls import get_resolver, reverse
from django.utils import timezone

from crm.models import Role, Workspace
from tests.crm.test_tenant_isolation import walk_urlconf
from tests.factories import CounterpartyFactory, InvitationFactory, MembershipFactory
from tests.notifications.factories import ChatChannelFactory, DeliveryFactory

PROJECT_APPS = ("crm", "monitoring", "notifications", "imports", "dashboard", "api")
VALID_AT = "ATU72943648"  # valid in the simulator's demo registry
VALID_IE = "IE5865506E"


@dataclass(frozen=True)
class Change:
    """A request that changes something: who may make it, its URL arguments and its body."""

    role: str
    kwargs: Callable[[Workspace], dict] = lambda ws: {}
    data: Callable[[Workspace], dict] = lambda ws: {}
    # The member's control request stores nothing (it sends a message, say): only its answer is compared.
    stores: bool = True


def _counterparty(ws: Workspace) -> dict:
    return {"pk": CounterpartyFactory(workspace=ws).pk}


def _archived(ws: Workspace) -> dict:
    return {"pk": CounterpartyFactory(workspace=ws, archived_at=timezone.now()).pk}


def _channel(ws: Workspace) -> dict:
    return {"pk": ChatChannelFactory(workspace=ws).pk}


def _member(ws: Workspace) -> dict:
    return {"pk": MembershipFactory(workspace=ws).pk}


def _invitation(ws: Workspace) -> dict:
    return {"pk": InvitationFactory(workspace=ws).pk}


def _ticked(ws: Workspace) -> list[str]:
    return [str(CounterpartyFactory(workspace=ws).pk)]


CHANGES: dict[str, Change] = {
    "crm:verify": Change(Role.MEMBER, data=lambda ws: {"vat_number": VALID_AT}),
    "crm:counterparty_edit": Change(Role.MEMBER, kwargs=_counterparty, data=lambda ws: {"name": "Renamed B.V."}),
    "crm:counterparty_archive": Change(Role.MEMBER, kwargs=_counterparty),
    "crm:counterparty_restore": Change(Role.MEMBER, kwargs=_archived),
    "crm:counterparty_delete": Change(Role.MEMBER, kwargs=_counterparty),
    "crm:counterparty_bulk": Change(Role.MEMBER, data=lambda ws: {"action": "archive", "counterparty": _ticked(ws)}),
    "crm:requester_setup": Change(Role.MEMBER, data=lambda ws: {"vat_number": VALID_IE, "name": "Us Ltd"}),
    "crm:workspace_settings": Change(Role.OWNER, data=lambda ws: {"save": "1", "name": "Renamed"}),
    "crm:membership_role": Change(Role.OWNER, kwargs=_member, data=lambda ws: {"role": Role.VIEWER}),
    "crm:membership_remove": Change(Role.OWNER, kwargs=_member),
    "crm:invitation_resend": Change(Role.OWNER, kwargs=_invitation),
    "crm:invitation_revoke": Change(Role.OWNER, kwargs=_invitation),
    "monitoring:counterparty_monitoring": Change(
        Role.MEMBER, kwargs=_counterparty, data=lambda ws: {"monitoring": "daily"}
    ),
    "monitoring:bulk_monitoring": Change(
        Role.MEMBER, data=lambda ws: {"monitoring": "weekly", "counterparty": _ticked(ws)}
    ),
    "notifications:channel_add": Change(
        Role.OWNER,
        data=lambda ws: {"name": "ERP", "kind": "webhook", "min_severity": "info", "url": "https://erp.example/hook"},
    ),
    "notifications:channel_edit": Change(
        Role.OWNER,
        kwargs=_channel,
        data=lambda ws: {"name": "Renamed", "min_severity": "info", "enabled": "on", "url": "https://erp.example/h"},
    ),
    "notifications:channel_delete": Change(Role.OWNER, kwargs=_channel),
    # Sends a message to the channel (which fails here: nothing listens) and stores nothing.
    "notifications:channel_test": Change(Role.OWNER, kwargs=_channel, stores=False),
    "notifications:delivery_retry": Change(
        Role.OWNER,
        kwargs=lambda ws: {"pk": DeliveryFactory(alert__check_run__counterparty__workspace=ws, status="failed").pk},
    ),
}
# Changes of the other apps, whose own tests make them: here only the viewer's half, a POST (empty, or
# with the body below) answered 403 with nothing changed. Path arguments come from the tenant-isolation
# sweep's builders (OBJECT_URLS).
GUARDED: dict[str, Callable[[Workspace], dict]] = {
    "api_pages:keys": lambda ws: {"name": "ERP", "scope": "write"},
    "api_pages:key_revoke": lambda ws: {},
    "api_pages:webhooks": lambda ws: {"url": "https://erp.example/hooks", "events": ["check.completed"]},
    "api_pages:webhook_detail": lambda ws: {},
    "api_pages:webhook_toggle": lambda ws: {},
    "api_pages:webhook_delete": lambda ws: {},
    "api_pages:webhook_delivery_retry": lambda ws: {},
    "monitoring:run_now": lambda ws: {},
    "dashboard:alert_acknowledge": lambda ws: {"comment": "seen"},
    "dashboard:alert_bulk_acknowledge": lambda ws: {},
    "imports:upload": lambda ws: {},
    "imports:mapping": lambda ws: {},
    "imports:commit": lambda ws: {},
    "imports:discard": lambda ws: {},
}
# Pages and files that read, whatever the method: a viewer's POST to them changes nothing either.
READS = {
    "crm:export_detail",
    "crm:export_download",
    "dashboard:home",
    "dashboard:alert_list",
    "dashboard:alert_detail",
    "dashboard:audit",
    "dashboard:audit_export_csv",
    "dashboard:audit_export_xlsx",
    "dashboard:check_proof",
    "dashboard:check_proof_pdf",
    "imports:job",
    "imports:progress",
    "imports:report_csv",
    "imports:report_xlsx",
    "imports:template_csv",
    "imports:template_xlsx",
    "health",
    "readiness",
    "metrics",
    "crm:counterparty_list",
    "crm:counterparty_detail",
    "crm:counterparty_export_csv",
    "crm:counterparty_export_xlsx",
    "monitoring:overview",
    "monitoring:run_detail",
}
# What a viewer may do, because it is theirs and not the workspace's.
VIEWER_MAY = {
    "crm:workspace_switch": "moves the viewer between their own workspaces",
    "crm:workspace_create": "a new workspace of their own, which they own",
    "crm:workspace_leave": "leaving is the member's own choice (the last owner excepted)",
    "crm:invitation_accept": "joining a workspace one is invited to",
    "notifications:index": "the viewer's own notification preferences",
    "set_language": "the viewer's own language",
}
THIRD_PARTY_NAMESPACES = {"admin"}
THIRD_PARTY_PREFIXES = ("account_",)
# The REST API answers API keys, whose scope (read or write) is its own rule: tests/api/.
OTHER_SWEEPS = {"api"}


def _url_names() -> list[str]:
    names = []
    for name, _pattern in walk_urlconf(get_resolver()):
        namespace = name.split(":")[0] if ":" in name else ""
        if namespace in THIRD_PARTY_NAMESPACES | OTHER_SWEEPS or name.startswith(THIRD_PARTY_PREFIXES):
            continue
        names.append(name)
    return sorted(set(names))


def _rows() -> dict[str, list[dict]]:
    """Every row of the project's tables, every column: a change of any value shows."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for config in apps.get_app_configs()
        if config.label in PROJECT_APPS
        for model in config.get_models()
    }


def _url(name: str, kwargs: dict) -> str:
    return reverse(name, kwargs=kwargs) if kwargs else reverse(name)


def _object_url(name: str, ws: Workspace) -> str:
    """The URL, with the tenant-isolation sweep's builder for its path arguments (every URL with an id has one)."""
    from tests.crm.test_tenant_isolation import OBJECT_URLS

    pattern = dict(walk_urlconf(get_resolver()))[name].pattern
    if not pattern.converters:
        return reverse(name)
    assert name in OBJECT_URLS, f"{name} takes an id: give it a builder in tests/crm/test_tenant_isolation.py"
    return reverse(name, kwargs=OBJECT_URLS[name][1](ws))


def test_every_url_is_classified():
    classified = {*CHANGES, *GUARDED, *READS, *VIEWER_MAY}
    unclassified = [name for name in _url_names() if name not in classified]
    assert not unclassified, f"add these URLs to CHANGES, READS or VIEWER_MAY in {__name__}: {unclassified}"


@pytest.mark.parametrize("url_name", sorted(CHANGES))
def test_a_viewer_changes_nothing(url_name, viewer, vies_settings):
    change = CHANGES[url_name]
    ws = viewer.workspace
    url, data = _url(url_name, change.kwargs(ws)), change.data(ws)
    before = _rows()
    response = viewer.client.post(url, data)
    assert response.status_code == 403, f"POST {url} as a viewer answered {response.status_code}"
    assert _rows() == before
    assert vies_settings.stats.requests == 0


@pytest.mark.parametrize("url_name", sorted(CHANGES))
def test_the_role_that_may_makes_the_change(url_name, owner, teammate, vies_settings):
    """The control: the same request by a member (or, for the owners' actions, an owner) is not refused."""
    change = CHANGES[url_name]
    actor = owner if change.role == Role.OWNER else teammate
    ws = actor.workspace
    url, data = _url(url_name, change.kwargs(ws)), change.data(ws)
    before = _rows()
    response = actor.client.post(url, data)
    assert response.status_code in {200, 201, 302}, f"POST {url} as {change.role} answered {response.status_code}"
    assert (_rows() != before) == change.stores


def _present(names) -> list[str]:
    """The listed URLs this configuration has (an app not installed has none)."""
    return sorted(set(names) & set(_url_names()))


@pytest.mark.parametrize("url_name", _present(GUARDED))
def test_a_viewer_changes_nothing_elsewhere_either(url_name, viewer):
    url = _object_url(url_name, viewer.workspace)
    before = _rows()
    response = viewer.client.post(url, GUARDED[url_name](viewer.workspace))
    assert response.status_code == 403, f"POST {url} as a viewer answered {response.status_code}"
    assert _rows() == before


@pytest.mark.parametrize("url_name", _present(READS))
def test_a_viewers_post_to_a_page_that_reads_changes_nothing(url_name, viewer):
    url = _object_url(url_name, viewer.workspace)
    before = _rows()
    response = viewer.client.post(url)
    assert response.status_code < 500
    assert _rows() == before


@pytest.mark.parametrize("url_name", ["crm:counterparty_list", "crm:counterparty_export_csv"])
def test_a_viewer_reads_and_exports(url_name, viewer):
    CounterpartyFactory(workspace=viewer.workspace, name="Readable Supplier")
    response = viewer.client.get(reverse(url_name))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Readable Supplier" in body


def test_a_viewer_exports_a_selection(viewer):
    mine = CounterpartyFactory(workspace=viewer.workspace, name="Ticked Supplier")
    CounterpartyFactory(workspace=viewer.workspace, name="Unticked Supplier")
    response = viewer.client.post(reverse("crm:counterparty_bulk"), {"action": "export_csv", "counterparty": [mine.pk]})
    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert b"Ticked Supplier" in body and b"Unticked Supplier" not in body


def test_a_viewer_is_offered_no_change(viewer):
    counterparty = CounterpartyFactory(workspace=viewer.workspace)
    detail = viewer.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    listing = viewer.client.get(reverse("crm:counterparty_list")).content.decode()
    assert reverse("crm:counterparty_edit", args=[counterparty.pk]) not in detail
    assert 'action="/verify/"' not in detail
    assert reverse("monitoring:counterparty_monitoring", args=[counterparty.pk]) not in detail
    assert 'value="archive"' not in listing and 'value="export_csv"' in listing


def test_a_viewers_json_verification_is_refused_in_json(viewer, vies_settings):
    response = viewer.client.post(reverse("crm:verify"), {"vat_number": VALID_AT}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["errors"]["__all__"][0]["code"] == "permission_denied"
    assert vies_settings.stats.requests == 0
