"""The list's default order as a covering index, trigram indexes for its search, two check indexes dropped.

The search (crm/filters.py and the admin) matches a fragment anywhere in a name or a VAT number: LIKE
'%fragment%', which no B-tree serves. pg_trgm's GIN indexes do, on the very expressions Django writes for
icontains (UPPER(col::text)) and contains. PostgreSQL only: other databases (SQLite in a contributor's quick
run) scan, which is fine at their size. pg_trgm is a trusted extension, so the database's owner may create it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TRIGRAM_INDEXES = {
    "counterparty_name_trgm": "upper(name::text)",
    "counterparty_registered_name_trgm": "upper(registered_name::text)",
    "counterparty_vat_number_trgm": "upper(vat_number::text)",
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON crm_counterparty USING gin ({expression} gin_trgm_ops)"
        )
    # iexact on the external reference, as the search writes it. Not partial: the search's OR can use an index
    # only if every one of its arms has one, and "UPPER(ref) = 'X'" does not tell the planner that ref <> ''.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS counterparty_external_ref_upper ON crm_counterparty "
        "(workspace_id, upper(external_reference::text))"
    )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*TRIGRAM_INDEXES, "counterparty_external_ref_upper"]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0013_labels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(create_search_indexes, drop_search_indexes),
        migrations.RemoveIndex(
            model_name="counterparty",
            name="counterparty_list_by_name",
        ),
        migrations.AlterField(
            model_name="verificationcheck",
            name="counterparty",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="checks",
                to="crm.counterparty",
                verbose_name="counterparty",
            ),
        ),
        migrations.AlterField(
            model_name="verificationcheck",
            name="workspace",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="checks",
                to="crm.workspace",
                verbose_name="workspace",
            ),
        ),
        migrations.AddIndex(
            model_name="counterparty",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", True)),
                fields=["workspace", "name", "vat_number"],
                include=("id",),
                name="counterparty_active_by_name",
            ),
        ),
    ]
