"""The rollups' models and fields get verbose names written for translation (no change to the tables)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0015_workspace_has_webhooks"),
        ("dashboard", "0002_refresh_schedule"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="checkday",
            options={"verbose_name": "checks of a day", "verbose_name_plural": "checks of the days"},
        ),
        migrations.AlterModelOptions(
            name="closedday",
            options={"verbose_name": "closed day", "verbose_name_plural": "closed days"},
        ),
        migrations.AlterModelOptions(
            name="registryday",
            options={"verbose_name": "registry's day", "verbose_name_plural": "registries' days"},
        ),
        migrations.AlterModelOptions(
            name="statussnapshot",
            options={"verbose_name": "status snapshot", "verbose_name_plural": "status snapshots"},
        ),
        migrations.AlterField(
            model_name="checkday",
            name="checks",
            field=models.PositiveIntegerField(verbose_name="checks"),
        ),
        migrations.AlterField(
            model_name="checkday",
            name="day",
            field=models.DateField(verbose_name="day"),
        ),
        migrations.AlterField(
            model_name="checkday",
            name="status",
            field=models.CharField(
                choices=[("valid", "Valid"), ("invalid", "Invalid"), ("unverified", "Unverified"), ("error", "Error")],
                max_length=12,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="checkday",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="closedday",
            name="closed_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="closed at"),
        ),
        migrations.AlterField(
            model_name="closedday",
            name="day",
            field=models.DateField(primary_key=True, serialize=False, verbose_name="day"),
        ),
        migrations.AlterField(
            model_name="registryday",
            name="answers",
            field=models.PositiveIntegerField(
                help_text="Results with a definitive verdict (valid or invalid).", verbose_name="answers"
            ),
        ),
        migrations.AlterField(
            model_name="registryday",
            name="country_code",
            field=models.CharField(max_length=2, verbose_name="country code"),
        ),
        migrations.AlterField(
            model_name="registryday",
            name="day",
            field=models.DateField(verbose_name="day"),
        ),
        migrations.AlterField(
            model_name="registryday",
            name="outages",
            field=models.PositiveIntegerField(
                help_text="Results the registry could not give (unverified).", verbose_name="outages"
            ),
        ),
        migrations.AlterField(
            model_name="statussnapshot",
            name="day",
            field=models.DateField(verbose_name="day"),
        ),
        migrations.AlterField(
            model_name="statussnapshot",
            name="invalid",
            field=models.PositiveIntegerField(default=0, verbose_name="invalid"),
        ),
        migrations.AlterField(
            model_name="statussnapshot",
            name="monitored",
            field=models.PositiveIntegerField(default=0, verbose_name="monitored"),
        ),
        migrations.AlterField(
            model_name="statussnapshot",
            name="taken_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="taken at"),
        ),
        migrations.AlterField(
            model_name="statussnapshot",
            name="unchecked",
            field=models.PositiveIntegerField(
                default=0, help_text="Never checked definitively.", verbose_name="not checked"
            ),
        ),
        migrations.AlterField(
            model_name="statussnapshot",
            name="valid",
            field=models.PositiveIntegerField(default=0, verbose_name="valid"),
        ),
        migrations.AlterField(
            model_name="statussnapshot",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
    ]
