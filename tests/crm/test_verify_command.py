import json

import pytest
from django.core.management import CommandError, call_command

from crm.models import CheckTrigger, VerificationCheck

pytestmark = pytest.mark.usefixtures("vies_settings")


def test_json_without_workspace_prints_the_endpoint_shape_and_stores_nothing(db, capsys):
    call_command("verify", "at u72943648", "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["check_id"] is None and payload["counterparty_id"] is None
    assert payload["overall_status"] == "valid" and payload["vat_number"] == "ATU72943648"
    assert [r["service"] for r in payload["results"]] == ["format", "vies"]
    assert not VerificationCheck.objects.exists()


def test_with_workspace_the_check_is_stored(owner, capsys):
    call_command("verify", "ATU72943648", "--workspace", owner.workspace.slug)
    out = capsys.readouterr().out
    check = VerificationCheck.objects.get()
    assert check.workspace == owner.workspace and check.trigger == CheckTrigger.SHELL
    assert "ATU72943648: VALID" in out and f"stored as check {check.pk}" in out


def test_unknown_workspace_and_bad_number_are_errors(db):
    with pytest.raises(CommandError, match="No workspace"):
        call_command("verify", "ATU72943648", "--workspace", "nope")
    with pytest.raises(CommandError):
        call_command("verify", "DE12")
