"""Counterparty writes the API makes: crm's and monitoring's services, recorded with the audit source `api`.

Only creation without a check is the API's own (the web application creates counterparties by verifying
or importing them); it records its audit line through crm's `counterparty_changes_record` like the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import ChangeAction, ChangeSource, Counterparty, Workspace
from crm.services.counterparties import (
    EDITABLE_FIELDS,
    counterparties_archive,
    counterparties_restore,
    counterparty_changes_record,
    counterparty_update,
    tag_names_clean,
)
from monitoring.services.switch import counterparty_monitoring_set
from verification.vat import NormalisedVat


class AlreadyExists(Exception):
    def __init__(self, counterparty: Counterparty) -> None:
        super().__init__(counterparty.vat_number)
        self.counterparty = counterparty


@transaction.atomic
def counterparty_create(
    *, workspace: Workspace, vat: NormalisedVat, fields: dict, tags: Sequence[str] = (), actor=None
) -> Counterparty:
    """A new counterparty, not checked yet; AlreadyExists if the workspace has this number."""
    try:
        with transaction.atomic():
            counterparty = Counterparty.objects.create(
                workspace=workspace,
                vat_number=vat.vat_number,
                country_code=vat.country_code,
                created_by=actor,
                monitoring=workspace.default_monitoring,
                # Never checked: the next monitoring run checks it.
                next_check_due_at=timezone.now() if workspace.monitor_new_counterparties else None,
                **{name: fields.get(name, "") for name in EDITABLE_FIELDS},
            )
    except IntegrityError:
        raise AlreadyExists(Counterparty.objects.get(workspace=workspace, vat_number=vat.vat_number)) from None
    counterparty_changes_record(
        counterparties=[counterparty],
        actor=actor,
        action=ChangeAction.CREATED,
        changes=[{"vat_number": [None, vat.vat_number]}],
        source=ChangeSource.API,
    )
    if tags:
        counterparty = counterparty_patch(counterparty=counterparty, fields={"tags": tags}, actor=actor)
    return counterparty


def counterparty_patch(*, counterparty: Counterparty, fields: dict, actor=None) -> Counterparty:
    """crm's edit with what the request leaves out kept as it is (PATCH)."""
    values = {name: fields.get(name, getattr(counterparty, name)) for name in EDITABLE_FIELDS}
    tags = fields.get("tags")
    # Trimmed and deduplicated as the edit form does it; none given keeps the counterparty's tags.
    tags = list(counterparty.tags.values_list("name", flat=True)) if tags is None else tag_names_clean(",".join(tags))
    return counterparty_update(counterparty=counterparty, actor=actor, tags=tags, source=ChangeSource.API, **values)


def counterparty_archive(*, counterparty: Counterparty, archived: bool, actor=None) -> Counterparty:
    """Archive (monitoring off, out of the list, checks kept) or restore; twice is harmless."""
    service = counterparties_archive if archived else counterparties_restore
    service(workspace=counterparty.workspace, ids=[counterparty.pk], actor=actor, source=ChangeSource.API)
    counterparty.refresh_from_db()
    return counterparty


def counterparty_monitoring(*, counterparty: Counterparty, frequency: str, actor=None) -> Counterparty:
    counterparty_monitoring_set(
        workspace=counterparty.workspace,
        counterparty_ids=[counterparty.pk],
        frequency=frequency,
        actor=actor,
        source=ChangeSource.API,
    )
    counterparty.refresh_from_db()
    return counterparty
