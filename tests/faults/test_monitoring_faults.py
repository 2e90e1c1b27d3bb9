"""Issue #8, point 4: a monitoring run survives its infrastructure failing, and loses or doubles nothing.

Each test deploys the application on servers of its own (tests/faults/), starts a run of 400 counterparties
(10 withdrawn and 10 renamed by the registry, so 20 alerts and 40 emails are due), breaks something in the
middle of it, repairs it, and then checks the run's ledger: every claimed counterparty re-checked exactly
once, every expected alert raised once, every alert's email sent once to each member. The one-line figure
each prints is what docs/reliability.md tabulates.
"""

from __future__ import annotations

import time

import pytest

from .harness import Child, wait_until
from .ledger import Ledger, emails_settled, ledger_of
from .stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.services, pytest.mark.timeout(420)]


def settle(stack: Stack, run_id: int, *, fault: str, cleared_at: float, capsys: pytest.CaptureFixture) -> Ledger:
    """Wait for the run and its emails, then count; prints the scenario's figure and asserts none is lost."""
    finished_at = stack.wait_finished(run_id)
    wait_until("every alert's email to be sent", lambda: emails_settled(stack), timeout=240, every=1)
    emailed_at = time.time()
    time.sleep(3)  # a late duplicate would show up now
    ledger = ledger_of(stack, run_id)
    with capsys.disabled():
        print(
            f"\nfault injection: N={stack.count} {fault}: lost={ledger.lost_total} doubled={ledger.doubled_total} "
            f"alerts={ledger.alerts} emails={ledger.emails} re-sent={ledger.redispatched}; run finished "
            f"{finished_at - cleared_at:.1f} s and emails {emailed_at - cleared_at:.1f} s after the fault cleared"
        )
    assert ledger.incomplete_reason == ""
    assert ledger.problems() == {}
    assert ledger.claimed == stack.count
    expected_alerts = sum(1 for member in stack.members if member.expected_alert)
    assert (ledger.alerts, ledger.emails) == (expected_alerts, 2 * expected_alerts)
    return ledger


def mid_wave(stack: Stack) -> tuple[int, Child]:
    """Deploy, start the run and wait until a quarter of it is re-checked; returns the run id and the worker."""
    stack.up()
    worker = stack.start_worker()
    run_id = stack.start_run()
    stack.wait_for_checks(run_id, stack.count // 4)
    return run_id, worker


def test_a_worker_killed_mid_wave_is_replaced_and_its_rechecks_resume(stack, capsys):
    run_id, worker = mid_wave(stack)

    # SIGKILL to the worker and its pool: the tasks it was running and the messages it had reserved stay
    # unacknowledged in Redis, which would redeliver them only after the hour of CELERY_VISIBILITY_TIMEOUT.
    worker.kill()
    stack.start_worker()
    settle(stack, run_id, fault="worker SIGKILL mid-wave, new worker", cleared_at=time.time(), capsys=capsys)


def test_redis_killed_mid_wave_and_restarted_empty_loses_nothing(stack, capsys):
    run_id, _ = mid_wave(stack)

    # No persistence: every queued re-check message, every retry's and every alert's message is gone.
    stack.redis.kill()
    time.sleep(3)
    stack.redis.start()
    settle(stack, run_id, fault="Redis SIGKILL mid-wave, restarted empty", cleared_at=time.time(), capsys=capsys)


def test_postgres_stopped_mid_wave_for_longer_than_any_retry_window_loses_nothing(stack, capsys):
    run_id, _ = mid_wave(stack)

    # Tasks give up on the database after ~3 s (TIMINGS); the outage lasts 15: their messages are spent.
    stack.cluster.stop("fast")
    time.sleep(15)
    stack.cluster.start()
    settle(stack, run_id, fault="PostgreSQL stopped 15 s mid-wave", cleared_at=time.time(), capsys=capsys)


def test_postgres_stopped_during_the_fan_out_loses_nothing(stack, capsys):
    stack.up(MONITORING_CHUNK_SIZE="2")  # 200 chunks, each its own transaction: the fan-out takes a while
    stack.start_worker()
    run_id = stack.start_run()
    wait_until(
        "the fan-out to have claimed some counterparties",
        lambda: stack.scalar(
            "SELECT count(*) >= 20 FROM monitoring_recheck r JOIN monitoring_monitoringrun m ON m.id = r.run_id"
            " WHERE m.id = %s AND m.fanned_out_at IS NULL",
            run_id,
        ),
        timeout=60,
        every=0,
    )

    stack.cluster.stop("immediate")  # a crash: no clean shutdown, recovery on start
    time.sleep(10)
    stack.cluster.start()
    cleared_at = time.time()
    fault = "PostgreSQL crashed during the fan-out, down 10 s"
    settle(stack, run_id, fault=fault, cleared_at=cleared_at, capsys=capsys)
    # The fault did land in the fan-out: it finished only after the database was back.
    fanned_out_at = stack.scalar(
        "SELECT extract(epoch FROM fanned_out_at) FROM monitoring_monitoringrun WHERE id = %s", run_id
    )
    assert fanned_out_at > cleared_at
