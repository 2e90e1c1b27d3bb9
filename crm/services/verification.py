"""Turning a registry verdict into stored evidence: one check, its results, the counterparty's state.

The registry is asked *before* the transaction opens: a VIES call can take seconds, and no row lock or
open transaction should wait on it. The write that follows is one short transaction.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from verification.service import verify_vat
from verification.vat import NormalisedVat
from verification.verdicts import Requester, Verdict

from ..backoff import doubling_delay
from ..lean_sql import insert_one, insert_rows, update_where
from ..models import (
    ChangeAction,
    ChangeSource,
    CheckResult,
    CheckStatus,
    CheckTrigger,
    Company,
    Counterparty,
    VerificationCheck,
    Workspace,
)
from .counterparties import counterparty_changes_record

logger = logging.getLogger(__name__)


class Unread(enum.Enum):
    """run_verification(company=UNREAD): the caller has not read the workspace's default company."""

    TOKEN = enum.auto()


UNREAD: Final = Unread.TOKEN


@dataclass(frozen=True)
class CounterpartyInput:
    """What the user typed about the counterparty, besides its number."""

    name: str = ""
    address: str = ""


def run_verification(
    *,
    workspace: Workspace,
    vat: NormalisedVat,
    entered: CounterpartyInput = CounterpartyInput(),
    user=None,
    trigger: str = CheckTrigger.USER,
    idempotency_key: str | None = None,
    company: Company | Unread | None = UNREAD,
) -> VerificationCheck:
    """Verify `vat` for `workspace` and store the check; returns the stored VerificationCheck.

    With an `idempotency_key` (a task's identity), running twice stores one check: the second call
    returns the first check without asking the registry again. `company`: the requester, when the caller
    has already read the workspace's default company (the Verify page has); else it is read here.
    """
    if idempotency_key and (done := VerificationCheck.objects.filter(idempotency_key=idempotency_key).first()):
        return done
    if company is UNREAD:
        company = workspace.default_company()
    started_at = timezone.now()
    verdict = verify_vat(
        vat.vat_number,
        requester=requester_for(company),
        trader_name=entered.name or None,
        trader_address=entered.address or None,
    )
    store = partial(
        verdict_store,
        workspace=workspace,
        vat=vat,
        verdict=verdict,
        company=company,
        entered=entered,
        user=user,
        trigger=trigger,
        started_at=started_at,
        idempotency_key=idempotency_key,
    )
    try:
        return store()
    except IntegrityError:
        # A concurrent run stored first (verdict_store takes no savepoint of its own, see there), and this
        # one was rolled back: with the same idempotency key, that run's check stands; a counterparty
        # created meanwhile is found and locked on a second try. The registry is not asked again.
        if idempotency_key and (done := VerificationCheck.objects.filter(idempotency_key=idempotency_key).first()):
            return done
        return store()


def requester_for(company: Company | None) -> Requester | None:
    """The requester identity VIES gets for checkVatApprox (None: plain checkVat, no consultation number)."""
    return Requester(vat_number=company.vat_number, name=company.name) if company else None


@transaction.atomic
def verdict_store(
    *,
    workspace: Workspace,
    vat: NormalisedVat,
    verdict: Verdict,
    company: Company | None,
    entered: CounterpartyInput = CounterpartyInput(),
    user=None,
    trigger: str,
    started_at: datetime,
    idempotency_key: str | None = None,
) -> VerificationCheck:
    """Store a verdict as one check with its results and update the counterparty, in one transaction.

    No savepoint inside (each is two statements more): a race lost to a concurrent run (the same
    `idempotency_key` stored, or the same new number's counterparty created first) raises IntegrityError
    out of this function's own transaction, or its savepoint when called inside a wider one, so nothing
    of it is half-stored; run_verification then returns the stored check or tries again.
    """
    counterparty = _lock_or_create_counterparty(
        workspace=workspace, vat=vat, entered=entered, user=user, source=_CHANGE_SOURCES.get(trigger, ChangeSource.WEB)
    )
    check = _new_check(
        counterparty=counterparty, verdict=verdict, company=company, user=user, trigger=trigger,
        started_at=started_at, idempotency_key=idempotency_key,
    )  # fmt: skip
    check.save(force_insert=True)
    results = _results_and_counterparty_store(check=check, counterparty=counterparty, verdict=verdict, company=company)
    _known_results(check, results)
    return check


