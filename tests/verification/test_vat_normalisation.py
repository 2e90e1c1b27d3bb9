"""normalise_vat: what users paste becomes one canonical number, or a refusal that says why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verification.vat import COUNTRY_CODES, VIES_COUNTRY_CODES, InvalidVatNumber, NormalisedVat, normalise_vat

OK = True
CHECKSUM = False

# (raw input, canonical vat_number, checksum_ok)
ACCEPTED: list[tuple[str, str, bool]] = [
    # One well-formed number per member state (python-stdnum's and registries' published examples).
    ("ATU13585627", "ATU13585627", OK),
    ("BE0403019261", "BE0403019261", OK),
    ("BG175074752", "BG175074752", OK),
    ("CY10259033P", "CY10259033P", OK),
    ("CZ25123891", "CZ25123891", OK),
    ("DE136695976", "DE136695976", OK),
    ("DK13585628", "DK13585628", OK),
    ("EE100594102", "EE100594102", OK),
    ("EL094259216", "EL094259216", OK),
    ("ESB64717838", "ESB64717838", OK),
    ("FI20774740", "FI20774740", OK),
    ("FR40303265045", "FR40303265045", OK),
    ("HR33392005961", "HR33392005961", OK),
    ("HU12892312", "HU12892312", OK),
    ("IE6433435OA", "IE6433435OA", OK),
    ("IT00743110157", "IT00743110157", OK),
    ("LT119511515", "LT119511515", OK),
    ("LU15027442", "LU15027442", OK),
    ("LV40003521600", "LV40003521600", OK),
    ("MT11679112", "MT11679112", OK),
    ("NL004495445B01", "NL004495445B01", OK),
    ("PL8567346215", "PL8567346215", OK),
    ("PT501964843", "PT501964843", OK),
    ("RO18547290", "RO18547290", OK),
    ("SE123456789701", "SE123456789701", OK),
    ("SI50223054", "SI50223054", OK),
    ("SK2022749619", "SK2022749619", OK),
    # Real numbers seen in the VIES samples.
    ("LU26375245", "LU26375245", OK),
    ("NL854265259B01", "NL854265259B01", OK),
    ("IE6388047V", "IE6388047V", OK),
    ("ES B83891812", "ESB83891812", OK),
    # Separators, case, Unicode look-alikes.
    ("DE 136 695 976", "DE136695976", OK),
    ("de136695976", "DE136695976", OK),
    ("DE136.695.976", "DE136695976", OK),
    ("  PL 856-734-62-15  ", "PL8567346215", OK),
    ("FR 40 303 265 045", "FR40303265045", OK),
    ("CZ 25/12/38/91", "CZ25123891", OK),
    ("BE 0403.019.261", "BE0403019261", OK),
    ("DE\u00a0136\u00a0695\u00a0976", "DE136695976", OK),  # NBSP from a web page
    ("DE\u2013136695976", "DE136695976", OK),  # en dash from a word processor
    ("DE\u200b136695976", "DE136695976", OK),  # zero-width space from copy-paste
    ("\uff24\uff25\uff11\uff13\uff16\uff16\uff19\uff15\uff19\uff17\uff16", "DE136695976", OK),  # full-width
    ("\tDE136695976\n", "DE136695976", OK),
    ("nl 004495445 b01", "NL004495445B01", OK),
    ("cy-10259033p", "CY10259033P", OK),
    # Repeated country prefix, as in spreadsheets that add it twice.
    ("DE DE136695976", "DE136695976", OK),
    ("DEDE136695976", "DE136695976", OK),
    ("FRFR40303265045", "FR40303265045", OK),
    ("ATATU13585627", "ATU13585627", OK),
    # Greece: GR as typed, EL for VIES.
    ("GR094259216", "EL094259216", OK),
    ("gr 094 259 216", "EL094259216", OK),
    ("EL GR 094259216", "EL094259216", OK),
    ("GR94259216", "EL094259216", OK),  # old 8-digit form
    # Old short forms padded the way the registries expect.
    ("BE403019261", "BE0403019261", OK),
    ("NL4495445B01", "NL004495445B01", OK),
    # Northern Ireland (UK rules under XI).
    ("XI980780684", "XI980780684", OK),
    ("xi 980 7806 84", "XI980780684", OK),
    ("XIGD123", "XIGD123", OK),
    # Checksum-only failures: still sent to the registry, with a warning.
    ("DE136695978", "DE136695978", CHECKSUM),
    ("ATU13585626", "ATU13585626", CHECKSUM),
    ("FR41303265045", "FR41303265045", CHECKSUM),
    ("IT00743110158", "IT00743110158", CHECKSUM),
    ("PL8567346216", "PL8567346216", CHECKSUM),
    ("NL002455799B11", "NL002455799B11", OK),  # valid under the 2020 mod-97 rule
    ("NL123456789B90", "NL123456789B90", CHECKSUM),
    ("BG175074751", "BG175074751", CHECKSUM),
    ("XI802311781", "XI802311781", CHECKSUM),
    ("EL123456781", "EL123456781", CHECKSUM),
    # Embedded rules (province codes, leading digits) are soft too: they lag behind real numbers.
    ("IT00743111157", "IT00743111157", CHECKSUM),
    ("BE2403019261", "BE2403019261", CHECKSUM),
]

# (raw input, error code)
REFUSED: list[tuple[str | None, str]] = [
    ("", "empty"),
    ("   ", "empty"),
    ("\t\n", "empty"),
    (None, "empty"),
    ("- . /", "empty"),
    ("136695976", "missing_country"),
    ("0403019261", "missing_country"),
    ("US123456789", "unknown_country"),
    ("EU372000041", "unknown_country"),  # non-Union OSS
    ("ZZ123", "unknown_country"),
    ("DE", "invalid_length"),
    ("DE13669597", "invalid_length"),
    ("DE1366959761", "invalid_length"),
    ("AT13585627", "invalid_length"),  # the U is missing
    ("FR4030326504", "invalid_length"),
    ("NL004495445B0", "invalid_format"),
    ("IT0074311015", "invalid_length"),
    ("RO1630615123457", "invalid_length"),  # a CNP cannot be sent to VIES (12 characters at most)
    ("DK1358562", "invalid_length"),
    ("DE" + "1" * 80, "invalid_length"),
    ("DE13669597A", "invalid_format"),
    ("DE036695976", "invalid_format"),  # German numbers do not start with 0
    ("ESB6471783", "invalid_length"),
    ("ES123456789", "invalid_format"),  # Spanish numbers have a letter first or last
    ("CY102590331", "invalid_format"),  # Cypriot numbers end with a letter
    ("SE123456789702", "invalid_format"),  # Swedish numbers end with 01
    ("FRIO334175221", "invalid_format"),  # I and O are not used in the French key
    ("NL004495445X01", "invalid_format"),
    ("DE€136695976", "invalid_format"),
    ("DE136695976™", "invalid_format"),
    ("DE 136 695 976 (GmbH)", "invalid_format"),
    ("DÉ136695976", "invalid_format"),
    ("🇩🇪136695976", "invalid_format"),
    # Arabic-Indic digits are digits, but not ASCII ones.
    ("DE\u0661\u0663\u0666\u0666\u0669\u0665\u0669\u0667\u0666", "invalid_format"),
    ("XIAB123", "invalid_format"),
    ("XI98078068", "invalid_length"),
]


@pytest.mark.parametrize(("raw", "vat_number", "checksum_ok"), ACCEPTED)
def test_accepted(raw: str, vat_number: str, checksum_ok: bool) -> None:
    vat = normalise_vat(raw)
    assert vat.vat_number == vat_number
    assert vat.checksum_ok is checksum_ok
    assert vat.country_code + vat.number == vat_number
    assert bool(vat.warning) is not checksum_ok


@pytest.mark.parametrize(("raw", "code"), REFUSED)
def test_refused(raw: str | None, code: str) -> None:
    with pytest.raises(InvalidVatNumber) as info:
        normalise_vat(raw)  # type: ignore[arg-type]
    assert info.value.code == code
    assert info.value.message


def test_table_is_large_enough() -> None:
    assert len(ACCEPTED) + len(REFUSED) >= 60


def test_unknown_country_message_names_every_prefix_we_check() -> None:
    with pytest.raises(InvalidVatNumber) as info:
        normalise_vat("US123456789")
    assert all(prefix in info.value.message for prefix in ("EL", "XI", "GB", "CHE", "NO"))


def test_length_message_gives_an_example() -> None:
    with pytest.raises(InvalidVatNumber) as info:
        normalise_vat("DE13669597")
    assert "9 digits" in info.value.message and "DE136695976" in info.value.message


def test_every_vies_country_is_covered() -> None:
    greece_and_ni = {"EL", "XI"}
    eu27 = VIES_COUNTRY_CODES - greece_and_ni
    assert len(eu27) == 26 and greece_and_ni <= VIES_COUNTRY_CODES  # 26 + Greece = EU-27
    covered = {normalise_vat(raw).country_code for raw, _, ok in ACCEPTED if ok}
    assert covered == VIES_COUNTRY_CODES


def test_normalised_vat_is_frozen_and_prints_canonically() -> None:
    vat = NormalisedVat("EL", "094259216")
    assert str(vat) == "EL094259216"
    with pytest.raises(AttributeError):
        vat.number = "1"  # type: ignore[misc]


def test_normalising_is_idempotent_for_accepted_numbers() -> None:
    for raw, _, _ in ACCEPTED:
        once = normalise_vat(raw)
        assert normalise_vat(once.vat_number) == once


@given(st.text(max_size=40))
def test_any_text_is_either_normalised_or_refused_with_a_known_code(raw: str) -> None:
    try:
        vat = normalise_vat(raw)
    except InvalidVatNumber as exc:
        assert exc.code in {"empty", "missing_country", "unknown_country", "invalid_length", "invalid_format"}
    else:
        assert vat.country_code in COUNTRY_CODES
        assert vat.number.isascii()
        assert set(vat.number) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+*")
        assert 2 <= len(vat.number) <= 12
