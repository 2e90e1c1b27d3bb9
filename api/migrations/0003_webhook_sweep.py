"""The beat entry of the API's webhooks, in django-celery-beat's tables so operators can edit it in the admin.

Every minute: abandoned claims come back, due deliveries (retries, and first sends whose message was lost)
are sent, expired idempotency keys are deleted. Its messages expire after 50 s, a little under the period:
after a backlog, stale sweeps are dropped instead of running back to back.
"""

from django.db import migrations

SWEEP = "api: send webhooks"


def create_entry(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SWEEP,
        defaults={
            "task": "api.tasks.webhooks_sweep",
            "interval": every_minute,
            "crontab": None,
            "expire_seconds": 50,
            "enabled": True,
            "description": "Sends due webhook deliveries (retries, lost messages); deletes expired idempotency keys.",
        },
    )


def remove_entry(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entry, remove_entry)]
