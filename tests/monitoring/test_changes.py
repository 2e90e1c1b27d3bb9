"""The change rules of monitoring/changes.py, without a database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.models import AlertKind, Severity
from monitoring.changes import Snapshot, changes_between, comparable, disclosed, text_changed

NAME, ADDRESS = "Brouwerij Van der Meulen NV", "Korenmarkt 4\n9000 Gent"


def known(status="valid", name=NAME, address=ADDRESS) -> Snapshot:
    return Snapshot(status=status, name=name, address=address)


def kinds(before: Snapshot, after: Snapshot) -> list[str]:
    return [change.kind for change in changes_between(before, after)]


def test_validity_lost_is_critical_with_before_and_after():
    [change] = changes_between(known("valid"), known("invalid", name=None, address=None))
    assert (change.kind, change.severity, change.before, change.after) == (
        AlertKind.VALIDITY_LOST,
        Severity.CRITICAL,
        "valid",
        "invalid",
    )


def test_validity_regained_is_info():
    [change] = changes_between(known("invalid", None, None), known("valid"))
    assert (change.kind, change.severity) == (AlertKind.VALIDITY_REGAINED, Severity.INFO)


@pytest.mark.parametrize("status", ["unverified", "error"])
def test_an_outage_compares_nothing(status):
    assert kinds(known("valid"), known(status, name="Someone Else", address="Elsewhere")) == []


def test_a_first_definitive_answer_is_the_baseline_not_a_change():
    assert kinds(Snapshot(None, None, None), known("invalid", None, None)) == []
    assert kinds(Snapshot(None, None, None), known("valid")) == []


def test_name_and_address_changes_are_warnings_with_the_registry_text():
    after = known(name="Brouwerij Van der Meulen & Zonen NV", address="Veldstraat 1\n9000 Gent")
    changes = changes_between(known(), after)
    assert [(c.kind, c.severity) for c in changes] == [
        (AlertKind.NAME_CHANGED, Severity.WARNING),
        (AlertKind.ADDRESS_CHANGED, Severity.WARNING),
    ]
    assert (changes[0].before, changes[0].after) == (NAME, "Brouwerij Van der Meulen & Zonen NV")
    assert (changes[1].before, changes[1].after) == (ADDRESS, "Veldstraat 1\n9000 Gent")


@pytest.mark.parametrize("withheld", [None, "", "---", " --- ", "-", "—"])
def test_not_disclosed_is_never_a_change_either_way(withheld):
    assert kinds(known(), known(name=withheld, address=withheld)) == []
    assert kinds(known(name=withheld, address=withheld), known()) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("ACME B.V.", "Acme BV"),
        ("Société Générale", "SOCIETE GENERALE"),
        ("Korenmarkt 4\n9000 Gent", "KORENMARKT 4, 9000  GENT"),
        ("  Main  St 1 ", "Main St 1"),
        ("Rue-du-Commerce 4", "RUE DU COMMERCE 4"),
        ("D'Ieteren S.A.", "DIETEREN SA"),
    ],
)
def test_formatting_is_not_a_change(before, after):
    assert not text_changed(before, after)


@pytest.mark.parametrize(("before", "after"), [("ACME BV", "ACMA BV"), ("Main St 1", "Main St 11")])
def test_one_letter_or_digit_is_a_change(before, after):
    assert text_changed(before, after)


def test_validity_lost_and_renamed_at_once_gives_both_most_severe_first():
    assert kinds(known("valid"), known("invalid", name="Other NV")) == [AlertKind.VALIDITY_LOST, AlertKind.NAME_CHANGED]


@given(st.text(max_size=40))
def test_comparable_is_idempotent_and_a_text_never_changes_from_itself(text):
    assert comparable(comparable(text)) == comparable(text)
    assert not text_changed(text, text)
    assert not text_changed(text, text.upper())


@given(st.text(max_size=40), st.sampled_from([None, "---", ""]))
def test_withheld_on_either_side_is_never_a_change(text, withheld):
    assert not text_changed(text, withheld) and not text_changed(withheld, text)


def test_disclosed():
    assert disclosed(" Acme ") == "Acme" and disclosed("---") is None and disclosed(None) is None
