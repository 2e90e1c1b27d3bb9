"""A B-tree for the search by VAT-number prefix ("FR000050"): the trigram index answers it, but slowly.

A number's trigrams are mostly digits ("000", "005"), so the trigram index's lists for a prefix of digits are
long: 15 ms a query at 100,000 counterparties, twice a page (its count and its ids). A typed prefix that
starts with a country code is searched as a prefix (crm/filters.py), which this index answers in well under
a millisecond; varchar_pattern_ops because Django writes the prefix as `vat_number::text LIKE 'FR000050%'`.
PostgreSQL only, like the trigram indexes of 0014.
"""

from django.db import migrations

INDEX = "counterparty_vat_prefix"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_counterparty (workspace_id, vat_number varchar_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0017_labels_for_translation")]

    operations = [migrations.RunPython(create_index, drop_index)]
