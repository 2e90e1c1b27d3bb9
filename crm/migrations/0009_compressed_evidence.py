"""Raw evidence stored deflated with a preset dictionary (crm/evidence.py); existing rows are converted."""

from django.db import migrations

import crm.evidence

BATCH = 2000


def _convert(apps, *, source: str, target: str) -> None:
    CheckResult = apps.get_model("crm", "CheckResult")
    last_id = 0
    while True:
        batch = list(CheckResult.objects.filter(id__gt=last_id).order_by("id")[:BATCH])
        if not batch:
            return
        for result in batch:
            for field in ("request", "response"):
                setattr(result, f"{target}{field}", getattr(result, f"{source}{field}"))
        CheckResult.objects.bulk_update(batch, [f"{target}request", f"{target}response"])
        last_id = batch[-1].id


def compress_existing(apps, schema_editor) -> None:
    _convert(apps, source="raw_text_", target="raw_")


def decompress_existing(apps, schema_editor) -> None:
    _convert(apps, source="raw_", target="raw_text_")


class Migration(migrations.Migration):
    dependencies = [("crm", "0008_team_roles_and_requester_check")]

    operations = [
        migrations.RenameField("checkresult", "raw_request", "raw_text_request"),
        migrations.RenameField("checkresult", "raw_response", "raw_text_response"),
        migrations.AddField("checkresult", "raw_request", crm.evidence.CompressedTextField()),
        migrations.AddField("checkresult", "raw_response", crm.evidence.CompressedTextField()),
        migrations.RunPython(compress_existing, decompress_existing, elidable=True),
        migrations.RemoveField("checkresult", "raw_text_request"),
        migrations.RemoveField("checkresult", "raw_text_response"),
    ]