def _known_results(check: VerificationCheck, results: list[CheckResult]) -> None:
    """`check.results.all()` answers from the rows just stored, as prefetch_related would have left it: the
    JSON answer and the consultation note read them without a query."""
    queryset = check.results.all()
    queryset._result_cache = list(results)
    queryset._prefetch_done = True
    check._prefetched_objects_cache = {CheckResult._meta.get_field("check_run").remote_field.cache_name: queryset}


class CounterpartyChanged(Exception):
    """check_store(locked=False): another check of the counterparty was recorded since it was read."""


# What storing a check changes on its counterparty (record_check, retries, monitoring's due time).
_CHECK_FIELDS = (
    "status",
    "status_changed_at",
    "registered_name",
    "registered_address",
    "last_check",
    "last_checked_at",
    "retry_at",
    "retry_attempts",
    "next_check_due_at",
    "updated_at",
)
_CHECK_ATTNAMES = tuple(Counterparty._meta.get_field(name).attname for name in _CHECK_FIELDS)


def check_store(
    *,
    counterparty: Counterparty,
    verdict: Verdict,
    company: Company | None,
    trigger: str,
    started_at: datetime,
    idempotency_key: str | None = None,
    locked: bool = True,
) -> VerificationCheck:
    """Store a verdict for a counterparty in the caller's transaction: the lean path of monitoring's re-check.

    No savepoint: a duplicate `idempotency_key` raises IntegrityError, which spoils the caller's
    transaction (the caller rolls back and treats it as a duplicate). Pending changes of `counterparty` to
    the fields a check changes are saved with it (monitoring sets the next due time first).

    `locked`: the caller holds the counterparty's row lock. Without it (optimistic), the row is updated only
    if its `last_check` is still the one read, i.e. no other check was recorded since; else
    CounterpartyChanged is raised and the caller rolls back and tries again under the lock. That update
    takes the row lock, so it waits for a person's check holding the row and then sees its new last_check.
    """
    if transaction.get_autocommit():
        raise transaction.TransactionManagementError("check_store() needs the caller's transaction")
    read_last_check = counterparty.last_check_id
    check = _new_check(
        counterparty=counterparty, verdict=verdict, company=company, user=None, trigger=trigger,
        started_at=started_at, idempotency_key=idempotency_key,
    )  # fmt: skip
    insert_one(check)  # check.save(force_insert=True), its signals included, with SQL built once (lean_sql)
    _results_and_counterparty_store(
        check=check, counterparty=counterparty, verdict=verdict, company=company, save=locked
    )
    if not locked:
        counterparty.updated_at = timezone.now()
        fields = {name: getattr(counterparty, name) for name in _CHECK_ATTNAMES}
        where = {"pk": counterparty.pk, "last_check_id": read_last_check}
        if not update_where(Counterparty, where=where, values=fields):
            raise CounterpartyChanged(counterparty.pk)
    return check


def _new_check(
    *,
    counterparty: Counterparty,
    verdict: Verdict,
    company: Company | None,
    user,
    trigger: str,
    started_at: datetime,
    idempotency_key: str | None,
) -> VerificationCheck:
    return VerificationCheck(
        workspace_id=counterparty.workspace_id,
        counterparty=counterparty,
        trigger=trigger,
        triggered_by=user,
        overall_status=verdict.overall_status,
        confidence_score=verdict.confidence_score,
        consultation_number=verdict.consultation_number,
        requester_vat_number=company.vat_number if company else "",
        idempotency_key=idempotency_key,
        started_at=started_at,
        finished_at=timezone.now(),
    )


def _results_and_counterparty_store(
    *,
    check: VerificationCheck,
    counterparty: Counterparty,
    verdict: Verdict,
    company: Company | None,
    save: bool = True,
) -> list[CheckResult]:
    results = [
        CheckResult(
            check_run=check,
            service=result.service,
            country_code=counterparty.country_code,
            status=result.status,
            registered_name=result.name,
            registered_address=result.address,
            match_codes=result.match_codes,
            error_code=result.error_code,
            message=result.message,
            warnings=result.warnings,
            latency_ms=result.latency_ms,
            consultation_number=result.consultation_number,
            raw_request=result.raw_request,
            raw_response=result.raw_response,
        )
        for result in verdict.results
    ]
    insert_rows(results)  # bulk_create's one INSERT, with SQL built once (lean_sql)
    counterparty.record_check(check, registry=verdict.registry_result)
    if check.overall_status == CheckStatus.UNVERIFIED and check.trigger != CheckTrigger.MONITORING:
        if check.trigger != CheckTrigger.RETRY:
            counterparty.retry_attempts = 0  # a person asked again: a fresh series of retries
        _schedule_retry(counterparty)
    if save:
        counterparty.save()
    if company is not None:
        _note_requester_verdict(company, verdict)
    return results


