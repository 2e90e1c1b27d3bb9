"""Committing a staged import: every accepted row written in one transaction, or none.

The job row is locked first, so a double click (or the same job committed from two tabs) commits once.
The rows are compared with the CRM again as they are written, not trusted from the preview: a
counterparty added since (by a person, or by another import of the same file) is updated rather than
created twice, and one whose fields already hold the file's values is left alone, so the same file
imported again adds nothing. New counterparties are created with `bulk_create`, changed ones written back
with an upsert on their unique (workspace, VAT number), tags created as needed, and every change recorded
as a CounterpartyChange (source import).

Then the new counterparties are cut into chunks, verified in the background once the transaction has
committed (services/verify.py), each with an ImportedCounterparty row for what its check gives.
"""

from __future__ import annotations

from itertools import batched

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import ChangeAction, ChangeSource, Counterparty
from crm.services.counterparties import counterparty_changes_record, tags_resolve

from ..models import Classification, ImportChunk, ImportedCounterparty, ImportJob, ImportRow, JobStatus
from ..signals import import_finished
from .preview import changes_for

BATCH = 1000
_FIELDS = ("name", "address", "external_reference", "monitoring")


class ImportConflict(Exception):
    """The CRM changed under the commit in a way that cannot be merged; nothing was written."""


def job_commit(*, job: ImportJob, user: AbstractBaseUser | None) -> ImportJob:
    """Write the job's accepted rows to the CRM and start verifying the new counterparties."""
    from .verify import chunks_dispatch

    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().select_related("workspace").get(pk=job.pk)
            if job.status != JobStatus.STAGED:
                return job  # committed already, or still waiting for its columns
            created: list[int] = []
            accepted = job.rows.filter(classification__in=[Classification.NEW, Classification.CHANGED])
            for batch in batched(accepted.order_by("line").iterator(chunk_size=BATCH), BATCH):
                created += _write(job, list(batch), user)
            job.committed_at = timezone.now()
            job.committed_by = user
            job.status = JobStatus.VERIFYING if created else JobStatus.DONE
            job.to_verify = len(created)
            job.finished_at = None if created else job.committed_at
            job.save(update_fields=["committed_at", "committed_by", "status", "to_verify", "finished_at"])
            _chunks_create(job, created)
            if not created:
                import_finished.send(sender=ImportJob, job_id=job.pk)
            workspace_id = job.workspace_id
            transaction.on_commit(lambda: chunks_dispatch(workspace_id=workspace_id))
    except IntegrityError as exc:
        # A counterparty with one of these numbers was created while we wrote: nothing is kept.
        raise ImportConflict(str(exc)) from exc
    return job


def _write(job: ImportJob, rows: list[ImportRow], user: AbstractBaseUser | None) -> list[int]:
    """One batch: create, update, tag and record; returns the ids of the counterparties created."""
    workspace = job.workspace
    now = timezone.now()
    existing = {
        counterparty.vat_number: counterparty
        for counterparty in Counterparty.objects.select_for_update(of=("self",))
        .filter(workspace=workspace, vat_number__in=[row.vat_number for row in rows])
        .prefetch_related("tags")
    }
    new: list[tuple[Counterparty, ImportRow]] = []
    changed: list[tuple[Counterparty, ImportRow, dict]] = []
    for row in rows:
        counterparty = existing.get(row.vat_number)
        if counterparty is None:
            counterparty = Counterparty(
                workspace=workspace,
                vat_number=row.vat_number,
                country_code=row.vat_number[:2],
                name=row.name,
                address=row.address,
                external_reference=row.external_reference,
                monitoring=row.monitoring or workspace.default_monitoring,
                created_by=user,
            )
            if counterparty.is_monitored:
                counterparty.schedule_next_check(after=now)
            new.append((counterparty, row))
            continue
        changes = changes_for(counterparty, row)
        if not changes:
            continue
        for name in _FIELDS:
            if name in changes:
                setattr(counterparty, name, changes[name][1])
        if "monitoring" in changes:
            counterparty.schedule_next_check(after=now)
        counterparty.updated_at = now
        changed.append((counterparty, row, changes))

    Counterparty.objects.bulk_create([counterparty for counterparty, _ in new], batch_size=BATCH)
    # The changed ones are written back as one INSERT ... ON CONFLICT DO UPDATE per batch: the same SQL
    # cost as bulk_create, where bulk_update's CASE WHEN per field and row costs several times more in
    # Python. Every one of them exists and is locked (above), so the conflict branch is the one taken.
    Counterparty.objects.bulk_create(
        [counterparty for counterparty, _, _ in changed],
        update_conflicts=True,
        unique_fields=["workspace", "vat_number"],
        update_fields=[*_FIELDS, "next_check_due_at", "updated_at"],
        batch_size=BATCH,
    )
    tagged = [(counterparty, row.tags) for counterparty, row in new] + [
        (counterparty, row.tags) for counterparty, row, changes in changed if "tags" in changes
    ]
    _tag(workspace, tagged)
    recorded = [(counterparty, _as_created(counterparty, row)) for counterparty, row in new] + [
        (counterparty, changes) for counterparty, _, changes in changed
    ]
    counterparty_changes_record(
        counterparties=[counterparty for counterparty, _ in recorded],
        actor=user,
        action=ChangeAction.IMPORTED,
        changes=[changes for _, changes in recorded],
        source=ChangeSource.IMPORT,
        batch_size=BATCH,
    )
    return [counterparty.pk for counterparty, _ in new]


def _as_created(counterparty: Counterparty, row: ImportRow) -> dict[str, list]:
    values = {
        "vat_number": counterparty.vat_number,
        **{name: getattr(counterparty, name) for name in _FIELDS},
        "tags": sorted(row.tags),
    }
    return {name: [None, value] for name, value in values.items() if value}


def _tag(workspace, tagged: list[tuple[Counterparty, list[str]]]) -> None:
    """Attach the tags, made if new and reused whatever their case, as the edit form does (what is attached
    already stays)."""
    names = sorted({name for _, tags in tagged for name in tags})
    if not names:
        return
    ids = {name: tag.pk for name, tag in zip(names, tags_resolve(workspace=workspace, names=names), strict=True)}
    through = Counterparty.tags.through
    through.objects.bulk_create(
        [through(counterparty_id=counterparty.pk, tag_id=ids[name]) for counterparty, tags in tagged for name in tags],
        ignore_conflicts=True,
        batch_size=BATCH,
    )


def _chunks_create(job: ImportJob, counterparty_ids: list[int]) -> None:
    """The verification chunks, and the row per new counterparty that will hold what its check gave."""
    ImportedCounterparty.objects.bulk_create(
        [ImportedCounterparty(job=job, counterparty_id=pk) for pk in counterparty_ids], batch_size=BATCH
    )
    size = max(1, settings.IMPORT_VERIFY_CHUNK_SIZE)
    ImportChunk.objects.bulk_create(
        [
            ImportChunk(job=job, workspace_id=job.workspace_id, number=number, counterparty_ids=list(ids))
            for number, ids in enumerate(batched(counterparty_ids, size), start=1)
        ],
        batch_size=BATCH,
    )
