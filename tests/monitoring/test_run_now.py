"""An owner's "run now": one workspace's monitored counterparties re-checked at once, rate limited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from monitoring.models import MonitoringRun, Recheck, RunTrigger
from monitoring.schedule import DAILY_RUN_TASK, schedule_in_words
from monitoring.services import RunNowTooSoon, workspace_run_start
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


def test_a_run_now_claims_only_the_workspaces_monitored_counterparties(
    owner, outsider, django_capture_on_commit_callbacks
):
    ours = CounterpartyFactory.create_batch(2, workspace=owner.workspace, monitoring="daily")
    CounterpartyFactory(workspace=owner.workspace)  # not monitored
    theirs = CounterpartyFactory(workspace=outsider.workspace, monitoring="daily")
    theirs.schedule_next_check()
    theirs.next_check_due_at = theirs.next_check_due_at.replace(year=2000)  # long due: a global run would take it
    theirs.save()

    with django_capture_on_commit_callbacks() as callbacks:
        response = owner.client.post(reverse("monitoring:run_now"))
    assert response.status_code == 302
    run = MonitoringRun.objects.get()
    assert (run.trigger, run.workspace, run.due) == (RunTrigger.OWNER, owner.workspace, 2)
    assert len(callbacks) == 1  # the fan-out, sent on commit

    from monitoring.services import run_fan_out

    run_fan_out(run=run, dispatch=lambda run, ids: None)
    assert set(Recheck.objects.values_list("counterparty_id", flat=True)) == {cp.pk for cp in ours}


def test_a_second_run_within_the_interval_is_refused_with_the_time(owner):
    CounterpartyFactory(workspace=owner.workspace, monitoring="daily")
    workspace_run_start(workspace=owner.workspace)
    with pytest.raises(RunNowTooSoon):
        workspace_run_start(workspace=owner.workspace)
    page = owner.client.post(reverse("monitoring:run_now"), follow=True).content.decode()
    assert "the next one can start at" in page and MonitoringRun.objects.count() == 1


def test_only_an_owner_may_run_now(owner, teammate):
    assert teammate.client.post(reverse("monitoring:run_now")).status_code == 403
    assert "Run now" not in teammate.client.get(reverse("monitoring:overview")).content.decode()
    assert "Run now" in owner.client.get(reverse("monitoring:overview")).content.decode()
    assert not MonitoringRun.objects.exists()


def test_the_schedule_is_said_in_words_on_the_overview(owner):
    assert "Every day at 02:00 UTC" in owner.client.get(reverse("monitoring:overview")).content.decode()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (("0", "2", "*", "*", "*"), "every day at 02:00 UTC"),
        (("30", "6", "*", "*", "1-5"), "every weekday (Monday to Friday) at 06:30 UTC"),
        (("0", "2", "*", "*", "mon,thu"), "every Monday and Thursday at 02:00 UTC"),
        (("0", "2", "1", "*", "*"), "on day 1 of every month at 02:00 UTC"),
        (("*/15", "*", "*", "*", "*"), "on the crontab “*/15 * * * *” (UTC)"),
    ],
)
def test_schedules_in_words(fields, words):
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    crontab = CrontabSchedule(
        minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
    )
    assert schedule_in_words(PeriodicTask(name=DAILY_RUN_TASK, crontab=crontab, enabled=True)) == words
    assert schedule_in_words(PeriodicTask(name=DAILY_RUN_TASK, crontab=crontab, enabled=False)) == "paused"