def _schedule_retry(counterparty: Counterparty) -> None:
    """Ask again later, with backoff, until the registry answers or the attempts run out.

    Monitoring schedules its own re-checks, so only checks a person (or an import) asked for come here.
    """
    from ..tasks import verification_retry

    if counterparty.retry_attempts >= settings.VERIFICATION_RETRY_MAX_ATTEMPTS:
        counterparty.retry_at = None
        return
    counterparty.retry_attempts += 1
    counterparty.retry_at = timezone.now() + retry_delay(counterparty.retry_attempts)
    counterparty_id, eta = counterparty.pk, counterparty.retry_at
    transaction.on_commit(lambda: verification_retry.apply_async(args=[counterparty_id], eta=eta))


# Who typed what a check brings in: its audit-trail source (crm.models.history).
_CHANGE_SOURCES = {CheckTrigger.IMPORT: ChangeSource.IMPORT, CheckTrigger.SHELL: ChangeSource.SHELL}


def _lock_or_create_counterparty(
    *, workspace: Workspace, vat: NormalisedVat, entered: CounterpartyInput, user, source: str
) -> Counterparty:
    """The counterparty of `vat`, locked (made if new); what was typed with the check is recorded as a change."""
    counterparty = (
        Counterparty.objects.select_for_update().filter(workspace=workspace, vat_number=vat.vat_number).first()
    )
    if counterparty is None:
        # No get_or_create: its second read and savepoint are three statements more. A concurrent first
        # check of the same number that inserts first makes this INSERT raise IntegrityError, which rolls
        # this transaction back; run_verification tries again and then finds that counterparty.
        counterparty = Counterparty.objects.create(
            workspace=workspace,
            vat_number=vat.vat_number,
            country_code=vat.country_code,
            name=entered.name,
            address=entered.address,
            created_by=user,
            monitoring=workspace.default_monitoring,
        )
        if counterparty.is_monitored and counterparty.next_check_due_at is None:
            counterparty.schedule_next_check()
        created = {"vat_number": counterparty.vat_number, "name": counterparty.name, "address": counterparty.address}
        changes = {field: [None, value] for field, value in created.items() if value}
        action = ChangeAction.CREATED
    else:
        # The caller's workspace object, so that whatever reads counterparty.workspace of this check (the
        # webhooks' hook on a stored check) costs no query.
        counterparty.workspace = workspace
        # What the user types now replaces what they typed before; an empty field keeps the old value.
        typed = {"name": entered.name, "address": entered.address}
        action, changes = (
            ChangeAction.EDITED,
            {
                field: [getattr(counterparty, field), value]
                for field, value in typed.items()
                if value and value != getattr(counterparty, field)
            },
        )
        for field, (_old, value) in changes.items():
            setattr(counterparty, field, value)
    counterparty_changes_record(
        counterparties=[counterparty], actor=user, action=action, changes=[changes], source=source
    )
    return counterparty


def _note_requester_verdict(company: Company, verdict: Verdict) -> None:
    registry = verdict.registry_result
    # Only an answer to a check made with the company as requester says whether that company is right
    # (a Norwegian check takes no requester, VIES takes no UK one).
    if registry is None or not registry.answered or not registry.requester_checked:
        return
    was_rejected = company.requester_rejected_at is not None
    if registry.requester_rejected != was_rejected:
        company.requester_rejected_at = timezone.now() if registry.requester_rejected else None
        company.save(update_fields=["requester_rejected_at"])


def retry_delay(attempt: int) -> timedelta:
    """Backoff before the `attempt`-th retry of an unverified check: 1, 2, 4, ... minutes, capped."""
    return doubling_delay(
        attempt, base=settings.VERIFICATION_RETRY_BASE_DELAY, cap=settings.VERIFICATION_RETRY_MAX_DELAY
    )
