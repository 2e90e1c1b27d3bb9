"""The audit trail's model and fields, and Workspace.has_webhooks, get verbose names written for translation
(no change to the tables)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0016_export_kind"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="counterpartychange",
            options={
                "ordering": ["-at", "-id"],
                "verbose_name": "counterparty change",
                "verbose_name_plural": "counterparty changes",
            },
        ),
        migrations.AlterField(
            model_name="counterpartychange",
            name="action",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("edited", "Edited"),
                    ("archived", "Archived"),
                    ("restored", "Restored"),
                    ("monitoring", "Monitoring changed"),
                    ("tagged", "Tags changed"),
                    ("imported", "Imported"),
                ],
                max_length=12,
                verbose_name="action",
            ),
        ),
        migrations.AlterField(
            model_name="counterpartychange",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="changed by",
            ),
        ),
        migrations.AlterField(
            model_name="counterpartychange",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="changed at"),
        ),
        migrations.AlterField(
            model_name="counterpartychange",
            name="changes",
            field=models.JSONField(blank=True, default=dict, verbose_name="changes"),
        ),
        migrations.AlterField(
            model_name="counterpartychange",
            name="counterparty",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="changes",
                to="crm.counterparty",
                verbose_name="counterparty",
            ),
        ),
        migrations.AlterField(
            model_name="counterpartychange",
            name="source",
            field=models.CharField(
                choices=[("web", "Web"), ("import", "Import"), ("api", "API"), ("shell", "Command line")],
                default="web",
                max_length=8,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="counterpartychange",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="workspace",
            name="has_webhooks",
            field=models.BooleanField(
                db_default=False, default=False, editable=False, verbose_name="has enabled webhooks"
            ),
        ),
    ]
