"""The beat entries of notifications, in django-celery-beat's tables so operators can edit them in the admin.

- the sweep, every 2 minutes: stale claims, missed fan-outs, due deliveries and digest retries. Its
  messages expire after 100 s (a little under the period): after a beat or broker backlog, stale sweeps
  are dropped instead of running back to back; the next one does the same work.
- the daily digests, at 07:00 UTC; a run older than 23 hours is dropped the same way.
"""

from django.db import migrations

SWEEP = "notifications: send pending deliveries"
DIGESTS = "notifications: daily digests"


def create_entries(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")

    every_two_minutes, _ = IntervalSchedule.objects.get_or_create(every=2, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SWEEP,
        defaults={
            "task": "notifications.tasks.send_pending_deliveries",
            "interval": every_two_minutes,
            "crontab": None,
            "expire_seconds": 100,
            "enabled": True,
            "description": "Sends every due notification that the on-commit path left behind.",
        },
    )
    seven_utc, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.update_or_create(
        name=DIGESTS,
        defaults={
            "task": "notifications.tasks.send_daily_digests",
            "crontab": seven_utc,
            "interval": None,
            "expire_seconds": 23 * 3600,
            "enabled": True,
            "description": "One email per member and workspace with the alerts they chose to get as a digest.",
        },
    )


def remove_entries(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[SWEEP, DIGESTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entries, remove_entries)]
