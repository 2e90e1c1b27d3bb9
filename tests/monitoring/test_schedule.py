"""The daily run is a django-celery-beat row made by a data migration, and the admin's edits reach beat."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from monitoring.schedule import DAILY_RUN_TASK, next_run_at
from monitoring.tasks import FAN_OUT_TASK
from tests.factories import UserFactory
from vatcrm.celery import app as celery_app

schedule_migration = import_module("monitoring.migrations.0002_daily_run_schedule")


@pytest.fixture
def daily_run(transactional_db) -> PeriodicTask:
    """The migration's row: tests with transactional_db flush every table, so make it again (idempotent)."""
    schedule_migration.create_daily_run(apps, None)
    task = PeriodicTask.objects.get(name=DAILY_RUN_TASK)
    # As if beat had run it yesterday at 02:00 (else the row's creation date counts as its last run).
    task.last_run_at = datetime(2030, 1, 9, 2, 0, tzinfo=UTC)
    task.save()
    return task


def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def start_beat() -> DatabaseScheduler:
    """beat's scheduler as it is after its first ticks: the first read loads the schedule, the second
    records the change timestamp that later ticks compare with (beat ticks every few seconds)."""
    scheduler = DatabaseScheduler(app=celery_app, lazy=True)  # lazy: no beat loop, only its view
    scheduler.schedule  # noqa: B018
    scheduler.schedule  # noqa: B018
    return scheduler


def test_the_migration_made_the_daily_run_at_two_utc(db):
    task = PeriodicTask.objects.get(name=DAILY_RUN_TASK)
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week) == (
        "0",
        "2",
        "*",
        "*",
        "*",
    )
    assert str(crontab.timezone) == "UTC"
    assert task.enabled and task.task == FAN_OUT_TASK and FAN_OUT_TASK in celery_app.tasks
    # Sent as the message's `expires`: a little under the period. `expires` (a date that ends the
    # schedule for good) stays empty.
    assert 0 < task.expire_seconds < 24 * 3600 and task.expires is None


def test_running_the_migration_again_leaves_an_operators_edit_alone(db):
    task = PeriodicTask.objects.get(name=DAILY_RUN_TASK)
    task.enabled = False
    task.save()
    schedule_migration.create_daily_run(apps, None)
    assert PeriodicTask.objects.filter(name=DAILY_RUN_TASK).count() == 1
    assert not PeriodicTask.objects.get(name=DAILY_RUN_TASK).enabled


def test_next_run_at(db):
    at = datetime(2030, 1, 10, 1, 30, tzinfo=UTC)
    assert next_run_at(at) == datetime(2030, 1, 10, 2, 0, tzinfo=UTC)
    assert next_run_at(datetime(2030, 1, 10, 2, 0, tzinfo=UTC)) == datetime(2030, 1, 10, 2, 0, tzinfo=UTC)
    assert next_run_at(datetime(2030, 1, 10, 2, 1, tzinfo=UTC)) == datetime(2030, 1, 11, 2, 0, tzinfo=UTC)
    PeriodicTask.objects.filter(name=DAILY_RUN_TASK).update(enabled=False)
    assert next_run_at(at) is None


def test_a_crontab_edited_in_the_admin_moves_the_run_without_restarting_beat(daily_run, time_machine):
    """The database scheduler notices the change (PeriodicTasks.last_update) on its next tick."""
    time_machine.move_to(datetime(2030, 1, 10, 1, 30, tzinfo=UTC), tick=False)
    scheduler = start_beat()
    entry = scheduler.schedule[DAILY_RUN_TASK]
    assert entry.task == FAN_OUT_TASK and entry.schedule.hour == {2} and entry.schedule.minute == {0}
    assert entry.options["expires"] == 23 * 3600
    assert entry.is_due() == (False, 30 * 60)  # fires at 02:00, half an hour from now

    crontab = daily_run.crontab
    time_machine.move_to(datetime(2030, 1, 10, 1, 31, tzinfo=UTC), tick=False)
    response = staff_client().post(
        reverse("admin:django_celery_beat_crontabschedule_change", args=[crontab.pk]),
        {
            "minute": "45",
            "hour": "1",
            "day_of_month": "*",
            "month_of_year": "*",
            "day_of_week": "*",
            "timezone": "UTC",
            # The page's inline lists the tasks using this crontab; they are not edited here.
            "periodictask_set-TOTAL_FORMS": "0",
            "periodictask_set-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    assert CrontabSchedule.objects.get(pk=crontab.pk).hour == "1"

    time_machine.move_to(datetime(2030, 1, 10, 1, 32, tzinfo=UTC), tick=False)
    entry = scheduler.schedule[DAILY_RUN_TASK]  # the same scheduler object: no restart
    assert entry.schedule.hour == {1} and entry.schedule.minute == {45}
    assert entry.is_due() == (False, 13 * 60)  # now 01:45, in thirteen minutes

    time_machine.move_to(datetime(2030, 1, 10, 1, 45, 1, tzinfo=UTC), tick=False)
    due, _ = scheduler.schedule[DAILY_RUN_TASK].is_due()
    assert due


def test_disabling_the_task_stops_the_run(daily_run, time_machine):
    time_machine.move_to(datetime(2030, 1, 10, 1, 59, tzinfo=UTC), tick=False)
    scheduler = start_beat()
    assert DAILY_RUN_TASK in scheduler.schedule
    daily_run.enabled = False
    time_machine.move_to(datetime(2030, 1, 10, 1, 59, 30, tzinfo=UTC), tick=False)
    daily_run.save()
    time_machine.move_to(datetime(2030, 1, 10, 2, 0, 5, tzinfo=UTC), tick=False)
    assert DAILY_RUN_TASK not in scheduler.schedule
