"""An upload is stored and read by a Celery worker: the stored file, the reading's state, its language and error."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_imported_counterparties"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="upload",
            field=models.FileField(blank=True, max_length=200, upload_to="imports/"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="read_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="language",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name="importjob",
            name="error",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("reading", "Reading the file"),
                    ("failed", "Could not be read"),
                    ("mapping", "Choose the columns"),
                    ("staged", "Preview"),
                    ("verifying", "Verifying"),
                    ("done", "Done"),
                ],
                default="staged",
                max_length=10,
            ),
        ),
    ]
