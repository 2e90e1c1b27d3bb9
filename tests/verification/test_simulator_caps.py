"""The simulator refuses a member state's calls above that state's own cap, as VIES does per state."""

from __future__ import annotations

import pytest

from verification.simulator.faults import Fault, FaultInjector


def test_each_state_has_its_own_cap_ahead_of_the_shared_one() -> None:
    injector = FaultInjector(max_concurrent_per_ms=5, max_concurrent_by_ms={"be": 2, "NL": 12})
    assert injector.concurrency_fault(3, 2, "BE") is None
    assert injector.concurrency_fault(3, 3, "BE") is Fault.MS_MAX_CONCURRENT_REQ
    assert injector.concurrency_fault(12, 12, "NL") is None
    assert injector.concurrency_fault(6, 6, "DE") is Fault.MS_MAX_CONCURRENT_REQ  # the shared cap of 5
    assert injector.to_dict()["max_concurrent_by_ms"] == {"BE": 2, "NL": 12}


def test_caps_are_set_at_run_time_and_validated() -> None:
    injector = FaultInjector()
    injector.configure(max_concurrent_by_ms={"DE": 1})
    assert injector.concurrency_fault(2, 2, "DE") is Fault.MS_MAX_CONCURRENT_REQ
    with pytest.raises(ValueError):
        injector.configure(max_concurrent_by_ms={"DE": 0})
    assert injector.concurrency_fault(2, 2, "DE") is Fault.MS_MAX_CONCURRENT_REQ, "a bad request changes nothing"
    injector.reset()
    assert injector.concurrency_fault(2, 2, "DE") is None


def test_the_server_refuses_above_a_states_cap(registry_simulator) -> None:
    import threading

    import requests

    registry_simulator.set_latency(200)
    registry_simulator.faults.configure(max_concurrent_by_ms={"BE": 1})
    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:ec.europa.eu:taxud:vies:services:checkVat:types"><soapenv:Body><urn:checkVat>'
        "<urn:countryCode>{cc}</urn:countryCode><urn:vatNumber>{number}</urn:vatNumber>"
        "</urn:checkVat></soapenv:Body></soapenv:Envelope>"
    )
    answers: list[str] = []

    def call(cc: str, number: str) -> None:
        response = requests.post(
            registry_simulator.service_url,
            data=envelope.format(cc=cc, number=number),
            headers={"Content-Type": "text/xml"},
            timeout=5,
        )
        answers.append(f"{cc} {'refused' if 'MS_MAX_CONCURRENT_REQ' in response.text else 'answered'}")

    threads = [threading.Thread(target=call, args=args) for args in [("BE", "0123"), ("BE", "0124"), ("DE", "12")]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["BE answered", "BE refused", "DE answered"]
