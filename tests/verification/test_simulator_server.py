"""The simulator over HTTP: transport errors, latency, hangs, concurrency caps, scheduled changes at T, the
control API, the pytest fixtures and the management command."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import time_machine
import zeep
from zeep.exceptions import Fault as ZeepFault
from zeep.exceptions import TransportError
from zeep.transports import Transport

from verification.simulator import Fault, Registry, SimulatorServer

REPO = Path(__file__).resolve().parents[2]
XML = {"Content-Type": "text/xml;charset=UTF-8"}


def envelope(country: str, number: str, operation: str = "checkVat", extra: str = "") -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:ec.europa.eu:taxud:vies:services:checkVat:types"><soapenv:Body>'
        f"<urn:{operation}><urn:countryCode>{country}</urn:countryCode><urn:vatNumber>{number}</urn:vatNumber>"
        f"{extra}</urn:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()


def post(sim: SimulatorServer, body: bytes, timeout: float = 5) -> requests.Response:
    return requests.post(sim.service_url, data=body, headers=XML, timeout=timeout)


def client(sim: SimulatorServer, **transport: float) -> zeep.Client:
    return zeep.Client(sim.wsdl_url, transport=Transport(**transport) if transport else None)


# --- requests that are not a VIES call -----------------------------------------------------------
def test_non_soap_requests_get_http_errors(registry_simulator: SimulatorServer) -> None:
    sim = registry_simulator
    assert requests.get(sim.service_url, timeout=5).status_code == 405
    assert requests.get(sim.service_url + "?wsdl", timeout=5).text.count("checkVatApprox") >= 2
    as_json = requests.post(sim.service_url, json={"countryCode": "DE"}, timeout=5)
    assert as_json.status_code == 415
    soap12 = requests.post(
        sim.service_url, data=envelope("DE", "175782214"), headers={"Content-Type": "application/soap+xml"}, timeout=5
    )
    assert soap12.status_code == 415
    assert requests.get(sim.base_url + "/nowhere", timeout=5).status_code == 404
    big = requests.post(sim.service_url, data=b"x" * (1024 * 1024 + 1), headers=XML, timeout=5)
    assert big.status_code == 413
    assert sim.stats.snapshot()["other"]["rejected"] == 4


@pytest.mark.parametrize(
    "body,faultcode",
    [
        (b"this is not xml", "env:Client"),
        (b'<a xmlns="urn:x"/>', "env:Client"),
        (envelope("DE", "1", operation="checkVatNumber"), "env:Client"),
        (
            b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>',
            "env:VersionMismatch",
        ),
    ],
)
def test_malformed_envelopes_get_client_faults(
    registry_simulator: SimulatorServer, body: bytes, faultcode: str
) -> None:
    response = post(registry_simulator, body)
    assert response.status_code == 500
    assert f"<faultcode>{faultcode}</faultcode>" in response.text


def test_missing_or_malformed_input_is_invalid_input(registry_simulator: SimulatorServer) -> None:
    for country, number in [("DE", ""), ("", "175782214"), ("DE", "1"), ("DE", "ABC-DEF"), ("XX", "123456")]:
        response = post(registry_simulator, envelope(country, number))
        assert (response.status_code, "<faultstring>INVALID_INPUT</faultstring>" in response.text) == (500, True)
    assert post(registry_simulator, envelope("DE", " 175 782 214 ")).status_code == 200  # spaces are tolerated


def test_wsdl_is_rendered_with_the_requests_host(registry_simulator: SimulatorServer) -> None:
    wsdl = requests.get(registry_simulator.wsdl_url, headers={"Host": "vies.example:9000"}, timeout=5).text
    assert 'location="http://vies.example:9000/vies/services/checkVatService"' in wsdl
    aliased = requests.get(registry_simulator.base_url + "/taxation_customs/vies/checkVatService.wsdl", timeout=5)
    assert aliased.status_code == 200


# --- transport faults, latency, concurrency ------------------------------------------------------
def test_html_503_and_bad_xml(registry_simulator: SimulatorServer) -> None:
    sim = registry_simulator
    sim.set_fault("SI", Fault.HTML_503)
    page = post(sim, envelope("SI", "17355915"))
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    with pytest.raises(TransportError) as info:
        client(sim).service.checkVat(countryCode="SI", vatNumber="17355915")
    assert info.value.status_code == 503
    sim.set_fault("SI", Fault.BAD_XML)
    with pytest.raises(TransportError, match="invalid XML") as info:
        client(sim).service.checkVat(countryCode="SI", vatNumber="17355915")
    assert info.value.status_code == 200
    sim.set_fault("SI", None)
    assert client(sim).service.checkVat(countryCode="SI", vatNumber="17355915").valid is True


def test_hang_trips_the_client_read_timeout(registry_simulator: SimulatorServer) -> None:
    sim = registry_simulator
    sim.set_fault("FI03934976", Fault.HANG, times=1)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        client(sim, operation_timeout=0.3).service.checkVat(countryCode="FI", vatNumber="03934976")
    assert 0.3 <= time.monotonic() - started < 2
    assert client(sim).service.checkVat(countryCode="FI", vatNumber="03934976").valid is True  # times=1


def test_latency_is_applied(registry_simulator: SimulatorServer) -> None:
    sim = registry_simulator
    body = envelope("AT", "U72943648")
    post(sim, body)  # warm up the connection path
    sim.set_latency(120)
    started = time.monotonic()
    assert post(sim, body).status_code == 200
    assert time.monotonic() - started >= 0.12
    sim.set_latency("40-60")
    started = time.monotonic()
    post(sim, body)
    assert 0.04 <= time.monotonic() - started < 0.5


def test_random_faults_follow_rate_and_seed(registry_simulator: SimulatorServer) -> None:
    sim = registry_simulator
    body = envelope("HR", "34098372687")

    def run() -> list[int]:
        sim.set_fault_rate(0.5, seed=3, codes=["MS_UNAVAILABLE", "TIMEOUT"])
        return [post(sim, body).status_code for _ in range(40)]

    first = run()
    assert 10 <= first.count(500) <= 30
    assert run() == first  # same seed, same sequence of failures
    stats = sim.stats.snapshot()["by_operation"]["checkVat"]
    assert set(stats) <= {"valid", "MS_UNAVAILABLE", "TIMEOUT"}
    assert stats["valid"] == 2 * first.count(200)


def test_concurrency_caps_and_max_concurrent_statistic() -> None:
    with SimulatorServer(latency=150, max_concurrent_per_ms=2) as sim:
        results: list[str] = []

        def call() -> None:
            text = post(sim, envelope("DE", "175782214")).text
            results.append("MS_MAX_CONCURRENT_REQ" if "MS_MAX_CONCURRENT_REQ" in text else "ok")

        threads = [threading.Thread(target=call) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        snapshot = sim.stats.snapshot()
    assert results.count("ok") >= 2 and results.count("MS_MAX_CONCURRENT_REQ") >= 1
    assert snapshot["max_concurrent"] >= 3 and snapshot["max_concurrent_by_country"]["DE"] >= 3
    assert snapshot["in_flight"] == 0


def test_test_service_endpoint_knows_only_the_test_numbers(registry_simulator: SimulatorServer) -> None:
    test_service = client(registry_simulator).create_service(
        "{urn:ec.europa.eu:taxud:vies:services:checkVat}checkVatBinding", registry_simulator.test_service_url
    )
    assert test_service.checkVat(countryCode="CZ", vatNumber="100").name == "John Doe"
    with pytest.raises(ZeepFault, match=r"^SERVICE_UNAVAILABLE$"):
        test_service.checkVat(countryCode="LU", vatNumber="80790754")  # real number: not on the test service


# --- scheduled changes, over the wire ------------------------------------------------------------
def test_scheduled_changes_take_effect_at_t(registry_simulator: SimulatorServer) -> None:
    sim = registry_simulator
    when = datetime(2031, 7, 1, 12, 0, tzinfo=UTC)
    sim.registry.schedule("NL611313893B01", at=when, valid=False)
    sim.registry.schedule("LU80790754", at=when, name="MOSELLE GLOBAL FUND SERVICES S.A R.L.", address="Kirchberg")
    service = client(sim).service
    with time_machine.travel(when - timedelta(seconds=1), tick=False):
        assert service.checkVat(countryCode="NL", vatNumber="611313893B01").valid is True
        assert service.checkVat(countryCode="LU", vatNumber="80790754").name == "MOSELLE FUND SERVICES S.A R.L."
    with time_machine.travel(when, tick=False):
        assert service.checkVat(countryCode="NL", vatNumber="611313893B01").valid is False
        renamed = service.checkVat(countryCode="LU", vatNumber="80790754")
        assert (renamed.name, renamed.address) == ("MOSELLE GLOBAL FUND SERVICES S.A R.L.", "Kirchberg")
        raw = post(sim, envelope("LU", "80790754")).text
        assert "<ns2:requestDate>2031-07-01+02:00</ns2:requestDate>" in raw


# --- control API --------------------------------------------------------------------------------
def test_control_api(registry_simulator: SimulatorServer) -> None:
    sim = registry_simulator
    api = sim.control_url
    health = requests.get(api + "/health", timeout=5).json()
    assert health["status"] == "ok" and health["companies"] == len(Registry.default())

    company = {"vat": "SK2096990159", "name": "Dunaj Soft s.r.o.", "street": "Mlynské nivy 5", "postcode": "821 09"}
    assert requests.post(api + "/companies", json=company, timeout=5).status_code == 201
    assert requests.get(api + "/companies/SK2096990159", timeout=5).json()["name"] == "Dunaj Soft s.r.o."
    assert requests.get(api + "/companies/SK0000000000", timeout=5).status_code == 404
    service = client(sim).service
    assert service.checkVat(countryCode="SK", vatNumber="2096990159").valid is True

    change = {"vat": "SK2096990159", "at": "2031-01-01T00:00:00Z", "valid": False}
    assert requests.post(api + "/changes", json=change, timeout=5).status_code == 201
    assert requests.get(api + "/companies/SK2096990159?at=2031-01-02T00:00:00Z", timeout=5).json()["valid"] is False
    with time_machine.travel(datetime(2031, 1, 1, tzinfo=UTC), tick=False):
        assert service.checkVat(countryCode="SK", vatNumber="2096990159").valid is False
    due_now = {"changes": [{"vat": "SK2096990159", "at": "+0s", "name": "Dunaj Soft a.s."}]}
    requests.post(api + "/changes", json=due_now, timeout=5)
    assert service.checkVat(countryCode="SK", vatNumber="2096990159").name == "Dunaj Soft a.s."

    rule = {"vat": "SK2096990159", "code": "MS_UNAVAILABLE", "times": 1}
    assert requests.post(api + "/faults", json=rule, timeout=5).json()["rules"]["SK2096990159"]["times"] == 1
    with pytest.raises(ZeepFault, match=r"^MS_UNAVAILABLE$"):
        service.checkVat(countryCode="SK", vatNumber="2096990159")
    assert service.checkVat(countryCode="SK", vatNumber="2096990159").valid is True
    configured = requests.post(api + "/faults", json={"fault_rate": 0.25, "seed": 9, "latency_ms": "1-2"}, timeout=5)
    assert configured.json()["fault_rate"] == 0.25 and configured.json()["latency"] == {"min_ms": 1, "max_ms": 2}
    assert requests.post(api + "/faults", json={"fault_rate": 2}, timeout=5).status_code == 400
    assert requests.post(api + "/faults", json={"rules": {"DE": "NOPE"}}, timeout=5).status_code == 400
    assert requests.post(api + "/faults", data=b"{not json", timeout=5).status_code == 400

    stats = requests.get(api + "/stats", timeout=5).json()
    assert stats["by_operation"]["checkVat"]["MS_UNAVAILABLE"] == 1 and stats["requests"] >= 5
    assert requests.post(api + "/reset", timeout=5).json()["status"] == "reset"
    assert requests.get(api + "/companies/SK2096990159", timeout=5).status_code == 404
    after = requests.get(api + "/faults", timeout=5).json()
    assert after["fault_rate"] == 0 and "SK2096990159" not in after["rules"]
    assert requests.get(api + "/stats", timeout=5).json()["requests"] == 0
    assert requests.delete(api + "/companies/DE175782214", timeout=5).status_code == 200
    assert requests.put(api + "/reset", timeout=5).status_code == 405


def test_control_api_can_be_disabled() -> None:
    with SimulatorServer(control=False) as sim:
        assert requests.get(sim.control_url + "/health", timeout=5).status_code == 404


# --- pytest fixtures -----------------------------------------------------------------------------
def test_session_simulator_is_shared_and_reset_after_use_1(registry_simulator_session: SimulatorServer) -> None:
    registry_simulator_session.registry.add("SI82959528", "Bled Turizem d.o.o.", "Bled")
    registry_simulator_session.set_fault_rate(1.0)
    assert "SI82959528" in registry_simulator_session.registry


def test_session_simulator_is_shared_and_reset_after_use_2(registry_simulator_session: SimulatorServer) -> None:
    assert "SI82959528" not in registry_simulator_session.registry
    assert registry_simulator_session.faults.fault_rate == 0
    assert client(registry_simulator_session).service.checkVat(countryCode="DE", vatNumber="175782214").valid


def test_vies_settings_point_at_the_simulator(vies_settings: SimulatorServer) -> None:
    from django.conf import settings

    assert vies_settings.wsdl_url == settings.VIES_WSDL_URL
    assert vies_settings.service_url == settings.VIES_SERVICE_URL
    reply = zeep.Client(settings.VIES_WSDL_URL).service.checkVat(countryCode="EL", vatNumber="095028842")
    assert reply.valid is True


# --- management command --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "entry_point",
    [["manage.py", "registry_simulator"], ["-m", "verification.simulator"]],
    ids=["manage.py", "python -m"],
)
def test_command_serves_and_stops_on_sigterm(entry_point: list[str]) -> None:
    command = [sys.executable, *entry_point, "--port", "0", "--latency-ms", "1-3", "--seed", "1"]
    # DJANGO_SETTINGS_MODULE comes from pytest-django; the command needs no database, only a key.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("SECRET_KEY", "registry-simulator-test")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", first)
        assert match, first + process.stdout.read(2000)
        base = match.group(1)
        assert requests.get(base + "/_sim/health", timeout=5).json()["status"] == "ok"
        answer = requests.post(
            base + "/vies/services/checkVatService", data=envelope("DE", "175782214"), headers=XML, timeout=5
        )
        assert "<ns2:valid>true</ns2:valid>" in answer.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    assert re.search(r"POST /vies/services/checkVatService 200 checkVat DE175782214 valid", output), output
    assert "Registry simulator stopped." in output
