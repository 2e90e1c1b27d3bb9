"""The imports' reconciler as a django-celery-beat PeriodicTask: every minute, editable in the admin.

Its own IntervalSchedule is shared by interval only (60 s); messages expire after 50 s so that a backlog
drops stale ticks instead of running them back to back.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "imports: reconcile"
RECONCILE_TASK = "imports.reconcile"  # imports.tasks.RECONCILE_TASK (migrations do not import app code)


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
            "Sends again the import verification chunks whose message or worker was lost, finishes imports "
            "that are done and deletes old previews (imports/services/verify.py). Keep it enabled."
        ),
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_reconcile(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_reconcile, remove_reconcile)]
