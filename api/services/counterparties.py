"""Counterparty writes the API makes, each recorded in the audit trail with source `api`."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import ChangeAction, ChangeSource, Counterparty, CounterpartyChange, MonitoringFrequency, Workspace
from monitoring.services.switch import counterparty_monitoring_set
from verification.vat import NormalisedVat

EDITABLE = ("name", "address", "external_reference", "notes")


class AlreadyExists(Exception):
    def __init__(self, counterparty: Counterparty) -> None:
        super().__init__(counterparty.vat_number)
        self.counterparty = counterparty


@transaction.atomic
def counterparty_create(
    *, workspace: Workspace, vat: NormalisedVat, fields: dict[str, str], actor=None
) -> Counterparty:
    """A new counterparty, not checked yet; AlreadyExists if the workspace has this number."""
    values = {name: fields.get(name, "") for name in EDITABLE}
    monitored = workspace.monitor_new_counterparties
    try:
        with transaction.atomic():
            counterparty = Counterparty.objects.create(
                workspace=workspace,
                vat_number=vat.vat_number,
                country_code=vat.country_code,
                created_by=actor,
                monitoring=MonitoringFrequency.DAILY if monitored else MonitoringFrequency.OFF,
                # Never checked: the next monitoring run checks it.
                next_check_due_at=timezone.now() if monitored else None,
                **values,
            )
    except IntegrityError:
        raise AlreadyExists(Counterparty.objects.get(workspace=workspace, vat_number=vat.vat_number)) from None
    _record(counterparty, ChangeAction.CREATED, {"vat_number": [None, vat.vat_number]}, actor)
    return counterparty


@transaction.atomic
def counterparty_update(*, counterparty: Counterparty, fields: dict[str, str], actor=None) -> Counterparty:
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    changes = {
        name: [getattr(counterparty, name), value]
        for name, value in fields.items()
        if name in EDITABLE and getattr(counterparty, name) != value
    }
    if changes:
        for name, (_old, new) in changes.items():
            setattr(counterparty, name, new)
        counterparty.save(update_fields=[*changes, "updated_at"])
        _record(counterparty, ChangeAction.EDITED, changes, actor)
    return counterparty


@transaction.atomic
def counterparty_archive(*, counterparty: Counterparty, archived: bool, actor=None) -> Counterparty:
    """Archive (monitoring stops, checks stay as evidence) or restore; doing it twice changes nothing."""
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    if (counterparty.archived_at is not None) == archived:
        return counterparty
    before = counterparty.archived_at
    counterparty.archived_at = timezone.now() if archived else None
    counterparty.save(update_fields=["archived_at", "updated_at"])
    if archived and counterparty.is_monitored:
        counterparty_monitoring_set(
            workspace=counterparty.workspace, counterparty_ids=[counterparty.pk], frequency=MonitoringFrequency.OFF
        )
        counterparty.refresh_from_db()
    action = ChangeAction.ARCHIVED if archived else ChangeAction.RESTORED
    _record(counterparty, action, {"archived_at": [_iso(before), _iso(counterparty.archived_at)]}, actor)
    return counterparty


@transaction.atomic
def counterparty_monitoring(*, counterparty: Counterparty, frequency: str, actor=None) -> Counterparty:
    before = counterparty.monitoring
    counterparty_monitoring_set(
        workspace=counterparty.workspace, counterparty_ids=[counterparty.pk], frequency=frequency
    )
    counterparty.refresh_from_db()
    if before != counterparty.monitoring:
        _record(counterparty, ChangeAction.MONITORING, {"monitoring": [before, counterparty.monitoring]}, actor)
    return counterparty


def _record(counterparty: Counterparty, action: str, changes: dict[str, Any], actor) -> None:
    CounterpartyChange.objects.create(
        workspace_id=counterparty.workspace_id,
        counterparty=counterparty,
        actor=actor,
        action=action,
        source=ChangeSource.API,
        changes=changes,
    )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
