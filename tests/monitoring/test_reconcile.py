"""The reconciler (issue #8, points 1 and 2): no claimed re-check is lost when a message is.

Each test puts a run in the state a fault leaves behind (a broker that was down at the claim, a worker
killed mid-task, a retry lost with its worker, a queue emptied by a Redis restart, a fan-out cut short, a
run that cannot finish in its window), then lets the clock pass and runs one reconciler tick. The real
processes and faults are in tests/faults/.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from crm.models import Alert, AlertKind, CheckStatus, Counterparty, VerificationCheck
from monitoring.models import MonitoringRun, Recheck, RecheckOutcome, RunTrigger
from monitoring.services import counterparty_recheck, run_fan_out, run_key_prefix, run_owners_tell, run_start
from monitoring.services import runs_reconcile as reconcile
from monitoring.tasks import DATABASE_RETRIES, monitoring_fan_out, monitoring_recheck
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

from .conftest import add_monitored

# Committed for real: the fan-out's messages leave when each chunk's transaction commits.
pytestmark = [pytest.mark.usefixtures("requester"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sent(monkeypatch) -> list[tuple[int, int, int]]:
    """Re-check messages published (run, counterparty, attempt), kept instead of run: no worker is up."""
    messages: list[tuple[int, int, int]] = []

    def publish(args, countdown=None, **options):
        run_id, counterparty_id, *attempt = args
        messages.append((run_id, counterparty_id, attempt[0] if attempt else 0))

    monkeypatch.setattr(monitoring_recheck, "apply_async", publish)
    return messages


@pytest.fixture
def queue(monkeypatch):
    """What the broker says its queue holds; a test sets `.length`."""

    class Queue:
        length = 0

    monkeypatch.setattr("monitoring.services.reconcile.queue_length", lambda: Queue.length)
    return Queue


def claim(sim, workspace, count: int, **options) -> MonitoringRun:
    for n in range(count):
        add_monitored(sim, workspace, n)
    run = run_fan_out(run=run_start(**options))
    run.refresh_from_db()
    return run


def deliver(messages) -> None:
    """A worker takes the messages, in order, as many times as they were sent."""
    for run_id, counterparty_id, attempt in list(messages):
        counterparty_recheck(run_id=run_id, counterparty_id=counterparty_id, attempt=attempt, final=True)


def after(seconds: float) -> timezone.datetime:
    return timezone.now() + timedelta(seconds=seconds)


def test_a_claim_whose_messages_never_left_is_sent_again_after_the_grace(sim, owner, settings, queue):
    for n in range(3):
        add_monitored(sim, owner.workspace, n)
    # The broker is down at the claim: the chunk's messages cannot leave.
    run = run_fan_out(run=run_start(), dispatch=lambda run, ids: None)
    assert Recheck.objects.filter(run=run, dispatched_at=None).count() == 3
    grace = settings.MONITORING_RECHECK_GRACE.total_seconds()

    resent: list[tuple[int, int, int]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(monitoring_recheck, "apply_async", lambda args, **kw: resent.append((*args, 0)[:3]))
        assert reconcile(now=after(grace - 5)).redispatched == 0  # the normal path may still be on its way
        assert reconcile(now=after(grace + 5)).redispatched == 3
        assert reconcile(now=after(grace + 10)).redispatched == 0  # just sent: not again before the grace
    assert sorted(resent) == sorted((run.pk, cp, 0) for cp in Counterparty.objects.values_list("pk", flat=True))

    deliver(resent + resent)  # the original message turned up after all: a duplicate of each is harmless
    run.refresh_from_db()
    assert run.is_finished and not run.is_incomplete
    assert (run.enqueued, run.checked, run.redispatched) == (3, 3, 3)
    assert VerificationCheck.objects.filter(idempotency_key__startswith=run_key_prefix(run.pk)).count() == 3


def test_a_recheck_held_by_a_killed_worker_is_sent_again_after_its_lease(sim, owner, settings, sent, queue):
    run = claim(sim, owner.workspace, 2)
    held, _still_queued = Recheck.objects.filter(run=run).order_by("id")
    # The worker marked it picked and was killed before storing anything (SIGKILL, OOM).
    Recheck.objects.filter(pk=held.pk).update(picked_at=timezone.now())
    queue.length = 1  # the other one is still in the queue
    lease = settings.MONITORING_RECHECK_LEASE.total_seconds()
    sent.clear()

    assert reconcile(now=after(lease - 5)).redispatched == 0
    assert reconcile(now=after(lease + 5)).redispatched == 1
    assert sent == [(run.pk, held.counterparty_id, 0)]
    held.refresh_from_db()
    assert held.picked_at is None and held.finished_at is None


def test_a_retry_lost_with_its_worker_is_sent_again_once_it_is_overdue(sim, owner, settings, sent, queue):
    run = claim(sim, owner.workspace, 1)
    (recheck,) = Recheck.objects.filter(run=run)
    sim.set_fault(recheck.counterparty.vat_number, "MS_UNAVAILABLE", times=1)
    result = counterparty_recheck(run_id=run.pk, counterparty_id=recheck.counterparty_id, attempt=0, final=False)
    assert result.retry  # the retry's message lives in the worker's memory until its time: it dies with it
    recheck.refresh_from_db()
    overdue = (
        recheck.next_attempt_at - timezone.now()
    ).total_seconds() + settings.MONITORING_RECHECK_GRACE.total_seconds()
    sent.clear()

    assert reconcile(now=after(overdue - 5)).redispatched == 0
    assert reconcile(now=after(overdue + 5)).redispatched == 1
    assert sent == [(run.pk, recheck.counterparty_id, 1)]  # the attempt that was lost, not a new series
    deliver(sent)
    run.refresh_from_db()
    assert run.is_finished and (run.checked, run.retried, run.unverified) == (1, 1, 0)


def test_messages_the_broker_lost_are_sent_again_but_not_while_the_queue_can_hold_them(
    sim, owner, settings, sent, queue
):
    settings.MONITORING_RECONCILE_QUEUE_SLACK = 1
    run = claim(sim, owner.workspace, 5)
    sent.clear()
    later = after(settings.MONITORING_RECHECK_GRACE.total_seconds() + 5)

    queue.length = 5  # the workers are only behind
    assert reconcile(now=later).redispatched == 0
    queue.length = 4  # one held by a worker that has not started it yet: within the slack
    assert reconcile(now=later).redispatched == 0
    queue.length = 0  # Redis restarted without persistence: the queue is gone
    assert reconcile(now=later).redispatched == 5
    assert sorted(sent) == sorted((run.pk, r.counterparty_id, 0) for r in Recheck.objects.filter(run=run))


def test_a_live_sync_run_is_left_to_its_process_and_a_dead_ones_rechecks_go_to_the_workers(
    sim, owner, settings, sent, queue
):
    run = claim(sim, owner.workspace, 2)
    MonitoringRun.objects.filter(pk=run.pk).update(trigger=RunTrigger.COMMAND_SYNC, fan_out_progress_at=timezone.now())
    assert reconcile(now=after(settings.MONITORING_RECHECK_GRACE.total_seconds() + 5)).redispatched == 0
    assert reconcile(now=after(settings.MONITORING_RECHECK_LEASE.total_seconds() + 5)).redispatched == 2


def test_a_fan_out_cut_short_is_resumed_with_its_run(sim, owner, settings, sent, queue):
    for n in range(5):
        add_monitored(sim, owner.workspace, n)
    chunks = []

    def broker_fails_on_the_second_chunk(run, ids):
        chunks.append(ids)
        if len(chunks) == 2:
            raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        run_fan_out(run=run_start(), dispatch=broker_fails_on_the_second_chunk, chunk_size=2)
    run = MonitoringRun.objects.get()
    assert run.fanned_out_at is None and run.enqueued == 4 and Counterparty.objects.due(run.started_at).count() == 1

    resumed = []
    sent.clear()
    later = after(settings.MONITORING_RECHECK_GRACE.total_seconds() + 5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(monitoring_fan_out, "apply_async", lambda kwargs, **options: resumed.append(kwargs))
        tick = reconcile(now=later)
        assert (tick.fan_outs_resumed, tick.redispatched) == (1, 4)  # and the claimed rows whose messages never left
        assert reconcile(now=later).fan_outs_resumed == 0  # progress moved on: the resumed fan-out gets its grace
    assert resumed == [{"trigger": RunTrigger.SCHEDULE, "run_id": run.pk}]

    monitoring_fan_out.apply(kwargs=resumed[0])
    run.refresh_from_db()
    assert run.fanned_out_at is not None and (run.due, run.enqueued) == (5, 5)
    assert MonitoringRun.objects.count() == 1  # the same run, not a second one
    deliver(sent)
    run.refresh_from_db()
    assert run.is_finished and run.checked == 5
    assert VerificationCheck.objects.filter(idempotency_key__startswith=run_key_prefix(run.pk)).count() == 5


def test_a_database_error_in_the_fan_out_is_retried_with_the_run_it_created(sim, owner, monkeypatch, sent):
    add_monitored(sim, owner.workspace, 1)
    real = run_fan_out
    calls = []

    def flaky(*, run):
        calls.append(run.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(run=run)

    monkeypatch.setattr("monitoring.tasks.run_fan_out", flaky)
    monitoring_fan_out.apply(throw=False)  # eager mode runs the retry at once (not propagated: handled)
    run = MonitoringRun.objects.get()
    assert calls == [run.pk, run.pk] and run.fanned_out_at is not None and run.enqueued == 1


def test_database_errors_in_tasks_are_retried_for_longer_than_a_half_hour_outage():
    # Celery's autoretry: a countdown of min(cap, 2**n) with full jitter; the expected total must outlast 30 min.
    cap, retries = DATABASE_RETRIES["retry_backoff_max"], DATABASE_RETRIES["max_retries"]
    expected_wait = sum(min(cap, 2**n) for n in range(retries)) / 2
    assert expected_wait > 30 * 60
    assert monitoring_recheck.max_retries == retries and monitoring_recheck.retry_backoff_max == cap


def test_a_run_past_its_window_ends_incomplete_and_the_owners_are_told_once(
    sim, owner, teammate, outsider, settings, sent
):
    CompanyFactory(workspace=outsider.workspace)
    for n in range(3):
        add_monitored(sim, owner.workspace, n)
    theirs = add_monitored(sim, outsider.workspace, 50)
    run = run_fan_out(run=run_start())
    done = Recheck.objects.filter(run=run, workspace=owner.workspace).order_by("id").first()
    deliver([(run.pk, done.counterparty_id, 0)])  # one was re-checked; the other messages were lost for good
    not_owner_here = UserFactory()
    MembershipFactory(workspace=owner.workspace, user=not_owner_here, role="member")
    MembershipFactory(workspace=outsider.workspace, user=not_owner_here, role="owner")
    mail.outbox.clear()

    summary = reconcile(now=timezone.now() + settings.MONITORING_RUN_WINDOW + timedelta(seconds=1))

    assert summary.incomplete == 1
    run.refresh_from_db()
    assert run.is_incomplete and run.missed == 3 and "window of 20 hours" in run.incomplete_reason
    assert run.enqueued == run.checked + run.unverified + run.skipped + run.missed
    missed = Recheck.objects.filter(run=run, outcome=RecheckOutcome.MISSED)
    assert missed.count() == 3 and not Recheck.objects.filter(run=run, finished_at=None).exists()
    # Due again at once: the next run re-checks them first.
    assert set(Counterparty.objects.due(timezone.now() + settings.MONITORING_RUN_WINDOW + timedelta(seconds=2))) == {
        recheck.counterparty for recheck in missed
    }
    # One email per owner of each workspace concerned, naming only that workspace's counterparties.
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == sorted([owner.user.email, outsider.user.email, not_owner_here.email])
    ours = by_address[owner.user.email]
    assert "2 counterparties not re-checked" in ours.subject
    assert theirs.vat_number not in ours.body and f"?workspace={owner.workspace.pk}" in ours.body
    assert f"/monitoring/runs/{run.pk}/" in ours.body or f"runs/{run.pk}" in ours.body
    assert teammate.user.email not in by_address
    assert by_address[outsider.user.email].body.count(theirs.vat_number) == 1

    assert reconcile(now=timezone.now() + settings.MONITORING_RUN_WINDOW + timedelta(minutes=5)).incomplete == 0
    assert run_owners_tell(run_id=run.pk) == 0
    assert len(mail.outbox) == 3


def test_the_run_page_lists_what_an_incomplete_run_did_not_re_check(sim, owner, outsider, settings, sent):
    add_monitored(sim, owner.workspace, 1)
    run = run_fan_out(run=run_start())
    reconcile(now=timezone.now() + settings.MONITORING_RUN_WINDOW + timedelta(seconds=1))
    counterparty = Counterparty.objects.get()

    page = owner.client.get(f"/monitoring/runs/{run.pk}/")
    assert page.status_code == 200
    assert b'id="incomplete"' in page.content and counterparty.vat_number.encode() in page.content
    assert outsider.client.get(f"/monitoring/runs/{run.pk}/").status_code == 404


def test_the_admin_shows_an_incomplete_run_and_filters_on_it(sim, owner, admin_client, settings, sent):
    add_monitored(sim, owner.workspace, 1)
    run = run_fan_out(run=run_start())
    reconcile(now=timezone.now() + settings.MONITORING_RUN_WINDOW + timedelta(seconds=1))
    listing = admin_client.get("/admin/monitoring/monitoringrun/?incomplete_reason__isempty=0")
    assert listing.status_code == 200 and b"incomplete: 1 not re-checked" in listing.content
    assert (
        admin_client.get("/admin/monitoring/monitoringrun/?incomplete_reason__isempty=1").content.count(
            b"incomplete: 1"
        )
        == 0
    )
    detail = admin_client.get(f"/admin/monitoring/monitoringrun/{run.pk}/change/")
    assert detail.status_code == 200 and b"window of 20 hours" in detail.content


def test_a_validity_lost_found_by_a_re_sent_message_is_one_alert(sim, owner, settings, sent, queue):
    withdrawn = add_monitored(sim, owner.workspace, 1)
    sim.registry.add(withdrawn.vat_number, valid=False)
    run = run_fan_out(run=run_start())
    original = list(sent)
    queue.length = 0
    reconcile(now=after(settings.MONITORING_RECHECK_GRACE.total_seconds() + 5))
    deliver(sent + original)
    assert Alert.objects.filter(kind=AlertKind.VALIDITY_LOST).count() == 1
    withdrawn.refresh_from_db()
    assert withdrawn.status == CheckStatus.INVALID
    run.refresh_from_db()
    assert (run.checked, run.alerts) == (1, 1)
