"""The API's models and fields, and the outbox's event kinds, get verbose names written for translation (no change to the tables)."""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
import notifications.fields
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0006_pendingevent"),
        ("crm", "0017_labels_for_translation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apikey",
            options={"ordering": ["-created_at", "-id"], "verbose_name": "API key", "verbose_name_plural": "API keys"},
        ),
        migrations.AlterModelOptions(
            name="batch",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "batch of checks",
                "verbose_name_plural": "batches of checks",
            },
        ),
        migrations.AlterModelOptions(
            name="batchitem",
            options={
                "ordering": ["batch", "position"],
                "verbose_name": "batch item",
                "verbose_name_plural": "batch items",
            },
        ),
        migrations.AlterModelOptions(
            name="idempotentrequest",
            options={"verbose_name": "idempotent request", "verbose_name_plural": "idempotent requests"},
        ),
        migrations.AlterModelOptions(
            name="pendingevent",
            options={"ordering": ["id"], "verbose_name": "pending event", "verbose_name_plural": "pending events"},
        ),
        migrations.AlterModelOptions(
            name="webhookattempt",
            options={
                "ordering": ["-at", "-id"],
                "verbose_name": "webhook attempt",
                "verbose_name_plural": "webhook attempts",
            },
        ),
        migrations.AlterModelOptions(
            name="webhookdelivery",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
            },
        ),
        migrations.AlterModelOptions(
            name="webhookendpoint",
            options={
                "ordering": ["created_at", "id"],
                "verbose_name": "webhook endpoint",
                "verbose_name_plural": "webhook endpoints",
            },
        ),
        migrations.AlterField(
            model_name="apikey",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="apikey",
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
            model_name="apikey",
            name="digest",
            field=models.CharField(editable=False, max_length=64, verbose_name="SHA-256 of the key"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last used at"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="prefix",
            field=models.CharField(editable=False, max_length=8, unique=True, verbose_name="prefix"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="revoked at"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_keys",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="batch",
            name="api_key",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="api.apikey",
                verbose_name="API key",
            ),
        ),
        migrations.AlterField(
            model_name="batch",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="batch",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
        ),
        migrations.AlterField(
            model_name="batch",
            name="progressed_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="progressed at"),
        ),
        migrations.AlterField(
            model_name="batch",
            name="status",
            field=models.CharField(
                choices=[("running", "Running"), ("done", "Done")],
                default="running",
                max_length=8,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="batch",
            name="total",
            field=models.PositiveIntegerField(default=0, verbose_name="numbers"),
        ),
        migrations.AlterField(
            model_name="batch",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="batchitem",
            name="batch",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="items",
                to="api.batch",
                verbose_name="batch of checks",
            ),
        ),
        migrations.AlterField(
            model_name="batchitem",
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
            model_name="batchitem",
            name="done_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="done at"),
        ),
        migrations.AlterField(
            model_name="batchitem",
            name="name",
            field=models.CharField(blank=True, max_length=200, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="batchitem",
            name="position",
            field=models.PositiveIntegerField(verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="batchitem",
            name="refused",
            field=models.TextField(blank=True, verbose_name="refused because"),
        ),
        migrations.AlterField(
            model_name="batchitem",
            name="submitted",
            field=models.CharField(max_length=64, verbose_name="as submitted"),
        ),
        migrations.AlterField(
            model_name="batchitem",
            name="vat_number",
            field=models.CharField(blank=True, max_length=20, verbose_name="vat number"),
        ),
        migrations.AlterField(
            model_name="idempotentrequest",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="idempotentrequest",
            name="fingerprint",
            field=models.CharField(max_length=64, verbose_name="request fingerprint"),
        ),
        migrations.AlterField(
            model_name="idempotentrequest",
            name="key",
            field=models.CharField(max_length=255, verbose_name="idempotency key"),
        ),
        migrations.AlterField(
            model_name="idempotentrequest",
            name="response",
            field=models.JSONField(
                blank=True, encoder=django.core.serializers.json.DjangoJSONEncoder, null=True, verbose_name="response"
            ),
        ),
        migrations.AlterField(
            model_name="idempotentrequest",
            name="status_code",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="status code"),
        ),
        migrations.AlterField(
            model_name="idempotentrequest",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="pendingevent",
            name="context",
            field=models.JSONField(default=dict, verbose_name="context"),
        ),
        migrations.AlterField(
            model_name="pendingevent",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="pendingevent",
            name="kind",
            field=models.CharField(
                choices=[("check", "A check"), ("alerts", "Alerts"), ("import", "An import"), ("batch", "A batch")],
                max_length=8,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="pendingevent",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="at"),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="delivery",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attempt_log",
                to="api.webhookdelivery",
                verbose_name="webhook delivery",
            ),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="duration_ms",
            field=models.PositiveIntegerField(default=0, verbose_name="duration, ms"),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="error",
            field=models.TextField(blank=True, verbose_name="error"),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="status_code",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="status code"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="claim_token",
            field=models.UUIDField(blank=True, null=True, verbose_name="claim token"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="claimed at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="endpoint",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="api.webhookendpoint",
                verbose_name="webhook endpoint",
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="event",
            field=models.CharField(
                choices=[
                    ("check.completed", "A check completed"),
                    ("counterparty.status_changed", "A counterparty's status changed"),
                    ("alert.created", "An alert was raised"),
                    ("import.finished", "An import or batch finished"),
                ],
                max_length=40,
                verbose_name="event",
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="failed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="failed at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="key"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="last error"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="next_attempt_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="next attempt at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="payload",
            field=models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name="payload"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="status",
            field=models.CharField(
                choices=[("pending", "Pending"), ("sending", "Sending"), ("sent", "Delivered"), ("failed", "Failed")],
                default="pending",
                max_length=8,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="config",
            field=notifications.fields.EncryptedJSONField(default=dict, verbose_name="config"),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
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
            model_name="webhookendpoint",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="webhook_endpoints",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
    ]
