"""The webhooks' outbox: events written in the transaction that causes them (api/outbox.py)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0005_workspace_has_webhooks"),
        ("crm", "0015_workspace_has_webhooks"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("check", "Check"), ("alerts", "Alerts"), ("import", "Import"), ("batch", "Batch")],
                        max_length=8,
                    ),
                ),
                ("context", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="crm.workspace"
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
    ]
