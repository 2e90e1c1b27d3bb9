"""The daily digest: one email per (member, workspace) with every alert the member chose to get that way.

Each digest row is an ordinary delivery, claimed the same way; the rows of one email share its outcome.
Two digest senders can split a member's rows between two emails, never put one alert in both.

A run is recorded (`DigestRun`) and works within a time budget. One that stops before it is through
(budget spent, Celery's time limit, a killed worker) stays unfinished, and the beat sweep resumes it:
the digest rows that were due when the run started go out within minutes, not with the next day's run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..content import digest_email
from ..mail import Mailer
from ..models import Delivery, DigestRun
from .batch import Batch
from .budget import DIGEST_BUDGET, DIGEST_TIME_LIMIT, Deadline
from .outcomes import SendSummary
from .sending import claim

logger = logging.getLogger(__name__)

# Alerts per digest email; a bigger backlog goes out in several emails.
DIGEST_MAX_ALERTS = 200
# Finished runs are kept this long, as evidence in the database; older ones are deleted by the next run.
DIGEST_RUN_RETENTION = timedelta(days=30)


def digests_send(
    *,
    now: datetime | None = None,
    retries_only: bool = False,
    budget: timedelta | None = DIGEST_BUDGET,
    deadline: Deadline | None = None,
) -> SendSummary:
    """Send the digests due at `now`, until the deadline (else `budget` from now). `retries_only`: only
    digests whose earlier attempt failed (the sweep retries those; fresh digest rows wait for the daily
    run, or for the sweep to resume a run that stopped)."""
    now = now or timezone.now()
    deadline = deadline or Deadline.after(budget)
    if retries_only:
        summary, _ = _send_groups(_due(now).filter(attempts__gt=0), now=now, deadline=deadline)
        return summary
    DigestRun.objects.filter(finished=True, started_at__lt=now - DIGEST_RUN_RETENTION).delete()
    run = DigestRun.objects.create(started_at=now)
    return _run(run, now=now, deadline=deadline)


def digests_resume(*, now: datetime | None = None, deadline: Deadline | None = None) -> SendSummary:
    """Go on with the latest digest run that stopped before it was through (the sweep calls this).

    A run is resumed once it has stopped, or once its hard time limit is over (its worker was killed
    without recording that it stopped): never while it may still be running, which would split members'
    digests between two emails for nothing. Resuming the latest covers the older ones: it sends every
    digest row due when it started.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=DIGEST_TIME_LIMIT)
    run = (
        DigestRun.objects.filter(finished=False)
        .filter(Q(stopped_at__isnull=False) | Q(started_at__lt=cutoff))
        .order_by("-started_at")
        .first()
    )
    if run is None:
        return SendSummary()
    logger.info("Resuming %s", run)
    return _run(run, now=now, deadline=deadline or Deadline())


def _run(run: DigestRun, *, now: datetime, deadline: Deadline) -> SendSummary:
    finished = False
    try:
        summary, finished = _send_groups(_due(run.started_at), now=now, deadline=deadline)
    finally:
        # Also when interrupted (SoftTimeLimitExceeded): the sweep may resume a stopped run at once.
        DigestRun.objects.filter(pk=run.pk).update(stopped_at=timezone.now())
        if finished:
            DigestRun.objects.filter(finished=False, started_at__lte=run.started_at).update(finished=True)
    if not finished:
        logger.warning("%s stopped before it was through (%s); the sweep will resume it", run, summary)
    return summary


def _due(at: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.due(at).filter(digest=True)


def _send_groups(due: QuerySet[Delivery], *, now: datetime, deadline: Deadline) -> tuple[SendSummary, bool]:
    """Every (member, workspace) with due rows gets its email. Returns the summary and whether all did."""
    summary = SendSummary()
    groups = list(due.order_by("recipient_id", "workspace_id").values_list("recipient_id", "workspace_id").distinct())
    for recipient_id, workspace_id in groups:
        mine = due.filter(recipient_id=recipient_id, workspace_id=workspace_id)
        while True:
            if deadline.passed():
                return summary, not due.exists()  # the last digest may have been the last one
            claimed = claim(mine, limit=DIGEST_MAX_ALERTS, now=timezone.now())
            if not claimed:
                break
            summary += _send_digest(claimed, now=now)
    return summary, True


def _send_digest(claimed: list[Delivery], *, now: datetime) -> SendSummary:
    with Batch(claimed, now=now) as batch:
        batch.refuse_unwanted()  # a member who left, or was deactivated, since the alerts came
        rows = batch.pending(claimed)
        if rows:
            batch.send(rows, _send_one_digest)
    return batch.summary


def _send_one_digest(rows: list[Delivery]) -> str | None:
    latest = rows[-1]  # the newest row has the address the member has now
    message = digest_email(
        recipient=latest.recipient,
        address=latest.address,
        workspace=latest.workspace,
        alerts=[delivery.alert for delivery in rows],
        key=f"digest-{latest.claim_token}",
    )
    with Mailer() as mailer:
        return mailer.send(message)
