"""The daily monitoring run as a django-celery-beat PeriodicTask: 02:00 UTC, editable in the admin.

A data migration rather than CELERY_BEAT_SCHEDULE: the database scheduler writes a settings dict into the
table at every beat start, which would undo an operator's edit in the admin. Created once here, the row is
the admin's to change from then on.

`expire_seconds` is the option the scheduler sends as the message's `expires` ("a little under its
period": a fan-out still queued 23 hours later is stale, tomorrow's will do). Not the `expires` field,
which is a date after which the schedule stops for good.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "monitoring: daily run"
FAN_OUT_TASK = "monitoring.fan_out"  # monitoring.tasks.FAN_OUT_TASK (migrations do not import app code)
EXPIRE_SECONDS = 23 * 60 * 60


def create_daily_run(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return  # an operator's row stays as they left it
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="2", day_of_month="*", month_of_year="*", day_of_week="*", timezone="UTC"
    )
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task=FAN_OUT_TASK,
        crontab=crontab,
        kwargs='{"trigger": "schedule"}',
        expire_seconds=EXPIRE_SECONDS,
        enabled=True,
        description="Re-check every due monitored counterparty (monitoring/tasks.py). Edit the crontab to move it.",
    )
    # Historical models send no signals: tell a running beat that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_daily_run(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_daily_run, remove_daily_run)]
