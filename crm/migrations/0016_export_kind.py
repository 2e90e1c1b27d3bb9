"""Exports of two kinds: the counterparty list, and the audit export of checks (its days and newest check)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0015_workspace_has_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="export",
            name="kind",
            field=models.CharField(
                choices=[("counterparties", "Counterparties"), ("checks", "Checks (audit export)")],
                default="counterparties",
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="export",
            name="up_to_check_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="up to check id"),
        ),
        migrations.AddField(
            model_name="export",
            name="expected_rows",
            field=models.PositiveIntegerField(
                default=0, help_text="The rows that matched when it was asked for.", verbose_name="expected rows"
            ),
        ),
    ]
