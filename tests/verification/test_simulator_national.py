"""The simulator's HMRC, UID register and Brønnøysund endpoints at the wire, with plain HTTP: what a
client that gets the protocol wrong meets, as it would at the real registries."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from verification.simulator import SimulatorServer

ACCEPT = {"Accept": "application/vnd.hmrc.2.0+json"}
LOOKUP = "/hmrc/organisations/vat/check-vat-number/lookup/844573897"
UID = "/uid/V5.0/PublicServices.svc"


@pytest.fixture
def sim(registry_simulator: SimulatorServer) -> SimulatorServer:
    return registry_simulator


def _token(sim: SimulatorServer) -> str:
    data = {"grant_type": "client_credentials", "client_id": "a", "client_secret": "b", "scope": "read:vat"}
    answer = requests.post(sim.base_url + "/hmrc/oauth/token", data=data, timeout=5)
    assert answer.status_code == 200 and answer.json()["expires_in"] == 14400
    return answer.json()["access_token"]


def test_hmrc_needs_credentials_a_token_and_the_v2_accept_header(sim: SimulatorServer) -> None:
    refused = requests.post(sim.base_url + "/hmrc/oauth/token", data={"grant_type": "client_credentials"}, timeout=5)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    assert requests.get(sim.base_url + LOOKUP, headers=ACCEPT, timeout=5).status_code == 401
    auth = {"Authorization": f"Bearer {_token(sim)}"}
    assert requests.get(sim.base_url + LOOKUP, headers=auth, timeout=5).status_code == 406
    answer = requests.get(sim.base_url + LOOKUP, headers={**ACCEPT, **auth}, timeout=5)
    assert answer.status_code == 200 and answer.json()["target"]["vatNumber"] == "844573897"
    assert requests.get(sim.base_url + LOOKUP + "0", headers={**ACCEPT, **auth}, timeout=5).status_code == 400


def test_revoked_hmrc_tokens_are_refused(sim: SimulatorServer) -> None:
    auth = {"Authorization": f"Bearer {_token(sim)}", **ACCEPT}
    assert requests.delete(sim.control_url + "/hmrc/tokens", timeout=5).json() == {"revoked": 1}
    assert requests.get(sim.base_url + LOOKUP, headers=auth, timeout=5).status_code == 401


def test_the_uid_endpoint_speaks_soap_11_only(sim: SimulatorServer) -> None:
    wsdl = requests.get(sim.base_url + UID + "?wsdl", timeout=5)
    address = etree.fromstring(wsdl.content).find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == sim.base_url + UID
    json_body = requests.post(sim.base_url + UID, json={"vatNumber": "CHE993738919"}, timeout=5)
    assert json_body.status_code == 415
    garbage = requests.post(sim.base_url + UID, data=b"<nope/>", headers={"Content-Type": "text/xml"}, timeout=5)
    assert garbage.status_code == 500 and b"ActionNotSupported" in garbage.content
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<ValidateVatNumber xmlns="http://www.uid.admin.ch/xmlns/uid-wse"><vatNumber>CHE-993.738.91</vatNumber>'
        "</ValidateVatNumber></s:Body></s:Envelope>"
    )
    bad_uid = requests.post(sim.base_url + UID, data=envelope, headers={"Content-Type": "text/xml"}, timeout=5)
    assert bad_uid.status_code == 500 and b"Data_validation_failed" in bad_uid.content


def test_brreg_answers_json_for_nine_digits_only(sim: SimulatorServer) -> None:
    base = sim.base_url + "/brreg/enhetsregisteret/api/enheter/"
    assert requests.get(base + "966567031", timeout=5).json()["registrertIMvaregisteret"] is True
    assert "slettedato" in requests.get(base + "949384225", timeout=5).json()
    assert requests.get(base + "96656703", timeout=5).status_code == 400
    assert requests.post(base + "966567031", timeout=5).status_code == 405


def test_the_control_api_schedules_and_faults_national_numbers(sim: SimulatorServer) -> None:
    base = sim.base_url + "/brreg/enhetsregisteret/api/enheter/966567031"
    change = {"vat": "NO 966 567 031 MVA", "at": "2000-01-01T00:00:00Z", "deleted": True}
    assert requests.post(sim.control_url + "/changes", json=change, timeout=5).status_code == 201
    assert "slettedato" in requests.get(base, timeout=5).json()
    rule = {"vat": "CHE-993.738.919 MWST", "code": "MS_MAX_CONCURRENT_REQ", "times": 1}
    assert requests.post(sim.control_url + "/faults", json=rule, timeout=5).status_code == 200
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<ValidateVatNumber xmlns="http://www.uid.admin.ch/xmlns/uid-wse"><vatNumber>CHE-993.738.919 MWST</vatNumber>'
        "</ValidateVatNumber></s:Body></s:Envelope>"
    )
    post = {"data": envelope, "headers": {"Content-Type": "text/xml"}, "timeout": 5}
    assert b"Request_limit_exceeded" in requests.post(sim.base_url + UID, **post).content
    assert b"ValidateVatNumberResult>true<" in requests.post(sim.base_url + UID, **post).content, "once only"
