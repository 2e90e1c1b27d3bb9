"""Background verification of what an import created: paced, counted once, nothing lost, against the simulator."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from crm.models import CheckStatus, CheckTrigger, Counterparty, MonitoringFrequency, VerificationCheck
from crm.services import run_verification
from crm.tasks import verification_retry
from imports.models import ImportChunk, JobStatus, check_key
from imports.report import report_headers, report_rows
from imports.selectors import job_progress
from imports.services import chunk_verify, chunks_dispatch, imports_reconcile, job_commit, job_reconcile
from monitoring.services import run_fan_out, run_start
from tests.factories import CompanyFactory
from verification.vat import normalise_vat

from .conftest import stage
from .factories import csv_bytes

pytestmark = pytest.mark.django_db
VALID = ["ATU72943648", "DE136695976", "FR40303265045"]
UNKNOWN = "BE0999999908"  # well-formed, not in the registry: invalid


@pytest.fixture
def committed(owner, vies_settings, settings):
    """A committed import of four new counterparties, in chunks of two, nothing dispatched yet."""
    settings.IMPORT_VERIFY_CHUNK_SIZE = 2
    CompanyFactory(workspace=owner.workspace)
    for number in VALID[1:]:
        vies_settings.registry.add(number, f"Company {number}", "Somewhere 1")
    job = stage(owner.workspace, csv_bytes([[number] for number in [*VALID, UNKNOWN]], header=["VAT"]))
    return job_commit(job=job, user=owner.user)


def publish_nothing():
    return mock.patch("imports.tasks.import_verify_chunk.delay")


def test_each_chunk_verifies_its_counterparties_once_and_counts_them(committed):
    with publish_nothing():
        for chunk in committed.chunks.all():
            assert chunk_verify(chunk_id=chunk.pk).finished
    committed.refresh_from_db()
    progress = job_progress(committed)
    assert (progress.valid, progress.invalid, progress.left, progress.finished) == (3, 1, 0, True)
    checks = VerificationCheck.objects.filter(trigger=CheckTrigger.IMPORT, triggered_by=committed.committed_by)
    assert checks.count() == 4
    assert all(check.consultation_number for check in checks.filter(overall_status=CheckStatus.VALID))
    assert Counterparty.objects.get(vat_number=UNKNOWN).status == CheckStatus.INVALID


def test_a_chunk_run_again_asks_nothing_and_counts_nothing_twice(committed, vies_settings):
    chunk = committed.chunks.first()
    with publish_nothing():
        chunk_verify(chunk_id=chunk.pk)
        asked = vies_settings.stats.requests
        ImportChunk.objects.filter(pk=chunk.pk).update(finished_at=None, picked_at=None)  # a redelivered message
        chunk_verify(chunk_id=chunk.pk)
    chunk.refresh_from_db()
    assert vies_settings.stats.requests == asked
    assert chunk.position == 2
    assert committed.created.filter(counterparty_id__in=chunk.counterparty_ids).exclude(status="").count() == 2


def test_a_worker_killed_after_storing_a_check_resumes_without_a_second_check(committed, vies_settings):
    chunk = committed.chunks.first()
    first = Counterparty.objects.get(pk=chunk.counterparty_ids[0])
    # The check was stored, then the worker died before the chunk's position moved.
    run_verification(
        workspace=committed.workspace,
        vat=normalise_vat(first.vat_number),
        trigger=CheckTrigger.IMPORT,
        idempotency_key=check_key(committed.pk, first.pk),
    )
    asked = vies_settings.stats.requests
    with publish_nothing():
        chunk_verify(chunk_id=chunk.pk)
    chunk.refresh_from_db()
    assert VerificationCheck.objects.filter(counterparty=first).count() == 1
    assert vies_settings.stats.requests == asked + 1  # only the second counterparty was asked
    assert chunk.position == 2 and job_progress(committed).valid == 2


def test_a_chunk_held_by_a_live_worker_is_left_alone(committed):
    chunk = committed.chunks.first()
    ImportChunk.objects.filter(pk=chunk.pk).update(picked_at=timezone.now())
    assert chunk_verify(chunk_id=chunk.pk).checked == 0


def test_no_more_than_the_bound_of_chunks_is_in_flight_per_workspace(committed, settings):
    settings.IMPORT_VERIFY_IN_FLIGHT_PER_WORKSPACE = 1
    with publish_nothing() as delay, _on_commit():
        assert chunks_dispatch(workspace_id=committed.workspace_id) == 1
        assert chunks_dispatch(workspace_id=committed.workspace_id) == 0
    assert delay.call_count == 1
    assert ImportChunk.objects.exclude(dispatched_at=None).count() == 1


def test_a_finished_chunk_dispatches_the_next(committed, settings):
    settings.IMPORT_VERIFY_IN_FLIGHT_PER_WORKSPACE = 1
    with publish_nothing() as delay:
        with _on_commit():
            chunks_dispatch(workspace_id=committed.workspace_id)
        (first_id,) = delay.call_args.args
        with _on_commit():
            chunk_verify(chunk_id=first_id)
    assert [call.args[0] for call in delay.call_args_list] == [first_id, committed.chunks.last().pk]


def test_the_time_budget_hands_the_chunk_over_after_one_check(committed, settings):
    settings.IMPORT_VERIFY_TASK_BUDGET_SECONDS = 0
    chunk = committed.chunks.first()
    with publish_nothing() as delay:
        outcome = chunk_verify(chunk_id=chunk.pk)
    chunk.refresh_from_db()
    assert outcome.handed_over and chunk.position == 1 and chunk.picked_at is None
    delay.assert_called_once_with(chunk.pk)


def test_the_reconciler_sends_again_what_was_lost_and_only_that(committed, settings):
    now = timezone.now()
    lost_message, dead_worker = committed.chunks.order_by("number")
    ImportChunk.objects.filter(pk=lost_message.pk).update(dispatched_at=now - timedelta(minutes=10))
    ImportChunk.objects.filter(pk=dead_worker.pk).update(
        dispatched_at=now - timedelta(hours=1), picked_at=now - timedelta(minutes=30)
    )
    with publish_nothing() as delay, _on_commit():
        assert imports_reconcile(now=now) == 2
        assert job_reconcile(job=committed, now=now) == 0  # just sent again: not lost yet
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted([lost_message.pk, dead_worker.pk])


def test_a_waiting_message_and_a_live_worker_are_not_lost(committed):
    now = timezone.now()
    waiting, working = committed.chunks.order_by("number")
    ImportChunk.objects.filter(pk=waiting.pk).update(dispatched_at=now - timedelta(seconds=30))
    ImportChunk.objects.filter(pk=working.pk).update(
        dispatched_at=now - timedelta(hours=1), picked_at=now - timedelta(seconds=30)
    )
    with publish_nothing() as delay:
        assert job_reconcile(job=committed, now=now) == 0
    delay.assert_not_called()


def test_old_previews_are_deleted_and_committed_imports_kept(owner, settings):
    old = stage(owner.workspace, csv_bytes([["DE136695976"]], header=["VAT"]))
    later = timezone.now() + timedelta(days=settings.IMPORT_STAGED_RETENTION_DAYS, hours=1)
    imports_reconcile(now=later)
    assert not type(old).objects.filter(pk=old.pk).exists()


def test_progress_estimates_the_finish_from_the_pace(committed):
    chunk = committed.chunks.first()
    ImportChunk.objects.filter(pk=chunk.pk).update(position=2)
    type(committed).objects.filter(pk=committed.pk).update(committed_at=timezone.now() - timedelta(seconds=20))
    committed.refresh_from_db()
    now = timezone.now()
    progress = job_progress(committed, now=now)
    assert (progress.done, progress.left) == (2, 2)
    assert abs((progress.estimated_finish - now).total_seconds() - 20) < 1
    assert progress.as_json()["status"] == JobStatus.VERIFYING


def _on_commit():
    """Run on_commit callbacks at once (the test's transaction never commits)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_import_checks_wait_for_registry_slots_at_background_priority(committed):
    from verification.ratelimit import Priority, registry_priority

    with (
        publish_nothing(),
        mock.patch("imports.services.verify.registry_priority", wraps=registry_priority) as priority,
    ):
        chunk_verify(chunk_id=committed.chunks.first().pk)
    assert priority.call_args_list == [mock.call(Priority.BACKGROUND)] * 2


def test_import_finished_is_sent_once_when_the_last_chunk_is_done(committed):
    from imports.signals import import_finished

    received = []
    import_finished.connect(lambda sender, job_id, **kwargs: received.append(job_id), weak=False, dispatch_uid="t")
    try:
        with publish_nothing():
            for chunk in committed.chunks.all():
                chunk_verify(chunk_id=chunk.pk)
            job_reconcile(job=committed)  # the job is done: nothing more to announce
    finally:
        import_finished.disconnect(dispatch_uid="t")
    assert received == [committed.pk]


# --- the latest outcome: an outage first, then an answer -----------------------------------------------
OUTAGE = VALID[1]


def figures(job) -> tuple[int, ...]:
    job.refresh_from_db()
    progress = job_progress(job)
    return progress.valid, progress.invalid, progress.unverified, progress.left, progress.retrying


def reported(job, number: str) -> dict[str, str]:
    """The report's line of `number`, by column name."""
    headers = report_headers()
    (line,) = [dict(zip(headers, row, strict=True)) for row in report_rows(job) if row[2] == number]
    return line


def verify_all(job) -> None:
    with publish_nothing():
        for chunk in job.chunks.all():
            chunk_verify(chunk_id=chunk.pk)


@pytest.fixture
def after_an_outage(committed, vies_settings):
    """The import verified while the registry did not answer for one of its numbers."""
    vies_settings.set_fault(OUTAGE, "MS_UNAVAILABLE")
    verify_all(committed)
    assert figures(committed) == (2, 1, 1, 0, 1)
    assert reported(committed, OUTAGE)["Verification"] == "Unverified"
    vies_settings.set_fault(OUTAGE, None)
    return Counterparty.objects.get(vat_number=OUTAGE)


def test_the_retry_that_answers_turns_the_unverified_row_valid_once(committed, after_an_outage, owner):
    counterparty = after_an_outage
    with time_machine.travel(counterparty.retry_at, tick=True):
        verification_retry.delay(counterparty.pk)
        verification_retry.delay(counterparty.pk)  # the same message delivered twice
    assert figures(committed) == (3, 1, 0, 0, 0)
    answer = owner.client.get(reverse("imports:progress", args=[committed.pk])).json()
    assert (answer["valid"], answer["unverified"], answer["left"], answer["retrying"]) == (3, 0, 0, 0)

    # A redelivered chunk message that runs the chunk again from the start counts nothing twice.
    ImportChunk.objects.filter(job=committed).update(position=0, finished_at=None, picked_at=None)
    verify_all(committed)
    assert figures(committed) == (3, 1, 0, 0, 0)

    line = reported(committed, OUTAGE)
    retry = counterparty.checks.get(trigger=CheckTrigger.RETRY)
    assert (line["Verification"], line["Consultation number"]) == ("Valid", retry.consultation_number)
    assert retry.consultation_number
    assert line["Checked at (UTC)"] == f"{retry.finished_at:%Y-%m-%d %H:%M}"


def test_the_next_monitoring_re_check_that_answers_counts_too(
    committed, after_an_outage, django_capture_on_commit_callbacks
):
    counterparty = after_an_outage
    Counterparty.objects.filter(pk=counterparty.pk).update(
        monitoring=MonitoringFrequency.DAILY, next_check_due_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_fan_out(run=run_start())
    assert counterparty.checks.filter(trigger=CheckTrigger.MONITORING, overall_status=CheckStatus.VALID).exists()
    assert figures(committed) == (3, 1, 0, 0, 0)
    assert reported(committed, OUTAGE)["Verification"] == "Valid"


def test_an_outage_after_a_valid_answer_does_not_turn_the_row_unverified(committed, vies_settings, owner):
    verify_all(committed)
    assert figures(committed) == (3, 1, 0, 0, 0)
    vies_settings.set_fault(OUTAGE, "MS_UNAVAILABLE")
    owner.client.post(reverse("crm:verify"), {"vat_number": OUTAGE})
    assert Counterparty.objects.get(vat_number=OUTAGE).last_check.overall_status == CheckStatus.UNVERIFIED
    assert figures(committed) == (3, 1, 0, 0, 0)
    line = reported(committed, OUTAGE)
    assert line["Verification"] == "Valid" and line["Consultation number"]


def test_a_counterparty_deleted_before_its_turn_is_passed_not_counted(committed):
    chunk = committed.chunks.order_by("number").first()
    Counterparty.objects.filter(pk=chunk.counterparty_ids[0]).delete()
    verify_all(committed)
    committed.refresh_from_db()
    progress = job_progress(committed)
    assert (progress.done, progress.left, progress.finished) == (4, 0, True)
    assert progress.valid + progress.invalid + progress.unverified + progress.error == 3


def test_the_report_says_why_a_check_has_no_consultation_number(owner, vies_settings, settings):
    """No requester company yet: the checks carry no proof, and the report says why, as the counterparty page does."""
    vies_settings.registry.add(VALID[1], "Company", "Somewhere 1")
    job = job_commit(job=stage(owner.workspace, csv_bytes([[VALID[1]]], header=["VAT"])), user=owner.user)
    verify_all(job)
    line = reported(job, VALID[1])
    assert (line["Verification"], line["Consultation number"]) == ("Valid", "")
    assert "the workspace has no requester company" in line["Why no consultation number"]


def test_a_check_with_its_consultation_number_needs_no_reason(committed):
    verify_all(committed)
    line = reported(committed, VALID[1])
    assert line["Consultation number"] and line["Why no consultation number"] == ""


@pytest.mark.django_db(transaction=True)
def test_the_last_two_chunks_finishing_at_once_finish_the_import(require_postgres, workspace):
    """Both last chunks mark themselves finished, then look for an unfinished chunk, at the same moment.

    The first looks (under the job's lock) and, before it commits, the test starts the second and gives it
    time to look too. With the lock the second waits for the first's commit and then finds both finished;
    without it, each would see the other unfinished, nobody would finish the import, and this test fails.
    """
    import threading

    from imports.services import verify

    from .factories import ImportJobFactory

    now = timezone.now()
    job = ImportJobFactory(workspace=workspace, status=JobStatus.VERIFYING, committed_at=now, to_verify=2)
    first, second = (
        ImportChunk.objects.create(
            job=job, workspace=workspace, number=n, counterparty_ids=[n], position=1, dispatched_at=now
        )
        for n in (1, 2)
    )
    looked = threading.Event()
    look = verify._complete_if_done

    def looking(job_id, at):
        done = look(job_id, at)
        if not looked.is_set():
            looked.set()  # the first has looked and not committed yet: the rival finishes now
            rival.start()
            rival.join(timeout=1.5)
        return done

    def finish_second() -> None:
        try:
            chunk_verify(chunk_id=second.pk)
        finally:
            from django.db import connection

            connection.close()

    rival = threading.Thread(target=finish_second)
    with mock.patch.object(verify, "_complete_if_done", looking):
        assert chunk_verify(chunk_id=first.pk).finished
        rival.join(timeout=10)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.finished_at is not None
