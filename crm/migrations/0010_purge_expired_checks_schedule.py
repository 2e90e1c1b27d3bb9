"""The evidence retention purge as a beat entry: daily at 03:30 UTC, after the nightly run."""

from django.db import migrations

from vatcrm.beat_entries import beat_entry


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0009_compressed_evidence"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_entry(
            name="crm: purge checks past their retention",
            task="crm.purge_expired_checks",  # crm.tasks.PURGE_EXPIRED_CHECKS_TASK (migrations do not import it)
            crontab={"minute": "30", "hour": "3"},
            expire_seconds=20 * 3600,  # a backlog runs it once, not once per missed day
            description="Deletes checks older than EVIDENCE_RETENTION_DAYS that no counterparty or alert needs.",
        )
    ]
