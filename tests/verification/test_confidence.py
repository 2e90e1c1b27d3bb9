"""The confidence score: the documented table, bounds, monotonicity, and the ordering of statuses."""

from __future__ import annotations

import itertools

import pytest

from verification.confidence import confidence_score
from verification.matching import Agreement, address_agreement, name_agreement, name_tokens
from verification.verdicts import Status

M, U, X = Agreement.MATCH, Agreement.UNKNOWN, Agreement.MISMATCH

CASES = [
    # (status, registry answered, format ok, checksum ok, name, address, consultation number, score)
    (Status.VALID, True, True, True, M, M, True, 100),
    (Status.VALID, True, True, True, M, M, False, 90),
    (Status.VALID, True, True, True, U, U, False, 77),
    (Status.VALID, True, True, True, U, U, True, 87),
    (Status.VALID, True, True, False, U, U, False, 67),
    (Status.VALID, True, True, True, X, X, False, 70),
    (Status.VALID, True, True, False, X, X, False, 60),
    (Status.INVALID, True, True, True, U, U, False, 85),
    (Status.INVALID, True, True, True, U, U, True, 90),
    (Status.INVALID, True, True, False, U, U, False, 95),
    (Status.INVALID, True, True, False, U, U, True, 100),
    (Status.INVALID, False, False, False, U, U, False, 95),
    (Status.UNVERIFIED, False, True, True, U, U, False, 20),
    (Status.UNVERIFIED, False, True, False, U, U, False, 10),
    (Status.ERROR, False, True, True, M, M, True, 0),
]


@pytest.mark.parametrize(("status", "answered", "fmt", "checksum", "name", "address", "consult", "score"), CASES)
def test_documented_cases(
    status: Status,
    answered: bool,
    fmt: bool,
    checksum: bool,
    name: Agreement,
    address: Agreement,
    consult: bool,
    score: int,
) -> None:
    assert (
        confidence_score(
            status=status,
            registry_answered=answered,
            format_ok=fmt,
            checksum_ok=checksum,
            name=name,
            address=address,
            consultation_number=consult,
        )
        == score
    )


def _all_scores(status: Status) -> dict[tuple, int]:
    scores = {}
    for answered, fmt, checksum, name, address, consult in itertools.product(
        [True, False], [True, False], [True, False], [X, U, M], [X, U, M], [False, True]
    ):
        key = (answered, fmt, checksum, name, address, consult)
        scores[key] = confidence_score(
            status=status,
            registry_answered=answered,
            format_ok=fmt,
            checksum_ok=checksum,
            name=name,
            address=address,
            consultation_number=consult,
        )
    return scores


@pytest.mark.parametrize("status", list(Status))
def test_bounds(status: Status) -> None:
    assert all(0 <= s <= 100 for s in _all_scores(status).values())


def test_valid_is_monotone_in_every_piece_of_evidence() -> None:
    order = {X: 0, U: 1, M: 2}
    scores = _all_scores(Status.VALID)
    for (answered, fmt, checksum, name, address, consult), score in scores.items():
        if not (answered and fmt):
            continue
        better = [
            (answered, fmt, True, name, address, consult),
            (answered, fmt, checksum, max(name, M, key=order.get), address, consult),
            (answered, fmt, checksum, name, max(address, M, key=order.get), consult),
            (answered, fmt, checksum, name, address, True),
        ]
        for key in better:
            assert scores[key] >= score


def test_invalid_is_monotone_in_agreeing_evidence() -> None:
    base = dict(status=Status.INVALID, registry_answered=True, format_ok=True)
    assert confidence_score(**base, checksum_ok=False) > confidence_score(**base, checksum_ok=True)
    for checksum in (True, False):
        assert confidence_score(**base, checksum_ok=checksum, consultation_number=True) > confidence_score(
            **base, checksum_ok=checksum
        )


def test_statuses_occupy_separate_bands() -> None:
    valid = _all_scores(Status.VALID)
    valid_answered = [s for k, s in valid.items() if k[0] and k[1]]
    invalid_answered = [s for k, s in _all_scores(Status.INVALID).items() if k[0]]
    unverified = list(_all_scores(Status.UNVERIFIED).values())
    assert max(unverified) <= 20 < 60 <= min(valid_answered)
    assert min(invalid_answered) >= 85
    assert set(_all_scores(Status.ERROR).values()) == {0}


@pytest.mark.parametrize(
    ("entered", "registered", "code", "expected"),
    [
        ("Amazon Europe Core SARL", "AMAZON EUROPE CORE S.A R.L.", None, M),
        ("amazon", "AMAZON EUROPE CORE S.A R.L.", None, M),
        ("GitHub B.V.", "GITHUB B.V.", None, M),
        ("Société Générale SA", "SOCIETE GENERALE", None, M),
        ("Foo sp. z o.o.", "FOO SPOLKA", None, M),
        ("Microsoft", "GITHUB B.V.", None, X),
        ("Anything", None, None, U),  # not disclosed
        ("", "ACME", None, U),
        (None, "ACME", None, U),
        ("Anything", None, "1", M),  # VIES match code wins
        ("Acme", "ACME", "2", X),
        ("Acme", "ACME", "3", M),  # not processed: fall back to our comparison
    ],
)
def test_name_agreement(entered: str | None, registered: str | None, code: str | None, expected: Agreement) -> None:
    assert name_agreement(entered, registered, code) == expected


def test_name_tokens_drop_legal_forms_and_accents() -> None:
    assert name_tokens("Müller & Söhne GmbH & Co. KG") == {"muller", "sohne"}


@pytest.mark.parametrize(
    ("entered", "registered", "codes", "expected"),
    [
        ("Vijzelstraat 68, 1017 HL Amsterdam", "VIJZELSTRAAT 00068\n1017HL AMSTERDAM", None, M),
        ("Vijzelstraat 70, Amsterdam", "VIJZELSTRAAT 00068\n1017HL AMSTERDAM", None, X),
        ("Rue de Rivoli 1, Paris", "VIJZELSTRAAT 00068\n1017HL AMSTERDAM", None, X),
        ("Anything", None, None, U),
        ("Anything", "Else", {"street": "1", "postcode": "1", "city": "1"}, M),
        ("Anything", "Else", {"street": "1", "postcode": "1", "city": "2"}, X),
        ("Anything", None, {"street": "3"}, U),
    ],
)
def test_address_agreement(
    entered: str, registered: str | None, codes: dict[str, str] | None, expected: Agreement
) -> None:
    assert address_agreement(entered, registered, codes) == expected
