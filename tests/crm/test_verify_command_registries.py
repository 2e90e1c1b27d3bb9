"""`manage.py verify` for numbers outside VIES prints the same JSON as for EU numbers, naming the registry."""

import json

import pytest
from django.core.management import call_command

from crm.models import CheckTrigger, VerificationCheck
from verification import uid

pytestmark = pytest.mark.usefixtures("registry_settings")


def _verify(capsys, *args: str) -> dict:
    uid.clear_cache()
    call_command("verify", *args, "--json")
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("typed", "vat_number", "service", "name"),
    [
        ("GB 844 5738 97", "GB844573897", "hmrc", "THAMES VALLEY ENGINEERING LTD"),
        ("CHE-993.738.919 MWST", "CHE993738919", "uid", "Bergkristall Uhren AG"),
        ("NO 966 567 031 MVA", "NO966567031MVA", "brreg", "FJELLTOPP FISKERI AS"),
    ],
)
def test_json_names_the_registry_in_the_shape_of_an_eu_check(db, capsys, typed, vat_number, service, name):
    eu = _verify(capsys, "ATU72943648")
    payload = _verify(capsys, typed)
    assert set(payload) == set(eu)
    assert [set(result) for result in payload["results"]] == [set(result) for result in eu["results"]]
    assert (payload["vat_number"], payload["overall_status"]) == (vat_number, "valid")
    assert [result["service"] for result in payload["results"]] == ["format", service]
    assert payload["results"][1]["name"] == name
    assert not VerificationCheck.objects.exists()


def test_with_a_workspace_the_check_and_its_registry_result_are_stored(owner, capsys):
    payload = _verify(capsys, "NO949384225", "--workspace", owner.workspace.slug)
    check = VerificationCheck.objects.get()
    assert (check.trigger, check.overall_status, payload["check_id"]) == (CheckTrigger.SHELL, "invalid", check.pk)
    result = check.results.get(service="brreg")
    assert (result.error_code, result.country_code) == ("DELETED", "NO")
    assert '"slettedato"' in result.raw_response
