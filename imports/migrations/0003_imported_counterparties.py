"""One row per counterparty an import created, holding what its check gave, instead of counters per chunk.

The counters could only grow: a row unverified in an outage stayed unverified in the progress and the
report after its retry answered. Imports committed before this get their rows from their chunks: the
counterparties still there, with this import's check of each where it was stored.
"""

import django.db.models.deletion
from django.db import migrations, models


def rows_from_chunks(apps, schema_editor):
    ImportChunk = apps.get_model("imports", "ImportChunk")
    ImportedCounterparty = apps.get_model("imports", "ImportedCounterparty")
    Counterparty = apps.get_model("crm", "Counterparty")
    VerificationCheck = apps.get_model("crm", "VerificationCheck")
    for chunk in ImportChunk.objects.iterator(chunk_size=500):
        present = set(Counterparty.objects.filter(pk__in=chunk.counterparty_ids).values_list("pk", flat=True))
        keys = {f"import:{chunk.job_id}:{pk}": pk for pk in present}
        checks = {
            keys[check.idempotency_key]: check
            for check in VerificationCheck.objects.filter(idempotency_key__in=keys).only(
                "pk", "idempotency_key", "overall_status"
            )
        }
        ImportedCounterparty.objects.bulk_create(
            [
                ImportedCounterparty(
                    job_id=chunk.job_id,
                    counterparty_id=pk,
                    status=checks[pk].overall_status if pk in checks else "",
                    check_run=checks.get(pk),
                )
                for pk in chunk.counterparty_ids
                if pk in present
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0015_workspace_has_webhooks"),
        ("imports", "0002_reconcile_schedule"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportedCounterparty",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("valid", "Valid"),
                            ("invalid", "Invalid"),
                            ("unverified", "Unverified"),
                            ("error", "Error"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "check_run",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="crm.verificationcheck",
                    ),
                ),
                (
                    "counterparty",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="crm.counterparty"
                    ),
                ),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="created", to="imports.importjob"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("job", "counterparty"), name="import_created_once_per_counterparty")
                ],
            },
        ),
        migrations.RunPython(rows_from_chunks, migrations.RunPython.noop),
        migrations.RemoveField(model_name="importchunk", name="valid"),
        migrations.RemoveField(model_name="importchunk", name="invalid"),
        migrations.RemoveField(model_name="importchunk", name="unverified"),
        migrations.RemoveField(model_name="importchunk", name="error"),
    ]
