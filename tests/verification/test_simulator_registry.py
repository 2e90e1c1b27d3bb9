"""Registry, scheduled changes, fault injection and wire values of the simulator, without HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from stdnum.eu import vat as eu_vat

from verification.simulator import DEFAULT_FIXTURE, Fault, FaultInjector, Latency, Registry
from verification.simulator.registry import MEMBER_STATES, NATIONAL_REGISTRIES, normalise_vat, parse_when
from verification.simulator.soap import ConsultationNumbers, match_code, request_date
from verification.vat import normalise_vat as normalise_vat_number

T = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


def test_default_fixture_spans_member_states_with_withholding_and_invalid_numbers() -> None:
    registry = Registry.default()
    states = [registry.lookup(vat) for vat in registry.numbers()]
    assert len(states) >= 30
    countries = {state.country_code for state in states}
    assert {"EL", "XI", "DE", "ES"} <= countries and countries <= MEMBER_STATES | NATIONAL_REGISTRIES
    assert countries >= NATIONAL_REGISTRIES
    assert len(countries) >= 25
    assert {s.country_code for s in states if s.withhold} == {"DE", "ES"}
    assert sum(not s.valid for s in states) >= 4
    assert registry.pending_changes() and registry.faults()


def test_default_fixture_numbers_pass_their_checksums() -> None:
    numbers = Registry.default().numbers()
    assert [n for n in numbers if n[:2] not in NATIONAL_REGISTRIES and not eu_vat.is_valid(n)] == []
    assert [n for n in numbers if n[:2] in NATIONAL_REGISTRIES and not normalise_vat_number(n).checksum_ok] == []


def test_lookup_normalises_spelling_and_unknown_numbers_are_none() -> None:
    registry = Registry()
    registry.add("gr 095.028.842", "Aegean", "Athens")
    assert normalise_vat("GR095028842") == "EL095028842"
    assert registry.lookup("EL-095-028-842").name == "Aegean"
    assert registry.lookup("EL000000000") is None
    with pytest.raises(ValueError, match="member state"):
        registry.add("US123456789", "Not in VIES")


def test_national_registries_key_by_the_entity_without_language_or_mva_suffix() -> None:
    registry = Registry()
    registry.add("CHE-113.552.284 MWST", "Muster AG", "Bahnhofstrasse 1\n8001 Zürich")
    registry.add("NO 995 525 828 MVA", "Norsk AS", "Gate 1\n0161 OSLO", deleted=True)
    registry.add("GB980780684", "Acme UK Ltd")
    assert registry.lookup("CHE113552284TVA").name == "Muster AG"
    assert registry.lookup("NO995525828").deleted is True
    assert registry.numbers() == ["CHE113552284", "GB980780684", "NO995525828"]


def test_address_derived_from_street_postcode_city() -> None:
    state = Registry().add("ATU12345678", "X", street="Ring 1", postcode="1010", city="Wien")
    assert state.address == "Ring 1\n1010 Wien"


def test_scheduled_changes_take_effect_at_t() -> None:
    registry = Registry()
    registry.add("NL800067460B01", "Van Dijk B.V.", "Rotterdam")
    registry.schedule("NL800067460B01", at=T, valid=False)
    registry.schedule("NL800067460B01", at=T + timedelta(days=1), name="Van Dijk Holding B.V.")
    registry.schedule("IT04394540043", at=T, valid=True, name="Nuova S.r.l.")  # unknown: invalid until T
    with time_machine.travel(T - timedelta(microseconds=1), tick=False):
        assert registry.lookup("NL800067460B01").valid is True
        assert registry.lookup("IT04394540043").valid is False
    with time_machine.travel(T, tick=False):
        assert registry.lookup("NL800067460B01").valid is False
        assert registry.lookup("NL800067460B01").name == "Van Dijk B.V."
        assert registry.lookup("IT04394540043").name == "Nuova S.r.l."
    assert registry.lookup("NL800067460B01", at=T + timedelta(days=2)).name == "Van Dijk Holding B.V."
    with pytest.raises(ValueError, match="cannot schedule"):
        registry.schedule("NL800067460B01", at=T, colour="red")


def test_relative_and_naive_times() -> None:
    with time_machine.travel(T, tick=False):
        assert parse_when("+90s") == T + timedelta(seconds=90)
        assert parse_when("1d") == T + timedelta(days=1)
    assert parse_when("2031-03-01T12:00:00") == T
    assert parse_when("2031-03-01T13:00:00+01:00") == T
    with time_machine.travel(T, tick=False):
        registry = Registry.default()  # fixture "+1d" counts from load time
    change = registry.pending_changes("NL800067460B01")[0]
    assert change.at == T + timedelta(days=1) and dict(change.changes) == {"valid": False}


def test_fixture_file_round_trip_and_reset(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            {
                "companies": [
                    {
                        "vat": "DE175782214",
                        "name": "N",
                        "street": "S 1",
                        "postcode": "1",
                        "city": "C",
                        "withhold": True,
                    },
                    {"vat": "FR04081193427", "name": "B", "address": "Lille", "fault": {"code": "TIMEOUT", "times": 1}},
                ],
                "changes": [{"vat": "DE175782214", "at": "2031-03-01T12:00:00Z", "valid": False}],
                "faults": {"CY": "MS_UNAVAILABLE"},
            }
        )
    )
    registry = Registry.from_file(path)
    assert registry.lookup("DE175782214").withhold is True
    assert registry.lookup("DE175782214", at=T).valid is False
    assert registry.take_fault("CY", "62701515S") is Fault.MS_UNAVAILABLE  # member-state rule
    assert registry.take_fault("FR", "04081193427") is Fault.TIMEOUT
    assert registry.take_fault("FR", "04081193427") is None  # times=1 used up
    registry.add("SI17355915", "Triglav")
    registry.remove("DE175782214")
    registry.reset()
    assert "SI17355915" not in registry and "DE175782214" in registry
    assert registry.take_fault("FR", "04081193427") is Fault.TIMEOUT
    assert Registry.from_file(DEFAULT_FIXTURE).to_dict()["companies"]


def test_fault_rate_is_roughly_as_configured_and_repeatable() -> None:
    injector = FaultInjector(fault_rate=0.3, seed=42)
    draws = [injector.random_fault() for _ in range(5000)]
    assert 0.27 < sum(d is not None for d in draws) / len(draws) < 0.33
    assert {d for d in draws if d} <= set(injector.codes)
    injector.configure(seed=42)
    assert [injector.random_fault() for _ in range(5000)] == draws
    assert FaultInjector().random_fault() is None
    with pytest.raises(ValueError):
        injector.configure(fault_rate=1.5)
    with pytest.raises(ValueError):
        injector.configure(codes=["NOT_A_CODE"])
    assert injector.fault_rate == 0.3  # a rejected configuration changes nothing


def test_latency_parsing_and_sampling() -> None:
    assert Latency.parse("50") == Latency(50, 50)
    assert Latency.parse("20-200") == Latency(20, 200)
    assert Latency.parse([5, 10]) == Latency(5, 10)
    assert Latency.parse(None) == Latency()
    with pytest.raises(ValueError):
        Latency.parse("200-20")
    injector = FaultInjector(latency="20-40", seed=1)
    samples = [injector.latency_seconds() for _ in range(200)]
    assert all(0.020 <= s <= 0.040 for s in samples) and len(set(samples)) > 100
    assert FaultInjector(latency=50).latency_seconds() == 0.05


def test_concurrency_caps() -> None:
    injector = FaultInjector(max_concurrent=10, max_concurrent_per_ms=2)
    assert injector.concurrency_fault(3, 2) is None
    assert injector.concurrency_fault(3, 3) is Fault.MS_MAX_CONCURRENT_REQ
    assert injector.concurrency_fault(11, 1) is Fault.GLOBAL_MAX_CONCURRENT_REQ


@pytest.mark.parametrize(
    "moment,expected",
    [
        (datetime(2024, 2, 9, 10, tzinfo=UTC), "2024-02-09+01:00"),
        (datetime(2022, 8, 12, 23, 30, tzinfo=UTC), "2022-08-13+02:00"),  # already the 13th in Brussels
        (datetime(2025, 3, 30, 0, 59, tzinfo=UTC), "2025-03-30+01:00"),  # summer time starts 01:00 UTC
        (datetime(2025, 3, 30, 1, 0, tzinfo=UTC), "2025-03-30+02:00"),
        (datetime(2025, 10, 26, 1, 0, tzinfo=UTC), "2025-10-26+01:00"),
    ],
)
def test_request_date_is_brussels_date_with_offset(moment: datetime, expected: str) -> None:
    assert request_date(moment) == expected


def test_match_codes() -> None:
    assert match_code("Rodrisa Automoviles", "RODRISA AUTOMÓVILES S.L.", name=True) == "1"
    assert match_code("Rodrisa", "RODRISA AUTOMOVILES SL", name=True) == "2"
    assert match_code("28430", "28430") == "1"
    assert match_code("Madrid", "Alpedrete") == "2"
    assert match_code("", "Madrid") == "3"
    assert match_code(None, "Madrid") == "3"
    assert match_code("Madrid", None) == "3"


def test_consultation_numbers_are_unique_deterministic_and_vies_shaped() -> None:
    numbers = [ConsultationNumbers(seed=1).next() for _ in range(2)]
    assert numbers[0] == numbers[1]
    generator = ConsultationNumbers(seed=1)
    many = [generator.next() for _ in range(20_000)]
    assert len(set(many)) == len(many)
    assert all(len(n) == 16 and n.startswith("WAPIAAAA") and n[8:].isalpha() for n in many[:100])
