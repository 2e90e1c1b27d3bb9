"""The reconciler as a django-celery-beat PeriodicTask: every minute, editable in the admin.

Its own IntervalSchedule row (60 seconds), not one shared with another entry, so that an operator who
changes one period does not change the other. Messages expire after 50 s: after a beat or broker backlog,
stale ticks are dropped instead of running back to back; the next tick does the same work.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "monitoring: reconcile"
RECONCILE_TASK = "monitoring.reconcile"  # monitoring.tasks.RECONCILE_TASK (migrations do not import app code)


def create_reconcile(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return  # an operator's row stays as they left it
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task=RECONCILE_TASK,
        interval=every_minute,
        expire_seconds=50,
        enabled=True,
        description=(
            "Sends again the monitoring re-checks whose message may be lost, resumes stalled fan-outs and ends "
            "runs whose window has passed (monitoring/services/reconcile.py). Keep it enabled."
        ),
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_reconcile(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0003_durable_runs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_reconcile, remove_reconcile)]
