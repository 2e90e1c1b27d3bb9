"""The re-check of one counterparty in one run: ask the registry, then store the check and its alerts.

Before the registry is asked, the Recheck row is marked as picked (`picked_at`): a worker that dies from
here on leaves a row whose lease runs out, and the reconciler sends the attempt again. The registry is
asked outside any transaction (a VIES call can take seconds). Then one transaction locks the
counterparty, stores the check through crm's `verdict_store`, compares it with what we knew, creates the
alerts, announces them (`crm.signals.alerts_created`), advances the due time and does the run's
bookkeeping; an unverified attempt with retries left records when the next one is due. Lock order and the
reasons are in docs/concurrency.md ("Monitoring").
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.backoff import doubling_delay
from crm.lean_sql import update_where
from crm.models import Alert, AlertKind, CheckStatus, CheckTrigger, Company, Counterparty, Severity, VerificationCheck
from crm.services import requester_for
from crm.services.verification import CounterpartyChanged, check_store
from crm.signals import alerts_created
from verification.ratelimit import Priority, registry_priority
from verification.service import verify_vat
from verification.verdicts import Status, Verdict

from ..changes import Snapshot, changes_between
from ..models import MonitoringRun, Recheck, RecheckOutcome
from .recheck_read import recheck_context_read
from .runs import run_complete_if_done, run_complete_if_last

logger = logging.getLogger(__name__)


class Result(StrEnum):
    STORED = "stored"  # a new check was stored (and maybe alerts)
    DUPLICATE = "duplicate"  # this attempt was already stored: a redelivered message, nothing done
    GONE = "gone"  # the counterparty or the run no longer exists
    SKIPPED = "skipped"  # monitoring was turned off after the fan-out claimed it


@dataclass(frozen=True)
class RecheckResult:
    result: Result
    check: VerificationCheck | None = None
    alerts: list[Alert] = field(default_factory=list)
    # Unverified and attempts remain: the next attempt is due in this many seconds (see retry_countdown).
    retry_in: float | None = None

    @property
    def retry(self) -> bool:
        return self.retry_in is not None


def recheck_key(run_id: int, counterparty_id: int, attempt: int) -> str:
    """The idempotency key of one attempt: a redelivered message finds its check and does nothing."""
    return f"monitoring:{run_id}:{counterparty_id}:{attempt}"


def run_key_prefix(run_id: int) -> str:
    return f"monitoring:{run_id}:"


def counterparty_recheck(
    *, run_id: int, counterparty_id: int, attempt: int = 0, final: bool = True, retry_in: float | None = None
) -> RecheckResult:
    """Re-check one counterparty claimed by run `run_id`; `final` is the last attempt (no retry after it).

    An unverified attempt that is not final is due again after `retry_in` seconds, by default the jittered
    backoff of `retry_countdown`. Eight SQL statements when nothing changed (docs/monitoring.md, "What a
    re-check costs"), whatever the size of the run.
    """
    key = recheck_key(run_id, counterparty_id, attempt)
    context = recheck_context_read(run_id=run_id, counterparty_id=counterparty_id, key=key)
    if context is None:
        # The counterparty was deleted (its Recheck row with it) or the run was pruned. If that row was
        # the run's last pending one, nobody else will notice that the run is complete.
        _complete_after_commit(run_id)
        return RecheckResult(Result.GONE)
    item, company = context.item, context.company
    if item.finished_at is not None or context.already_stored:
        logger.info("re-check %s: already done, a redelivered message is ignored", key)
        return RecheckResult(Result.DUPLICATE)
    counterparty = item.counterparty
    if not counterparty.is_monitored:
        return _skip(item)
    started_at = timezone.now()
    update_where(Recheck, where={"pk": item.pk, "finished_at": None}, values={"picked_at": started_at})
    # No trader name or address is sent: for a state that withholds them, VIES echoes what it was sent as
    # the "trader name", and our own typing would then look like a registry change. A re-check waits
    # behind the people at the Verify page for a registry slot (verification/ratelimit.py, priorities).
    with registry_priority(Priority.BACKGROUND):
        verdict = verify_vat(counterparty.vat_number, requester=requester_for(company))
    verdict = _ours_if_format_refused(verdict)
    if retry_in is None and not final:
        retry_in = retry_countdown(attempt + 1)
    options = {"item": item, "verdict": verdict, "company": company, "started_at": started_at, "key": key}
    options["previous_check"] = context.previous_check
    options["retry_in"] = None if final else retry_in
    try:
        try:
            return _store(**options, locked=False)
        except CounterpartyChanged:
            # Another check of this counterparty (a person's) was stored while we asked the registry: what
            # we read before is stale. Again under the row lock, with fresh reads. Rare.
            return _store(**options, locked=True)
    except IntegrityError:
        # A twin delivery stored this attempt while we asked the registry: its transaction stands, ours
        # rolled back whole (no savepoint: the unique key decides).
        if VerificationCheck.objects.filter(idempotency_key=key).exists():
            logger.info("re-check %s: a twin delivery stored it while we asked the registry", key)
            return RecheckResult(Result.DUPLICATE)
        if not Counterparty.objects.filter(pk=counterparty_id).exists():  # deleted meanwhile (its key failed)
            _complete_after_commit(run_id)
            return RecheckResult(Result.GONE)
        raise


@transaction.atomic
def _store(
    *,
    item: Recheck,
    verdict: Verdict,
    company: Company | None,
    previous_check: VerificationCheck | None,
    started_at: datetime,
    key: str,
    retry_in: float | None,
    locked: bool,
) -> RecheckResult:
    """Store the attempt; `locked=False` trusts what was read before the registry call (check_store checks)."""
    counterparty = item.counterparty
    if locked:
        counterparty = Counterparty.objects.select_for_update().filter(pk=item.counterparty_id).first()
        if counterparty is None:  # deleted while we asked the registry
            _complete_after_commit(item.run_id)
            return RecheckResult(Result.GONE)
        if VerificationCheck.objects.filter(idempotency_key=key).exists():
            logger.info("re-check %s: a twin delivery stored it while we asked the registry", key)
            return RecheckResult(Result.DUPLICATE)
        counterparty.workspace = item.counterparty.workspace
        previous_check = counterparty.latest_definitive_check()
    before = Snapshot(counterparty.status, counterparty.registered_name, counterparty.registered_address)
    counterparty.next_check_due_at = item.run.next_due_for(counterparty.monitoring)  # saved with the check
    check = check_store(
        counterparty=counterparty,
        verdict=verdict,
        company=company,
        trigger=CheckTrigger.MONITORING,
        started_at=started_at,
        idempotency_key=key,
        locked=locked,
    )
    registry = verdict.registry_result
    after = Snapshot(
        status=check.overall_status,
        name=registry.name if registry else None,
        address=registry.address if registry else None,
    )
    alerts = alerts_for_change(
        counterparty=counterparty, check=check, previous_check=previous_check, before=before, after=after
    )
    if alerts:
        Alert.objects.bulk_create(alerts)
        alerts_created.send(sender=Alert, alerts=alerts)
    retry_in = None if check.is_definitive else retry_in
    changed = any(alert.kind != AlertKind.UNVERIFIABLE for alert in alerts)
    _record(item=item, check=check, alert_count=len(alerts), changed=changed, retry_in=retry_in)
    return RecheckResult(Result.STORED, check=check, alerts=alerts, retry_in=retry_in)


def alerts_for_change(
    *,
    counterparty: Counterparty,
    check: VerificationCheck,
    previous_check: VerificationCheck | None,
    before: Snapshot,
    after: Snapshot,
) -> list[Alert]:
    """The alerts (unsaved) that a freshly stored check raises; rules in monitoring/changes.py.

    A definitive check is compared with what we knew. An unverified one raises nothing, except, once per
    outage streak, "unverifiable" when the registry has not answered for MONITORING_UNVERIFIABLE_ALERT_AFTER.
    """
    if check.is_definitive:
        changes = [(c.kind, c.severity, c.before, c.after) for c in changes_between(before, after)]
    else:
        changes = _unverifiable_streak(counterparty=counterparty, check=check, previous_check=previous_check)
    return [
        Alert(
            workspace_id=counterparty.workspace_id,
            counterparty=counterparty,
            kind=kind,
            severity=severity,
            before=before_text,
            after=after_text,
            previous_check=previous_check,
            check_run=check,
        )
        for kind, severity, before_text, after_text in changes
    ]


def _unverifiable_streak(
    *, counterparty: Counterparty, check: VerificationCheck, previous_check: VerificationCheck | None
) -> list[tuple[str, str, str, str]]:
    """("unverifiable", ...) when the registry has not answered for too long and we have not said so yet.

    The streak starts at the first non-definitive check after the last definitive one (any trigger: a
    person's successful check ends an outage too). One alert per streak: a second one is only possible
    after a definitive answer has ended the streak.
    """
    streak = counterparty.checks.exclude(overall_status__in=CheckStatus.definitive())
    if previous_check is not None:
        streak = streak.filter(started_at__gt=previous_check.started_at)
    first = streak.order_by("started_at", "id").first()
    now = check.finished_at or timezone.now()
    if first is None or now - first.started_at < settings.MONITORING_UNVERIFIABLE_ALERT_AFTER:
        return []
    already_said = Alert.objects.filter(
        counterparty=counterparty, kind=AlertKind.UNVERIFIABLE, check_run__started_at__gte=first.started_at
    ).exists()
    if already_said:
        return []
    since = f"registry unreachable since {first.started_at:%Y-%m-%d %H:%M} UTC"
    return [(AlertKind.UNVERIFIABLE, Severity.WARNING, previous_check.overall_status if previous_check else "", since)]


def _record(
    *, item: Recheck, check: VerificationCheck, alert_count: int, changed: bool, retry_in: float | None
) -> None:
    """The Recheck row, and nothing else: the run's totals are counted from these rows when it ends.

    No re-check writes the MonitoringRun row (it would be one hot row for a whole night of re-checks).
    Whether this was the run's last pending re-check is asked after the commit, when every concurrent
    re-check that finished before us is visible, and only when the count in Redis says it may be the last
    (see run_complete_if_last).
    """
    # SQL built once per process (crm/lean_sql.py): this runs once per re-check, a hundred thousand a night.
    added = {"attempts": 1, "alerts": alert_count}
    if retry_in is not None:
        # The next attempt: due after the backoff, published by the task right after this commits.
        now = timezone.now()
        values = {"last_check_id": check.pk, "picked_at": None, "dispatched_at": now}
        values["next_attempt_at"] = now + timedelta(seconds=retry_in)
        update_where(Recheck, where={"pk": item.pk}, values=values, add=added)
        return
    outcome = RecheckOutcome.CHECKED if check.is_definitive else RecheckOutcome.UNVERIFIED
    values = {"last_check_id": check.pk, "outcome": outcome, "changed": changed, "finished_at": timezone.now()}
    finished = update_where(Recheck, where={"pk": item.pk, "finished_at": None}, values=values, add=added)
    if finished:
        _finished_after_commit(item.run)


@transaction.atomic
def _skip(item: Recheck) -> RecheckResult:
    finished = Recheck.objects.filter(pk=item.pk, finished_at=None).update(
        outcome=RecheckOutcome.SKIPPED, finished_at=timezone.now()
    )
    if finished:
        _finished_after_commit(item.run)
    return RecheckResult(Result.SKIPPED)


def _finished_after_commit(run: MonitoringRun) -> None:
    transaction.on_commit(lambda: run_complete_if_last(run=run))


def _complete_after_commit(run_id: int) -> None:
    transaction.on_commit(lambda: run_complete_if_done(run_id))


def _ours_if_format_refused(verdict: Verdict) -> Verdict:
    """A stored number refused by today's format rules is our problem, not a lost registration.

    It was accepted when it was added, so the rules changed (a python-stdnum upgrade) and the registry was
    not asked: calling that "invalid" would raise a false "validity lost" alert. It is an error on our side.
    """
    if verdict.vat is not None or verdict.overall_status != Status.INVALID:
        return verdict
    verdict.overall_status, verdict.confidence_score = Status.ERROR, 0
    for result in verdict.results:
        result.status = Status.ERROR
        result.message = f"Our format rules now refuse this stored number; the registry was not asked. {result.message}"
    return verdict


def retry_countdown(attempt: int) -> float:
    """Seconds before retry number `attempt` (1, 2, ...) of an unverified re-check.

    Doubles from MONITORING_RETRY_BASE_DELAY up to MONITORING_RETRY_MAX_DELAY, with "equal jitter" (half
    fixed, half random) so that the thousands of re-checks one outage made unverified do not all come
    back in the same second.
    """
    delay = doubling_delay(
        attempt, base=settings.MONITORING_RETRY_BASE_DELAY, cap=settings.MONITORING_RETRY_MAX_DELAY
    ).total_seconds()
    return delay / 2 + random.uniform(0, delay / 2)
