"""The rollup refresh as a beat entry: every 15 minutes; a backlog drops stale refreshes after 10 minutes."""

from django.db import migrations

from vatcrm.beat_entries import beat_entry


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_entry(
            name="dashboard: refresh rollups",
            task="dashboard.refresh_rollups",  # dashboard.tasks.REFRESH_TASK (migrations do not import app code)
            every=(15, "minutes"),
            expire_seconds=600,
            description=(
                "Takes today's status snapshot of every workspace and closes the past days for the dashboard's "
                "charts (dashboard/services.py). Disabled, past days get no status point and the charts count "
                "them from the checks, slower."
            ),
        )
    ]
