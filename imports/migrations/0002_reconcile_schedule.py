"""The imports' reconciler as a beat entry: every minute; messages expire after 50 s (vatcrm/beat_entries.py)."""

from django.db import migrations

from vatcrm.beat_entries import beat_entry


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_entry(
            name="imports: reconcile",
            task="imports.reconcile",  # imports.tasks.RECONCILE_TASK (migrations do not import app code)
            every=(60, "seconds"),
            expire_seconds=50,
            description=(
                "Sends again the import verification chunks whose message or worker was lost, finishes imports "
                "that are done and deletes old previews (imports/services/verify.py). Keep it enabled."
            ),
        )
    ]
