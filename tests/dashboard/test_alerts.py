"""The alert inbox: filtered, acknowledged singly or in bulk with who, when and a comment; counted in the
navigation; reached from the alert's email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from crm.models import Alert, AlertKind, Role, Severity
from notifications.content import alert_email
from tests.conftest import _actor
from tests.factories import AlertFactory, CounterpartyFactory
from tests.notifications.factories import DeliveryFactory

NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
def alerts(owner, outsider):
    def make(**kwargs):
        counterparty = CounterpartyFactory(workspace=owner.workspace, name=kwargs.pop("name", "Bolt Logistics B.V."))
        return AlertFactory(check_run__counterparty=counterparty, **kwargs)

    return {
        "critical": make(created_at=NOW - timedelta(days=1)),
        "name": make(kind=AlertKind.NAME_CHANGED, severity=Severity.WARNING, name="Alpenblick GmbH", created_at=NOW),
        "old": make(kind=AlertKind.VALIDITY_REGAINED, severity=Severity.INFO, created_at=NOW - timedelta(days=40)),
        "theirs": AlertFactory(check_run__counterparty=CounterpartyFactory(workspace=outsider.workspace)),
    }


def _listed(response) -> set[int]:
    content = response.content.decode()
    return {int(part.split('"')[0]) for part in content.split('<tr data-alert="')[1:]}


def test_the_inbox_lists_every_alert_of_the_workspace_and_filters_them(owner, alerts):
    inbox = reverse("dashboard:alert_list")
    mine = {alerts[key].pk for key in ("critical", "name", "old")}
    assert _listed(owner.client.get(inbox)) == mine
    assert _listed(owner.client.get(inbox, {"severity": "warning"})) == {alerts["name"].pk}
    assert _listed(owner.client.get(inbox, {"kind": "validity_regained"})) == {alerts["old"].pk}
    assert _listed(owner.client.get(inbox, {"q": "alpenblick"})) == {alerts["name"].pk}
    assert _listed(owner.client.get(inbox, {"counterparty": alerts["name"].counterparty_id})) == {alerts["name"].pk}
    dates = {"created_after": "2026-06-01", "created_before": "2026-06-16"}
    assert _listed(owner.client.get(inbox, dates)) == {alerts["critical"].pk}
    # Another workspace's counterparty id finds nothing; a value that is no id is ignored.
    assert _listed(owner.client.get(inbox, {"counterparty": alerts["theirs"].counterparty_id})) == set()
    assert _listed(owner.client.get(inbox, {"counterparty": "²"})) == mine

    AlertFactory(check_run=alerts["name"].check_run, kind=AlertKind.ADDRESS_CHANGED, acknowledged_at=NOW)
    assert _listed(owner.client.get(inbox, {"state": "open"})) == mine
    assert len(_listed(owner.client.get(inbox, {"state": "acknowledged"}))) == 1


def test_acknowledging_one_alert_keeps_who_when_and_the_comment(owner, teammate, alerts):
    alert = alerts["critical"]
    url = reverse("dashboard:alert_acknowledge", args=[alert.pk])

    response = owner.client.post(url, {"comment": "  Customer sent its new number.  "})

    assert response.status_code == 302 and response["Location"] == reverse("dashboard:alert_detail", args=[alert.pk])
    alert.refresh_from_db()
    assert alert.acknowledged_by == owner.user and alert.acknowledgement_comment == "Customer sent its new number."
    first = alert.acknowledged_at
    assert first is not None
    # A second acknowledgement (a teammate who had the page open) does not rewrite the first.
    teammate.client.post(url, {"comment": "me too"})
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at, alert.acknowledgement_comment) == (
        owner.user,
        first,
        "Customer sent its new number.",
    )
    page = owner.client.get(reverse("dashboard:alert_detail", args=[alert.pk])).content.decode()
    assert owner.user.email in page and "Customer sent its new number." in page


def test_acknowledging_in_bulk_touches_only_the_workspaces_open_alerts(owner, alerts):
    ids = [alerts["critical"].pk, alerts["name"].pk, alerts["theirs"].pk]

    response = owner.client.post(reverse("dashboard:alert_bulk_acknowledge"), {"alert": ids, "comment": "Checked"})

    assert response.status_code == 302
    assert set(Alert.objects.exclude(acknowledged_at=None).values_list("pk", flat=True)) == set(ids[:2])
    assert Alert.objects.get(pk=alerts["theirs"].pk).acknowledged_by is None
    bad = owner.client.post(reverse("dashboard:alert_bulk_acknowledge"), {"alert": [str(alerts["old"].pk), "²"]})
    assert bad.status_code == 400 and Alert.objects.get(pk=alerts["old"].pk).acknowledged_at is None


def test_a_viewer_reads_the_inbox_but_cannot_acknowledge(owner, alerts):
    viewer = _actor(owner.workspace, Role.VIEWER)
    alert = alerts["critical"]
    listing = viewer.client.get(reverse("dashboard:alert_list"))
    assert listing.status_code == 200 and b"bulk-acknowledge" not in listing.content  # offered no change
    detail = viewer.client.get(reverse("dashboard:alert_detail", args=[alert.pk])).content.decode()
    assert reverse("dashboard:alert_acknowledge", args=[alert.pk]) not in detail
    assert viewer.client.post(reverse("dashboard:alert_acknowledge", args=[alert.pk])).status_code == 403
    bulk = viewer.client.post(reverse("dashboard:alert_bulk_acknowledge"), {"alert": [alert.pk]})
    assert bulk.status_code == 403
    assert Alert.objects.filter(acknowledged_at__isnull=False).count() == 0


def test_the_navigation_counts_the_open_alerts(owner, alerts):
    def badge() -> str:
        content = owner.client.get(reverse("crm:counterparty_list")).content.decode()
        return content.split("data-open-alerts>")[1].split("<")[0] if "data-open-alerts>" in content else ""

    assert badge() == "3 open"
    owner.client.post(reverse("dashboard:alert_bulk_acknowledge"), {"alert": [a.pk for a in alerts.values()]})
    assert badge() == ""


def test_an_alert_email_links_to_the_alert(owner, alerts, settings):
    settings.PUBLIC_BASE_URL = "https://vatcrm.example"
    alert = alerts["critical"]
    message = alert_email(DeliveryFactory(alert=alert, recipient=owner.user, address=owner.user.email))
    link = f"https://vatcrm.example{reverse('dashboard:alert_detail', args=[alert.pk])}?workspace={alert.workspace_id}"
    assert link in message.body
    assert link.replace("?", "?").replace("&", "&amp;") in message.alternatives[0][0]
    assert owner.client.get(link.removeprefix("https://vatcrm.example")).status_code == 200
    assert not mail.outbox  # built, not sent
