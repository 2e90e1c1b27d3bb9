"""The import's models and fields get verbose names written for translation (no change to the tables)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0017_labels_for_translation"),
        ("imports", "0004_reading_in_the_worker"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="importchunk",
            options={
                "ordering": ["job", "number"],
                "verbose_name": "import chunk",
                "verbose_name_plural": "import chunks",
            },
        ),
        migrations.AlterModelOptions(
            name="importedcounterparty",
            options={"verbose_name": "imported counterparty", "verbose_name_plural": "imported counterparties"},
        ),
        migrations.AlterModelOptions(
            name="importjob",
            options={"ordering": ["-created_at", "-id"], "verbose_name": "import", "verbose_name_plural": "imports"},
        ),
        migrations.AlterModelOptions(
            name="importrow",
            options={"ordering": ["line"], "verbose_name": "import row", "verbose_name_plural": "import rows"},
        ),
        migrations.AlterField(
            model_name="importchunk",
            name="counterparty_ids",
            field=models.JSONField(default=list, verbose_name="counterparty ids"),
        ),
        migrations.AlterField(
            model_name="importchunk",
            name="dispatched_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="dispatched at"),
        ),
        migrations.AlterField(
            model_name="importchunk",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
        ),
        migrations.AlterField(
            model_name="importchunk",
            name="job",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="chunks",
                to="imports.importjob",
                verbose_name="import",
            ),
        ),
        migrations.AlterField(
            model_name="importchunk",
            name="number",
            field=models.PositiveIntegerField(verbose_name="number"),
        ),
        migrations.AlterField(
            model_name="importchunk",
            name="picked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="picked at"),
        ),
        migrations.AlterField(
            model_name="importchunk",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="importchunk",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="importedcounterparty",
            name="check_run",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="crm.verificationcheck",
                verbose_name="check",
            ),
        ),
        migrations.AlterField(
            model_name="importedcounterparty",
            name="counterparty",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.counterparty",
                verbose_name="counterparty",
            ),
        ),
        migrations.AlterField(
            model_name="importedcounterparty",
            name="job",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="created",
                to="imports.importjob",
                verbose_name="import",
            ),
        ),
        migrations.AlterField(
            model_name="importedcounterparty",
            name="status",
            field=models.CharField(
                blank=True,
                choices=[("valid", "Valid"), ("invalid", "Invalid"), ("unverified", "Unverified"), ("error", "Error")],
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="committed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="committed at"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="committed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="committed by",
            ),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="counts",
            field=models.JSONField(default=dict, verbose_name="counts"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="delimiter",
            field=models.CharField(blank=True, max_length=4, verbose_name="delimiter"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="encoding",
            field=models.CharField(blank=True, max_length=20, verbose_name="encoding"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="error",
            field=models.TextField(blank=True, verbose_name="error"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="file_format",
            field=models.CharField(max_length=4, verbose_name="file format"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="filename",
            field=models.CharField(max_length=200, verbose_name="filename"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="headers",
            field=models.JSONField(default=list, verbose_name="headers"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="language",
            field=models.CharField(blank=True, max_length=10, verbose_name="language"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="mapping",
            field=models.JSONField(default=dict, verbose_name="column mapping"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="read_sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="reading sent at"),
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
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="to_verify",
            field=models.PositiveIntegerField(default=0, verbose_name="to verify"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="upload",
            field=models.FileField(blank=True, max_length=200, upload_to="imports/", verbose_name="uploaded file"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="address",
            field=models.TextField(blank=True, verbose_name="address"),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="cells",
            field=models.JSONField(default=list, verbose_name="cells"),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="changes",
            field=models.JSONField(blank=True, default=dict, verbose_name="changes"),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="classification",
            field=models.CharField(
                blank=True,
                choices=[
                    ("new", "New"),
                    ("unchanged", "Already in the CRM, unchanged"),
                    ("changed", "Already in the CRM, would change"),
                    ("duplicate", "Duplicate within the file"),
                    ("refused", "Refused"),
                ],
                max_length=10,
                verbose_name="classification",
            ),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="external_reference",
            field=models.CharField(blank=True, max_length=100, verbose_name="external reference"),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="job",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="rows",
                to="imports.importjob",
                verbose_name="import",
            ),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="line",
            field=models.PositiveIntegerField(
                help_text="The row's number in the file (the header is row 1 or later).", verbose_name="line"
            ),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="monitoring",
            field=models.CharField(blank=True, max_length=8, verbose_name="monitoring"),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="name",
            field=models.CharField(blank=True, max_length=200, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="reason",
            field=models.TextField(
                blank=True, help_text="Why the row is refused, or which row it duplicates.", verbose_name="reason"
            ),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="tags",
            field=models.JSONField(blank=True, default=list, verbose_name="tags"),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="vat_number",
            field=models.CharField(
                blank=True, help_text="Normalised; empty when refused.", max_length=20, verbose_name="vat number"
            ),
        ),
        migrations.AlterField(
            model_name="importrow",
            name="warning",
            field=models.TextField(blank=True, verbose_name="warning"),
        ),
    ]
