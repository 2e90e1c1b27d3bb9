"""The endpoints end to end: verify against the registry simulator, counterparties, checks, alerts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import ChangeSource, CheckStatus, Counterparty, CounterpartyChange, VerificationCheck
from crm.serializers import check_payload
from tests.factories import AlertFactory, CheckResultFactory, CompanyFactory, CounterpartyFactory

VALID_AT = "ATU72943648"  # Alpenblick Holzbau GmbH in the simulator's demo registry


@pytest.fixture
def requester(owner):
    return CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V", name="Requester Ltd")


@pytest.mark.usefixtures("vies_settings")
def test_verify_answers_what_the_verify_page_answers_with_the_evidence(api, owner, requester):
    response = api.client.post("/api/v1/verify/", {"vat_number": "at u 7294.3648", "name": "Alpenblick"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    check = VerificationCheck.objects.get()
    assert body.items() >= check_payload(check).items()  # the same answer as /verify/'s JSON
    assert body["overall_status"] == CheckStatus.VALID and body["consultation_number"]
    vies = next(item for item in body["evidence"] if item["service"] == "vies")
    assert "checkVatApproxResponse" in vies["raw_response"]
    assert body["proof_url"] == reverse("api:check-proof", args=[check.pk])
    assert check.workspace == owner.workspace and check.triggered_by == owner.user


@pytest.mark.usefixtures("vies_settings")
def test_verify_refuses_a_number_that_cannot_be_one(api, registry_simulator):
    response = api.client.post("/api/v1/verify/", {"vat_number": "XX123"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "vat_number" in response.json()["errors"]
    assert not VerificationCheck.objects.exists()


def test_the_list_takes_the_crm_pages_filters(api):
    CounterpartyFactory(workspace=api.workspace, name="Alpha GmbH", status=CheckStatus.VALID)
    CounterpartyFactory(workspace=api.workspace, name="Beta SA", status=CheckStatus.INVALID)
    CounterpartyFactory(name="Alpha elsewhere")  # another workspace
    names = lambda query: [row["name"] for row in api.client.get("/api/v1/counterparties/", query).json()["results"]]  # noqa: E731
    assert names({}) == ["Alpha GmbH", "Beta SA"]
    assert names({"q": "alpha"}) == ["Alpha GmbH"]
    assert names({"status": "invalid"}) == ["Beta SA"]
    assert names({"ordering": "-name"}) == ["Beta SA", "Alpha GmbH"]
    response = api.client.get("/api/v1/counterparties/", {"status": "nonsense"})
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("ordering", ["name", "-name", "vat", "-checked", "status", "-status"])
def test_cursor_pages_visit_every_row_once(api, ordering):
    for index in range(7):
        CounterpartyFactory(
            workspace=api.workspace,
            name=f"Same name {index % 2}",
            status=[None, CheckStatus.VALID][index % 2],
        )
    seen, url = [], f"/api/v1/counterparties/?page_size=2&ordering={ordering}"
    while url:
        page = api.client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(Counterparty.objects.values_list("pk", flat=True))


def test_create_update_archive_and_monitoring_are_audited_as_api(api, owner):
    created = api.client.post(
        "/api/v1/counterparties/", {"vat_number": "NL 123456789 B01", "name": "Bolt", "external_reference": "S-1"}
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["vat_number"] == "NL123456789B01" and created.json()["status"] is None

    again = api.client.post("/api/v1/counterparties/", {"vat_number": "NL123456789B01"})
    assert again.status_code == 409 and again.json()["counterparty_id"] == pk

    patched = api.client.patch(f"/api/v1/counterparties/{pk}/", {"notes": "Pays late", "tags": [" DACH ", "dach"]})
    assert patched.status_code == 200 and patched.json()["notes"] == "Pays late" and patched.json()["name"] == "Bolt"
    assert patched.json()["tags"] == ["DACH"]
    kept = api.client.patch(f"/api/v1/counterparties/{pk}/", {"name": "Bolt B.V."}).json()
    assert kept["tags"] == ["DACH"] and kept["notes"] == "Pays late"

    monitored = api.client.put(f"/api/v1/counterparties/{pk}/monitoring/", {"monitoring": "weekly"})
    assert monitored.status_code == 200 and monitored.json()["monitoring"] == "weekly"

    archived = api.client.post(f"/api/v1/counterparties/{pk}/archive/")
    assert archived.status_code == 200 and archived.json()["archived"] and archived.json()["monitoring"] == "off"
    assert api.client.post(f"/api/v1/counterparties/{pk}/restore/").json()["archived"] is False

    trail = CounterpartyChange.objects.filter(counterparty_id=pk)
    assert {change.source for change in trail} == {ChangeSource.API}
    assert {change.actor for change in trail} == {owner.user}
    assert {"created", "edited", "monitoring", "archived", "restored"} <= {change.action for change in trail}


def test_checks_of_a_counterparty_and_the_proof(api):
    counterparty = CounterpartyFactory(workspace=api.workspace)
    result = CheckResultFactory(check_run__counterparty=counterparty, consultation_number="WAPI1")
    response = api.client.get(f"/api/v1/counterparties/{counterparty.pk}/checks/")
    assert response.status_code == 200
    (check,) = response.json()["results"]
    assert check["check_id"] == result.check_run_id and check["evidence"][0]["raw_response"] == "<env:Envelope/>"
    proof = api.client.get(check["proof_url"])
    assert proof.status_code == 200 and proof["Content-Type"] == "application/pdf"
    assert proof.content.startswith(b"%PDF") and "attachment" in proof["Content-Disposition"]
    as_json = api.client.get(check["proof_url"], HTTP_ACCEPT="application/json")
    assert as_json.json()["evidence"][0]["consultation_number"] == "WAPI1"


def test_alerts_are_listed_and_acknowledged_once(api, owner):
    alert = AlertFactory(check_run__counterparty=CounterpartyFactory(workspace=api.workspace))
    AlertFactory()  # another workspace's
    listed = api.client.get("/api/v1/alerts/", {"acknowledged": "false"}).json()["results"]
    assert [row["id"] for row in listed] == [alert.pk]
    first = api.client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"comment": "Supplier blocked in the ERP"})
    assert first.status_code == 200 and first.json()["acknowledged"]
    api.client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"comment": "again"})
    alert.refresh_from_db()
    assert alert.acknowledgement_comment == "Supplier blocked in the ERP" and alert.acknowledged_by == owner.user
    assert api.client.get("/api/v1/alerts/", {"acknowledged": "false"}).json()["results"] == []
