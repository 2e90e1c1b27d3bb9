"""The evidence retention purge as a django-celery-beat PeriodicTask: daily at 03:30 UTC, after the run."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "crm: purge checks past their retention"
PURGE_TASK = "crm.purge_expired_checks"  # crm.tasks.PURGE_EXPIRED_CHECKS_TASK (migrations do not import app code)


def create_purge(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return  # an operator's row stays as they left it
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task=PURGE_TASK,
        crontab=crontab,
        expire_seconds=20 * 3600,  # a backlog runs it once, not once per missed day
        enabled=True,
        description="Deletes checks older than EVIDENCE_RETENTION_DAYS that no counterparty or alert needs.",
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_purge(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0009_compressed_evidence"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_purge, remove_purge)]
