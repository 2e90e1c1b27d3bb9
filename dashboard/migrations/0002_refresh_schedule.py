"""The rollup refresh as a django-celery-beat PeriodicTask: every 15 minutes, editable in the admin.

Its own IntervalSchedule row, so that changing another entry's period leaves this one alone. Messages
expire after 10 minutes: after a backlog, stale refreshes are dropped; the next one does the same work.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "dashboard: refresh rollups"
REFRESH_TASK = "dashboard.refresh_rollups"  # dashboard.tasks.REFRESH_TASK (migrations do not import app code)


def create_refresh(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return  # an operator's row stays as they left it
    every_15_minutes, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task=REFRESH_TASK,
        interval=every_15_minutes,
        expire_seconds=600,
        enabled=True,
        description=(
            "Takes today's status snapshot of every workspace and closes the past days for the dashboard's "
            "charts (dashboard/services.py). Disabled, past days get no status point and the charts count them from the checks, slower."
        ),
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_refresh(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_refresh, remove_refresh)]
