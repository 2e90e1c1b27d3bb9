"""When a re-checked counterparty is due again: never past the next scheduled run (issue #8, point 1).

The daily run is the migration's crontab, 02:00 UTC; the tolerance is the default 3 hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from crm.models import Counterparty, MonitoringFrequency
from monitoring.schedule import DAILY_RUN_TASK, next_due_after
from monitoring.services import run_fan_out, run_start
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2030, 3, 12, tzinfo=UTC)  # a Tuesday


def at(hour: int, minute: int = 0, second: int = 0, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hour, minutes=minute, seconds=second)


@pytest.mark.parametrize(
    ("started", "due"),
    [
        # The scheduled run, on time or a little late: due an evening later, for tomorrow's 02:00 run.
        (at(2, 0, 3), at(23)),
        (at(2, 40), at(23)),
        # An operator's run in the afternoon or late evening: still re-checked by tomorrow's 02:00 run.
        (at(14), at(23)),
        # Within the tolerance before the scheduled run: due a few minutes before it, so that it re-checks
        # the counterparty while another run in between does not.
        (at(23, 30), at(1, 55, days=1)),
        (at(0, 13), at(1, 55)),
        # A run a minute before the scheduled one: that run re-checks it again rather than skipping a day.
        (at(1, 59), at(1, 59, 1)),
    ],
)
def test_a_daily_counterparty_is_never_pushed_past_the_next_scheduled_run(started, due):
    assert next_due_after(started, MonitoringFrequency.DAILY) == due
    first_scheduled_after = at(2) if started < at(2) else at(2, days=1)
    assert started < due <= first_scheduled_after


def test_a_weekly_counterparty_is_due_for_the_scheduled_run_a_week_later():
    assert next_due_after(at(2, 0, 3), MonitoringFrequency.WEEKLY) == at(23, days=6)
    # An operator's run on Tuesday evening: next Tuesday's 02:00 run, not Wednesday's.
    assert next_due_after(at(20), MonitoringFrequency.WEEKLY) == at(23, days=6)


def test_without_a_schedule_the_period_minus_the_tolerance_stands():
    PeriodicTask.objects.filter(name=DAILY_RUN_TASK).update(enabled=False)
    assert next_due_after(at(20), MonitoringFrequency.DAILY) == at(17, days=1)
    assert next_due_after(at(20), MonitoringFrequency.OFF) is None


def test_a_manual_run_in_the_evening_leaves_the_counterparty_to_tomorrows_scheduled_run(workspace):
    counterparty = CounterpartyFactory(workspace=workspace, monitoring="daily", next_check_due_at=at(19))
    with time_machine.travel(at(20), tick=False):
        run = run_fan_out(run=run_start(trigger="command"), dispatch=lambda run, ids: None)
    counterparty.refresh_from_db()
    assert counterparty.next_check_due_at == run.daily_due_next == at(23)
    assert list(Counterparty.objects.due(at(2, days=1))) == [counterparty]


def test_a_second_run_before_the_scheduled_one_finds_nobody_due(workspace, django_capture_on_commit_callbacks):
    """An operator's run at 00:13, another at 00:40: the second claims nothing; the 02:00 run claims all."""
    counterparty = CounterpartyFactory(workspace=workspace, monitoring="daily", next_check_due_at=at(0))
    claimed = []

    def keep(run, ids):
        claimed.append(list(ids))

    for started in (at(0, 13), at(0, 40), at(2, 0, 3)):
        with time_machine.travel(started, tick=False), django_capture_on_commit_callbacks(execute=True):
            run_fan_out(run=run_start(trigger="command"), dispatch=keep)
    assert claimed == [[counterparty.pk], [counterparty.pk]]  # 00:13 and 02:00:03, not 00:40
    counterparty.refresh_from_db()
    assert counterparty.next_check_due_at == at(23)
