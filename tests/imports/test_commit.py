"""The commit: all or nothing, idempotent, tags and the audit trail, chunks for the background checks."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import IntegrityError

from crm.models import ChangeAction, ChangeSource, Counterparty, CounterpartyChange, MonitoringFrequency, Tag
from imports.models import ImportChunk, JobStatus
from imports.services import ImportConflict, job_commit
from tests.factories import CounterpartyFactory
from tests.monitoring.conftest import belgian_vat

from .conftest import stage
from .factories import csv_bytes

pytestmark = pytest.mark.django_db

BOOK = csv_bytes(
    [
        ["DE136695976", "Müller GmbH", "Hauptstraße 5", "", "ERP-1", "supplier; DACH", "weekly"],
        ["FR40303265045", "Société Générale", "", "", "ERP-2", "bank", ""],
        ["ATU72943648", "Alpenblick Holzbau GmbH", "", "", "", "supplier", "daily"],
        ["DE12345", "Refused", "", "", "", "", ""],
        ["de 136 695 976", "Duplicate", "", "", "", "", ""],
    ]
)


def test_commit_writes_every_accepted_row_with_tags_and_the_audit_trail(owner, settings):
    settings.IMPORT_VERIFY_CHUNK_SIZE = 1
    CounterpartyFactory(workspace=owner.workspace, vat_number="ATU72943648", name="Alpenblick")
    job = job_commit(job=stage(owner.workspace, BOOK, user=owner.user), user=owner.user)

    assert job.status == JobStatus.VERIFYING and job.to_verify == 2 and job.committed_by == owner.user
    new = Counterparty.objects.get(workspace=owner.workspace, vat_number="DE136695976")
    assert (new.name, new.address, new.external_reference, new.monitoring) == (
        "Müller GmbH",
        "Hauptstraße 5",
        "ERP-1",
        MonitoringFrequency.WEEKLY,
    )
    assert new.next_check_due_at is not None and new.created_by == owner.user
    assert sorted(new.tags.values_list("name", flat=True)) == ["DACH", "supplier"]
    changed = Counterparty.objects.get(workspace=owner.workspace, vat_number="ATU72943648")
    assert (changed.name, changed.monitoring) == ("Alpenblick Holzbau GmbH", MonitoringFrequency.DAILY)
    assert Tag.objects.filter(workspace=owner.workspace).count() == 3  # supplier, DACH, bank: once each
    trail = CounterpartyChange.objects.get(counterparty=changed)
    assert (trail.action, trail.source, trail.actor) == (ChangeAction.IMPORTED, ChangeSource.IMPORT, owner.user)
    assert trail.changes["name"] == ["Alpenblick", "Alpenblick Holzbau GmbH"]
    created = CounterpartyChange.objects.get(counterparty=new)
    assert created.changes["vat_number"] == [None, "DE136695976"]
    assert Counterparty.objects.filter(workspace=owner.workspace).count() == 3
    # The new ones (not the changed one) are cut into chunks to verify.
    chunks = list(ImportChunk.objects.filter(job=job))
    assert sorted(pk for chunk in chunks for pk in chunk.counterparty_ids) == sorted(
        Counterparty.objects.filter(vat_number__in=["DE136695976", "FR40303265045"]).values_list("pk", flat=True)
    )


def test_the_same_file_again_adds_nothing(owner):
    job_commit(job=stage(owner.workspace, BOOK), user=owner.user)
    before = (Counterparty.objects.count(), CounterpartyChange.objects.count(), Tag.objects.count())

    again = stage(owner.workspace, BOOK)
    assert again.counts.get("new", 0) == 0 and again.counts.get("changed", 0) == 0
    assert again.counts["unchanged"] == 3
    job = job_commit(job=again, user=owner.user)
    assert job.status == JobStatus.DONE and job.to_verify == 0
    assert (Counterparty.objects.count(), CounterpartyChange.objects.count(), Tag.objects.count()) == before


def test_two_previews_of_one_file_committed_one_after_the_other_create_once(owner):
    first, second = stage(owner.workspace, BOOK), stage(owner.workspace, BOOK)
    job_commit(job=first, user=owner.user)
    before = Counterparty.objects.count()
    job = job_commit(job=second, user=owner.user)
    assert Counterparty.objects.count() == before and job.to_verify == 0


def test_committing_twice_commits_once(owner):
    job = stage(owner.workspace, BOOK)
    job_commit(job=job, user=owner.user)
    job_commit(job=job, user=owner.user)
    assert Counterparty.objects.filter(workspace=owner.workspace).count() == 3
    assert CounterpartyChange.objects.count() == 3


def test_a_failure_part_way_writes_nothing(owner, settings):
    settings.IMPORT_VERIFY_CHUNK_SIZE = 1
    rows = [[belgian_vat(n), f"Row {n}"] for n in range(2500)]
    job = stage(owner.workspace, csv_bytes(rows, header=["VAT", "Name"]))
    assert job.counts["new"] == 2500  # three batches of the commit
    real = CounterpartyChange.objects.bulk_create
    calls = []

    def fail_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise IntegrityError("simulated: a counterparty created meanwhile")
        return real(*args, **kwargs)

    with (
        mock.patch.object(CounterpartyChange.objects, "bulk_create", side_effect=fail_on_the_second_batch),
        pytest.raises(ImportConflict),
    ):
        job_commit(job=job, user=owner.user)
    assert not Counterparty.objects.filter(workspace=owner.workspace).exists()
    assert not CounterpartyChange.objects.exists() and not ImportChunk.objects.exists()
    job.refresh_from_db()
    assert job.status == JobStatus.STAGED and job.committed_at is None


def test_a_workspace_that_monitors_new_counterparties_monitors_imported_ones(owner):
    owner.workspace.monitor_new_counterparties = True
    owner.workspace.save()
    job_commit(job=stage(owner.workspace, csv_bytes([["DE136695976"], ["FR40303265045"]], header=["VAT"])), user=None)
    assert set(Counterparty.objects.values_list("monitoring", flat=True)) == {MonitoringFrequency.DAILY}


def test_an_archived_counterparty_is_updated_and_stays_archived(owner):
    from django.utils import timezone

    CounterpartyFactory(workspace=owner.workspace, vat_number="DE136695976", name="Old", archived_at=timezone.now())
    job = stage(owner.workspace, csv_bytes([["DE136695976", "New name"]], header=["VAT", "Name"]))
    assert "archived" in job.rows.get().warning
    job_commit(job=job, user=owner.user)
    counterparty = Counterparty.objects.get(vat_number="DE136695976")
    assert counterparty.name == "New name" and counterparty.archived_at is not None


def test_an_import_that_creates_nothing_is_finished_at_once(owner):
    from imports.signals import import_finished

    CounterpartyFactory(workspace=owner.workspace, vat_number="DE136695976", name="Old")
    received = []
    import_finished.connect(lambda sender, job_id, **kwargs: received.append(job_id), weak=False, dispatch_uid="t")
    try:
        job = job_commit(
            job=stage(owner.workspace, csv_bytes([["DE136695976", "New"]], header=["VAT", "Name"])), user=None
        )
    finally:
        import_finished.disconnect(dispatch_uid="t")
    assert job.status == JobStatus.DONE and received == [job.pk]


def test_a_tag_the_workspace_has_is_reused_whatever_its_case(owner):
    existing = Tag.objects.create(workspace=owner.workspace, name="Supplier")
    rows = [["DE136695976", "supplier"], ["FR40303265045", "SUPPLIER; dach"]]
    job_commit(job=stage(owner.workspace, csv_bytes(rows, header=["VAT", "Tags"])), user=owner.user)

    assert sorted(Tag.objects.filter(workspace=owner.workspace).values_list("name", flat=True)) == [
        "Supplier",
        "dach",
    ]
    assert existing.counterparties.count() == 2
