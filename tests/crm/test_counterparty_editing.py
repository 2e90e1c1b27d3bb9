"""Counterparties edited, archived, restored and deleted by people, every change in the audit trail."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from crm.models import ChangeAction, Counterparty, CounterpartyChange, MonitoringFrequency, Tag
from monitoring.services import run_fan_out, run_start
from tests.factories import CounterpartyFactory, VerificationCheckFactory, WorkspaceFactory


def _edit(actor, counterparty, **fields):
    data = {"name": counterparty.name, "address": "", "external_reference": "", "notes": "", "tags": "", **fields}
    return actor.client.post(reverse("crm:counterparty_edit", args=[counterparty.pk]), data)


def test_an_edit_saves_what_was_entered_and_records_who_changed_what(teammate):
    counterparty = CounterpartyFactory(workspace=teammate.workspace, name="Old B.V.", registered_name="OLD BV")
    response = _edit(
        teammate,
        counterparty,
        name="  New B.V. ",
        address="Keizersgracht 1\nAmsterdam",
        external_reference="ERP-0042",
        notes="Pays late.",
        tags="supplier, Benelux, SUPPLIER",
    )
    assert response.status_code == 302
    counterparty.refresh_from_db()
    assert (counterparty.name, counterparty.external_reference) == ("New B.V.", "ERP-0042")
    assert counterparty.registered_name == "OLD BV"  # the registry's words are not the team's to edit
    assert sorted(counterparty.tags.values_list("name", flat=True)) == ["Benelux", "supplier"]
    change = CounterpartyChange.objects.get()
    assert (change.actor, change.action, change.source) == (teammate.user, ChangeAction.EDITED, "web")
    assert change.changes["name"] == ["Old B.V.", "New B.V."]
    assert change.changes["tags"] == [[], ["Benelux", "supplier"]]
    assert set(change.changes) == {"name", "address", "external_reference", "notes", "tags"}

    page = teammate.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    assert "ERP-0042" in page and "Pays late." in page
    assert teammate.user.email in page.split("History")[1] and "Old B.V." in page.split("History")[1]


def test_an_edit_that_changes_nothing_records_nothing_and_tags_are_reused(teammate):
    Tag.objects.create(workspace=teammate.workspace, name="DACH")
    counterparty = CounterpartyFactory(workspace=teammate.workspace)
    _edit(teammate, counterparty, tags="dach")
    _edit(teammate, counterparty, tags="DACH")
    assert Tag.objects.filter(workspace=teammate.workspace).count() == 1
    assert CounterpartyChange.objects.count() == 1


def test_an_invalid_edit_saves_nothing(teammate):
    counterparty = CounterpartyFactory(workspace=teammate.workspace, name="Kept")
    response = _edit(teammate, counterparty, name="x" * 201, tags=",".join(f"t{n}" for n in range(30)))
    assert response.status_code == 400
    counterparty.refresh_from_db()
    assert counterparty.name == "Kept" and not CounterpartyChange.objects.exists()


def test_archiving_keeps_the_evidence_and_leaves_the_list_and_monitoring(teammate):
    counterparty = CounterpartyFactory(
        workspace=teammate.workspace, name="Gone B.V.", monitoring="daily", next_check_due_at=timezone.now()
    )
    VerificationCheckFactory(counterparty=counterparty)
    teammate.client.post(reverse("crm:counterparty_archive", args=[counterparty.pk]), follow=True)
    counterparty.refresh_from_db()
    assert counterparty.archived_at is not None and counterparty.checks.count() == 1
    assert (counterparty.monitoring, counterparty.next_check_due_at) == (MonitoringFrequency.OFF, None)
    change = CounterpartyChange.objects.get()
    assert change.action == ChangeAction.ARCHIVED and change.changes["monitoring"] == ["daily", "off"]

    listing = reverse("crm:counterparty_list")
    assert b"Gone B.V." not in teammate.client.get(listing).content
    assert b"Gone B.V." in teammate.client.get(listing, {"archived": "archived"}).content
    assert b"Gone B.V." in teammate.client.get(listing, {"archived": "all"}).content
    export = b"".join(teammate.client.get(reverse("crm:counterparty_export_csv")).streaming_content)
    assert b"Gone B.V." not in export

    # Monitoring cannot be turned back on for it, in one or in bulk.
    one = reverse("monitoring:counterparty_monitoring", args=[counterparty.pk])
    teammate.client.post(one, {"monitoring": "daily"})
    bulk = reverse("monitoring:bulk_monitoring")
    teammate.client.post(bulk, {"monitoring": "weekly", "counterparty": counterparty.pk})
    counterparty.refresh_from_db()
    assert counterparty.monitoring == MonitoringFrequency.OFF


def test_restoring_brings_it_back_with_monitoring_off(teammate):
    counterparty = CounterpartyFactory(workspace=teammate.workspace, archived_at=timezone.now())
    teammate.client.post(reverse("crm:counterparty_restore", args=[counterparty.pk]))
    counterparty.refresh_from_db()
    assert counterparty.archived_at is None and counterparty.monitoring == MonitoringFrequency.OFF
    assert CounterpartyChange.objects.get().action == ChangeAction.RESTORED


def test_the_fan_out_never_claims_an_archived_counterparty(db, django_capture_on_commit_callbacks):
    """Even one archived some other way than the service (an admin edit, a script): archived is never due."""
    workspace = WorkspaceFactory()
    due = timezone.now() - timedelta(hours=1)
    live = CounterpartyFactory(workspace=workspace, monitoring="daily", next_check_due_at=due)
    CounterpartyFactory(workspace=workspace, monitoring="daily", next_check_due_at=due, archived_at=timezone.now())
    claimed: list[int] = []
    run = run_start()
    with django_capture_on_commit_callbacks(execute=True):
        run_fan_out(run=run, dispatch=lambda run, ids: claimed.extend(ids))
    assert claimed == [live.pk] and run.due == 1


def test_only_a_counterparty_never_checked_can_be_deleted(teammate):
    typo = CounterpartyFactory(workspace=teammate.workspace)
    checked = CounterpartyFactory(workspace=teammate.workspace)
    VerificationCheckFactory(counterparty=checked)
    assert teammate.client.get(reverse("crm:counterparty_delete", args=[typo.pk])).status_code == 200
    teammate.client.post(reverse("crm:counterparty_delete", args=[typo.pk]))
    response = teammate.client.post(reverse("crm:counterparty_delete", args=[checked.pk]), follow=True)
    assert list(Counterparty.objects.all()) == [checked]
    assert b"archive it instead" in response.content


def test_a_verification_records_the_creation_and_what_was_typed_with_it(teammate, vies_settings):
    verify = reverse("crm:verify")
    teammate.client.post(verify, {"vat_number": "ATU72943648", "name": "Alpenblick"})
    teammate.client.post(verify, {"vat_number": "ATU72943648", "name": "Alpenblick Holzbau"})
    teammate.client.post(verify, {"vat_number": "ATU72943648"})  # nothing typed: nothing changes
    created, edited = CounterpartyChange.objects.order_by("at", "id")
    assert (created.action, created.actor, created.changes["name"]) == (
        ChangeAction.CREATED,
        teammate.user,
        [None, "Alpenblick"],
    )
    assert (edited.action, edited.changes) == (ChangeAction.EDITED, {"name": ["Alpenblick", "Alpenblick Holzbau"]})
