"""People's changes to counterparties: editing, tags, archive and restore, deletion, re-verification.

Each change locks the counterparty rows it touches (in id order, so two bulk actions over overlapping
selections cannot deadlock), compares the old values with the new under that lock, and records what
changed as one CounterpartyChange per counterparty in the same transaction: the audit trail is written
with the change or not at all. A change that changes nothing records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import (
    ChangeAction,
    ChangeSource,
    Counterparty,
    CounterpartyChange,
    MonitoringFrequency,
    Tag,
    Workspace,
)

EDITABLE_FIELDS = ("name", "address", "external_reference", "notes")
MAX_TAGS = 20


class CounterpartyHasChecks(Exception):
    """Only a counterparty never checked may be deleted: a check is evidence, kept by archiving instead."""

    def __init__(self) -> None:
        super().__init__(_("This counterparty has checks, which are kept as evidence: archive it instead."))


def _value(value: object) -> object:
    """A value as the audit trail stores it (JSON): moments as ISO text."""
    return value.isoformat() if isinstance(value, datetime) else value


def counterparty_changes_record(
    *,
    counterparties: Sequence[Counterparty],
    actor: AbstractBaseUser | None,
    action: str,
    changes: Sequence[dict[str, list]],
    source: str = ChangeSource.WEB,
    batch_size: int | None = None,
) -> list[CounterpartyChange]:
    """One audit row per counterparty whose `changes` ({field: [old, new]}) are not empty.

    Call it inside the transaction that makes the changes (monitoring's switch and the import do too). A
    large import passes `batch_size`, so that no single INSERT binds more parameters than PostgreSQL takes.
    """
    rows = [
        CounterpartyChange(
            workspace_id=counterparty.workspace_id,
            counterparty=counterparty,
            actor=actor,
            action=action,
            source=source,
            changes={field: [_value(old), _value(new)] for field, (old, new) in change.items()},
        )
        for counterparty, change in zip(counterparties, changes, strict=True)
        if change
    ]
    return CounterpartyChange.objects.bulk_create(rows, batch_size=batch_size)


def _locked(workspace: Workspace, ids: Iterable[int]) -> list[Counterparty]:
    return list(Counterparty.objects.select_for_update().filter(workspace=workspace, pk__in=list(ids)).order_by("pk"))


def tag_names_clean(raw: str) -> list[str]:
    """Tags typed as text, comma-separated: trimmed, inner spaces collapsed, duplicates dropped (any case)."""
    names: dict[str, str] = {}
    for part in raw.split(","):
        name = " ".join(part.split())[: Tag._meta.get_field("name").max_length]
        if name:
            names.setdefault(name.casefold(), name)
    return list(names.values())


def tags_resolve(*, workspace: Workspace, names: Iterable[str]) -> list[Tag]:
    """The workspace's tags of these names, in their order, made if new; an existing tag is reused whatever
    its case. A few queries however many names: the import resolves a whole file's tags at once."""
    names = list(names)

    def known() -> dict[str, Tag]:
        return {tag.name.casefold(): tag for tag in Tag.objects.filter(workspace=workspace)}

    tags = known()
    missing = {name.casefold(): name for name in names if name.casefold() not in tags}
    if missing:
        made = [Tag(workspace=workspace, name=name) for name in missing.values()]
        Tag.objects.bulk_create(made, ignore_conflicts=True)
        tags = known()
    return [tags[name.casefold()] for name in names]


def _tag_names(counterparty: Counterparty) -> list[str]:
    return sorted(counterparty.tags.values_list("name", flat=True))


@transaction.atomic
def counterparty_update(
    *,
    counterparty: Counterparty,
    actor: AbstractBaseUser | None,
    name: str,
    address: str,
    external_reference: str,
    notes: str,
    tags: Sequence[str],
    source: str = ChangeSource.WEB,
) -> Counterparty:
    """Save what a person entered about a counterparty (never what the registry said) and record the change."""
    (counterparty,) = _locked(counterparty.workspace, [counterparty.pk])
    new = {"name": name, "address": address, "external_reference": external_reference, "notes": notes}
    changes = {
        field: [getattr(counterparty, field), value]
        for field, value in new.items()
        if getattr(counterparty, field) != value
    }
    for field, (_old, value) in changes.items():
        setattr(counterparty, field, value)
    counterparty.full_clean(exclude=["tags"], validate_unique=False, validate_constraints=False)
    if changes:
        counterparty.save(update_fields=[*changes, "updated_at"])
    old_tags = _tag_names(counterparty)
    resolved = tags_resolve(workspace=counterparty.workspace, names=tags)
    if sorted(tag.name for tag in resolved) != old_tags:
        counterparty.tags.set(resolved)
        changes["tags"] = [old_tags, _tag_names(counterparty)]
    counterparty_changes_record(
        counterparties=[counterparty], actor=actor, action=ChangeAction.EDITED, changes=[changes], source=source
    )
    return counterparty


@transaction.atomic
def counterparties_archive(
    *, workspace: Workspace, ids: Iterable[int], actor: AbstractBaseUser | None, source: str = ChangeSource.WEB
) -> int:
    """Archive: kept with every check as evidence, out of the default list and out of monitoring.

    Monitoring is turned off and the next due time cleared, so no run claims it; a pending retry of an
    unverified check is dropped too. Returns how many were archived (already archived ones are left).
    """
    now = timezone.now()
    counterparties = [cp for cp in _locked(workspace, ids) if cp.archived_at is None]
    changes = []
    for counterparty in counterparties:
        change = {"archived_at": [None, now]}
        if counterparty.monitoring != MonitoringFrequency.OFF:
            change["monitoring"] = [counterparty.monitoring, MonitoringFrequency.OFF]
        changes.append(change)
    Counterparty.objects.filter(pk__in=[cp.pk for cp in counterparties]).update(
        archived_at=now, monitoring=MonitoringFrequency.OFF, next_check_due_at=None, retry_at=None, updated_at=now
    )
    counterparty_changes_record(
        counterparties=counterparties, actor=actor, action=ChangeAction.ARCHIVED, changes=changes, source=source
    )
    return len(counterparties)


@transaction.atomic
def counterparties_restore(
    *, workspace: Workspace, ids: Iterable[int], actor: AbstractBaseUser | None, source: str = ChangeSource.WEB
) -> int:
    """Back into the list. Monitoring stays off until someone turns it on again: nobody chose it for now."""
    now = timezone.now()
    counterparties = [cp for cp in _locked(workspace, ids) if cp.archived_at is not None]
    changes = [{"archived_at": [cp.archived_at, None]} for cp in counterparties]
    Counterparty.objects.filter(pk__in=[cp.pk for cp in counterparties]).update(archived_at=None, updated_at=now)
    counterparty_changes_record(
        counterparties=counterparties, actor=actor, action=ChangeAction.RESTORED, changes=changes, source=source
    )
    return len(counterparties)


@transaction.atomic
def counterparties_tag(
    *,
    workspace: Workspace,
    ids: Iterable[int],
    tag_name: str,
    add: bool,
    actor: AbstractBaseUser | None,
    source: str = ChangeSource.WEB,
) -> int:
    """Add a tag to (or remove it from) the selected counterparties; returns how many changed."""
    counterparties = _locked(workspace, ids)
    if add:
        (tag,) = tags_resolve(workspace=workspace, names=[tag_name])
    else:
        tag = Tag.objects.filter(workspace=workspace, name__iexact=tag_name).first()
        if tag is None:
            return 0
    tagged = set(tag.counterparties.filter(pk__in=[cp.pk for cp in counterparties]).values_list("pk", flat=True))
    changing = [cp for cp in counterparties if (cp.pk in tagged) != add]
    changes = []
    for counterparty in changing:
        old = _tag_names(counterparty)
        new = sorted([*old, tag.name]) if add else [name for name in old if name != tag.name]
        changes.append({"tags": [old, new]})
    through = Counterparty.tags.through
    if add:
        through.objects.bulk_create([through(counterparty_id=cp.pk, tag_id=tag.pk) for cp in changing])
    else:
        through.objects.filter(tag=tag, counterparty_id__in=[cp.pk for cp in changing]).delete()
    counterparty_changes_record(
        counterparties=changing, actor=actor, action=ChangeAction.TAGGED, changes=changes, source=source
    )
    return len(changing)


@transaction.atomic
def counterparty_delete(*, counterparty: Counterparty) -> None:
    """Delete a counterparty that was never checked (a typo, say); one with checks raises CounterpartyHasChecks.

    Its audit trail goes with it: with no check there is no evidence to explain.
    """
    (counterparty,) = _locked(counterparty.workspace, [counterparty.pk])
    if counterparty.checks.exists():
        raise CounterpartyHasChecks
    counterparty.delete()


def counterparties_reverify(*, workspace: Workspace, ids: Iterable[int], actor: AbstractBaseUser | None) -> int:
    """Queue a fresh check of each selected counterparty that is not archived; returns how many.

    One task per counterparty, sent after the commit; each goes through the shared registry limit like any
    check, so a large selection queues rather than floods. The caller bounds the selection's size.
    """
    from ..tasks import counterparty_verify

    selected = list(
        Counterparty.objects.for_workspace(workspace).active().filter(pk__in=list(ids)).values_list("pk", flat=True)
    )
    batch = timezone.now().isoformat()
    actor_id = actor.pk if actor is not None else None
    for counterparty_id in selected:
        key = f"reverify:{counterparty_id}:{batch}"
        transaction.on_commit(
            lambda counterparty_id=counterparty_id, key=key: counterparty_verify.delay(counterparty_id, actor_id, key)
        )
    return len(selected)
