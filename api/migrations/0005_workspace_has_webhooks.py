"""Workspaces that already have an enabled webhook endpoint get has_webhooks (api/receivers.py keeps it)."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def mark_workspaces(apps, schema_editor):
    Workspace = apps.get_model("crm", "Workspace")
    WebhookEndpoint = apps.get_model("api", "WebhookEndpoint")
    enabled = WebhookEndpoint.objects.filter(workspace_id=OuterRef("pk"), enabled=True)
    Workspace.objects.update(has_webhooks=Exists(enabled))


class Migration(migrations.Migration):
    dependencies = [("api", "0004_batches"), ("crm", "0015_workspace_has_webhooks")]

    operations = [migrations.RunPython(mark_workspaces, migrations.RunPython.noop)]
