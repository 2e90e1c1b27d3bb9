"""Checks lose two indexes nobody reads: the idempotency key's LIKE twin and the results' check_run index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0010_purge_expired_checks_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The new constraint first: the key is never without a unique index, even inside the migration.
    operations = [
        migrations.AddConstraint(
            model_name="verificationcheck",
            constraint=models.UniqueConstraint(fields=("idempotency_key",), name="check_idempotency_key_unique"),
        ),
        migrations.AlterField(
            model_name="checkresult",
            name="check_run",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="results",
                to="crm.verificationcheck",
            ),
        ),
        migrations.AlterField(
            model_name="verificationcheck",
            name="idempotency_key",
            field=models.CharField(blank=True, max_length=120, null=True),
        ),
    ]
