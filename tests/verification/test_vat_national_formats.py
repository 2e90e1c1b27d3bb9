"""The formats of the countries outside VIES, table-tested: GB (HMRC), CHE (UID register), NO (Brønnøysund)."""

from __future__ import annotations

import pytest

from verification.registries import issues_consultation_numbers, registry_for
from verification.vat import InvalidVatNumber, normalise_vat

OK, CHECKSUM = True, False

ACCEPTED = [
    # United Kingdom: 9 digits, 12 digits (a branch), GD (government department) and HA (health authority).
    ("GB980780684", "GB980780684", OK),
    ("gb 980 7806 84", "GB980780684", OK),
    ("GB 980 7806 84 000", "GB980780684000", OK),
    ("GB980780684001", "GB980780684001", OK),
    ("GBGD001", "GBGD001", OK),
    ("gb gd 123", "GBGD123", OK),
    ("GBHA500", "GBHA500", OK),
    ("GB GB980780684", "GB980780684", OK),
    ("GB123456789", "GB123456789", CHECKSUM),
    ("GBGD999", "GBGD999", CHECKSUM),  # GD numbers run below 500: an embedded rule, soft
    ("GBHA100", "GBHA100", CHECKSUM),  # HA numbers run from 500
    # Switzerland: CHE and 9 digits, with or without MWST (German), TVA (French) or IVA (Italian).
    ("CHE-113.552.284 MWST", "CHE113552284", OK),
    ("CHE-113.552.284 TVA", "CHE113552284", OK),
    ("CHE-113.552.284 IVA", "CHE113552284", OK),
    ("che113552284mwst", "CHE113552284", OK),
    ("CHE 113 552 284", "CHE113552284", OK),
    ("CHE-113.552.284", "CHE113552284", OK),
    ("CHE CHE-113.552.284 MWST", "CHE113552284", OK),
    ("CHE-116.281.710 MWST", "CHE116281710", OK),
    ("CH 113 552 284", "CHE113552284", OK),  # a "CH" country column before a bare UID
    ("CHE-113.552.285 MWST", "CHE113552285", CHECKSUM),
    # Norway: the 9-digit organisation number and MVA; MVA is added when it is missing.
    ("NO995525828MVA", "NO995525828MVA", OK),
    ("NO 995 525 828 MVA", "NO995525828MVA", OK),
    ("no995525828mva", "NO995525828MVA", OK),
    ("NO995525828", "NO995525828MVA", OK),
    ("NO NO995525828MVA", "NO995525828MVA", OK),
    ("NO974760673MVA", "NO974760673MVA", OK),
    ("NO995525829MVA", "NO995525829MVA", CHECKSUM),
]

REFUSED = [
    ("GB98078068", "invalid_length"),
    ("GB9807806840", "invalid_length"),
    ("GBGD1234", "invalid_length"),
    ("GBXX123", "invalid_format"),
    ("GB", "invalid_length"),
    ("CHX113552284", "invalid_format"),  # the UID starts with CHE
    ("CHE-113.552.28 MWST", "invalid_length"),
    ("CHE-113.552.2845", "invalid_length"),
    ("CHE-113.552.284 VAT", "invalid_format"),
    ("CHE", "invalid_length"),
    ("NO99552582MVA", "invalid_length"),
    ("NO9955258281", "invalid_length"),
    ("NO995525828XYZ", "invalid_format"),
    ("NO", "invalid_length"),
]


@pytest.mark.parametrize(("raw", "vat_number", "checksum_ok"), ACCEPTED)
def test_accepted(raw: str, vat_number: str, checksum_ok: bool) -> None:
    vat = normalise_vat(raw)
    assert (vat.vat_number, vat.checksum_ok) == (vat_number, checksum_ok)
    assert bool(vat.warning) is not checksum_ok
    assert normalise_vat(vat.vat_number) == vat, "the canonical form normalises to itself"


@pytest.mark.parametrize(("raw", "code"), REFUSED)
def test_refused(raw: str, code: str) -> None:
    with pytest.raises(InvalidVatNumber) as info:
        normalise_vat(raw)
    assert info.value.code == code
    assert info.value.message


def test_swiss_numbers_keep_the_uid_as_number_and_che_as_prefix() -> None:
    vat = normalise_vat("CHE-113.552.284 TVA")
    assert (vat.country_code, vat.prefix, vat.number) == ("CH", "CHE", "113552284")


@pytest.mark.parametrize(
    ("raw", "registry"),
    [
        ("GB980780684", "hmrc"),
        ("XI980780684", "vies"),
        ("CHE-113.552.284 MWST", "uid"),
        ("NO995525828MVA", "brreg"),
        ("DE136695976", "vies"),
        ("EL094259216", "vies"),
    ],
)
def test_routing_is_by_prefix(raw: str, registry: str) -> None:
    assert registry_for(normalise_vat(raw)).name == registry


def test_only_vies_and_hmrc_issue_consultation_numbers() -> None:
    assert [s for s in ("vies", "hmrc", "uid", "brreg", "format") if issues_consultation_numbers(s)] == ["vies", "hmrc"]
