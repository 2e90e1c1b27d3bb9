"""A run that cannot finish in its window ends incomplete: the re-checks not done are listed, due again,
and the owners of the workspaces concerned are told.

The window (`MONITORING_RUN_WINDOW_HOURS`, 20) ends well before the next daily run. Marking is one
transaction on the locked run row, so it happens once, whatever the number of reconcilers; the
counterparties concerned become due at once, and the next run re-checks them first. The owners' email
is sent after the commit by a task and, should that message be lost, by the reconciler's next tick
(`runs_owners_untold`): at least once, which for this rare email is the right side to err on.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.language import in_language_of
from crm.models import Counterparty, MonitoringFrequency, Workspace

from ..models import MonitoringRun, Recheck, RecheckOutcome

logger = logging.getLogger("monitoring")

# Counterparties named in an owner's email; the run's page lists them all.
EMAIL_LISTS_AT_MOST = 50


@transaction.atomic
def run_mark_incomplete(*, run_id: int, now: datetime | None = None) -> int:
    """End run `run_id` as incomplete if it is still unfinished; returns 1 if this call did it."""
    now = now or timezone.now()
    run = MonitoringRun.objects.select_for_update().filter(pk=run_id, finished_at=None).first()
    if run is None:
        return 0
    pending = Recheck.objects.filter(run=run, finished_at=None)
    counts = pending.aggregate(
        total=Count("id"),
        unpublished=Count("id", filter=Q(dispatched_at=None)),
        started=Count("id", filter=Q(picked_at__isnull=False)),
        retrying=Count("id", filter=Q(attempts__gt=0)),
    )
    # Due now: the next run takes them first (their due time had moved to the next period at the claim).
    Counterparty.objects.filter(pk__in=pending.values("counterparty_id")).exclude(
        monitoring=MonitoringFrequency.OFF
    ).update(next_check_due_at=now)
    pending.update(outcome=RecheckOutcome.MISSED, finished_at=now)
    reason = _reason(run, counts, now)
    # The totals are counted from the rows, the missed ones just marked included.
    MonitoringRun.objects.filter(pk=run.pk).update(finished_at=now, incomplete_reason=reason, **run.totals())
    logger.error("monitoring run %s ended incomplete: %s", run.pk, reason)
    transaction.on_commit(lambda: _tell_owners_later(run.pk), robust=True)
    return 1


def _reason(run: MonitoringRun, counts: dict[str, int], now: datetime) -> str:
    hours = settings.MONITORING_RUN_WINDOW.total_seconds() / 3600
    parts = [f"its window of {hours:g} hours ended at {now:%Y-%m-%d %H:%M} UTC"]
    if run.fanned_out_at is None:
        unclaimed = max(run.due - run.enqueued, 0)
        parts.append(f"the fan-out did not finish ({unclaimed} due counterparties were not claimed; still due)")
    if counts["total"]:
        parts.append(
            f"{counts['total']} re-checks not done: {counts['unpublished']} never reached the broker, "
            f"{counts['started']} started by a worker that did not finish, {counts['retrying']} waiting "
            "for a retry after the registry did not answer; all are due again for the next run"
        )
    return "; ".join(parts)


def _tell_owners_later(run_id: int) -> None:
    from ..tasks import monitoring_tell_owners

    monitoring_tell_owners.delay(run_id)


def runs_owners_untold(*, now: datetime) -> int:
    """Enqueue the owners' email again for incomplete runs whose first task was lost."""
    ids = list(
        MonitoringRun.objects.filter(
            owners_told_at=None,
            finished_at__lt=now - settings.MONITORING_RECHECK_GRACE,
            finished_at__gte=now - settings.MONITORING_RUN_WINDOW,
        )
        .exclude(incomplete_reason="")
        .values_list("pk", flat=True)
    )
    for run_id in ids:
        _tell_owners_later(run_id)
    return len(ids)


@transaction.atomic
def run_owners_tell(*, run_id: int) -> int:
    """Email each workspace's owners which of their counterparties run `run_id` did not re-check.

    Holds the run row's lock while sending (the row is no longer written by anyone): a second task for the
    same run skips it rather than sending twice. Returns the number of emails sent.
    """
    run = (
        MonitoringRun.objects.select_for_update(skip_locked=True)
        .filter(pk=run_id, owners_told_at=None, finished_at__isnull=False)
        .exclude(incomplete_reason="")
        .first()
    )
    if run is None:
        return 0
    missed = Recheck.objects.filter(run=run, outcome=RecheckOutcome.MISSED)
    workspace_ids = missed.order_by().values_list("workspace_id", flat=True).distinct()
    sent = 0
    with get_connection() as connection:
        for workspace in Workspace.objects.filter(pk__in=list(workspace_ids)).order_by("pk"):
            sent += _email_owners(
                run=run, workspace=workspace, missed=missed.filter(workspace=workspace), connection=connection
            )
    MonitoringRun.objects.filter(pk=run.pk).update(owners_told_at=timezone.now())
    return sent


def _email_owners(*, run: MonitoringRun, workspace: Workspace, missed, connection) -> int:
    owners = [user for user in workspace.owners().filter(is_active=True) if user.email]
    if not owners:
        return 0
    link = settings.PUBLIC_BASE_URL + reverse("monitoring:run_detail", args=[run.pk]) + f"?workspace={workspace.pk}"
    context = {
        "run": run,
        "workspace": workspace,
        "count": missed.count(),
        "counterparties": [
            recheck.counterparty
            for recheck in missed.select_related("counterparty").order_by("id")[:EMAIL_LISTS_AT_MOST]
        ],
        "link": link,
    }
    for owner in owners:
        with in_language_of(owner):
            message = EmailMultiAlternatives(
                subject=render_to_string("emails/run_incomplete_subject.txt", context).strip(),
                body=render_to_string("emails/run_incomplete.txt", context),
                to=[owner.email],
                connection=connection,
            )
            message.attach_alternative(render_to_string("emails/run_incomplete.html", context), "text/html")
        message.send()
    return len(owners)
