"""Workspace.has_webhooks, kept by the API app; a database default too, so rows inserted in SQL get it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0014_list_and_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="has_webhooks",
            field=models.BooleanField(default=False, db_default=False, editable=False),
        ),
    ]
