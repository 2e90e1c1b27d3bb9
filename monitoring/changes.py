"""What counts as a change between what we knew about a counterparty and what the registry says now.

Pure functions over plain values, so the rules can be read (and property-tested) in one place.

The rules:
- Validity: only a definitive answer (valid/invalid) is compared, and only with the last definitive one.
  valid -> invalid is "validity lost" (critical), invalid -> valid "validity regained" (info). An outage
  (unverified, error) compares nothing. A first definitive answer is the baseline, not a change.
- Name and address: compared with the last ones the registry *disclosed*. Not disclosed (VIES sends
  `---`; our client turns it into None; an empty or dash-only string means the same) is never a change,
  neither when the registry starts withholding nor when it starts disclosing again.
- Two texts that differ only in letter case, accents, punctuation, line breaks or spacing are the same
  name (registries reformat: "ACME B.V." / "Acme BV", "Main St 1\\n1000 Brussels" / "MAIN ST 1, 1000
  BRUSSELS"). Separators (spaces, line breaks, commas, hyphens, slashes) count as one space; other
  punctuation (dots, apostrophes, ampersands) is dropped. Anything else, even one letter or digit, is a
  change: a renamed entity must not slip through.
- Before/after on an alert keep the registry's own text, not the normalised form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crm.models import AlertKind, CheckStatus, Severity

# Separators become a space ("Rue-du-Commerce", "4,9000"); other punctuation goes ("B.V.", "D'Ieteren").
_SEPARATORS = re.compile(r"[\s,;:/\\_\-\u2010-\u2015]+")
_PUNCTUATION = re.compile(r"[^\w ]+")


@dataclass(frozen=True)
class Snapshot:
    """What we know about a counterparty at one moment: last definitive status, last disclosed texts."""

    status: str | None
    name: str | None
    address: str | None


@dataclass(frozen=True)
class Change:
    kind: str
    severity: str
    before: str
    after: str


def disclosed(value: str | None) -> str | None:
    """The text, or None when it says nothing ('---', blank, dashes): "not disclosed" is not a value."""
    if value is None:
        return None
    text = value.strip()
    return text if text.strip("-\u2013\u2014 ") else None


def comparable(value: str) -> str:
    """A text folded so that formatting differences vanish: accents, case, punctuation, spacing."""
    # Case goes before accents: some marks fold to letters (U+0345 -> iota), and upper() first makes
    # letters that differ only in case-mapping the same (dotless i and I).
    compatible = unicodedata.normalize("NFKD", value)
    decomposed = unicodedata.normalize("NFKD", compatible.upper().casefold())
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    spaced = _SEPARATORS.sub(" ", without_accents.casefold())
    return " ".join(_PUNCTUATION.sub("", spaced).split())


def text_changed(before: str | None, after: str | None) -> bool:
    before, after = disclosed(before), disclosed(after)
    if before is None or after is None:
        return False
    return comparable(before) != comparable(after)


def changes_between(before: Snapshot, after: Snapshot) -> list[Change]:
    """The changes from `before` (what we knew) to `after` (a new definitive answer), most severe first."""
    if after.status not in CheckStatus.definitive():
        return []
    changes: list[Change] = []
    if before.status == CheckStatus.VALID and after.status == CheckStatus.INVALID:
        changes.append(Change(AlertKind.VALIDITY_LOST, Severity.CRITICAL, CheckStatus.VALID, CheckStatus.INVALID))
    elif before.status == CheckStatus.INVALID and after.status == CheckStatus.VALID:
        changes.append(Change(AlertKind.VALIDITY_REGAINED, Severity.INFO, CheckStatus.INVALID, CheckStatus.VALID))
    if text_changed(before.name, after.name):
        changes.append(Change(AlertKind.NAME_CHANGED, Severity.WARNING, _text(before.name), _text(after.name)))
    if text_changed(before.address, after.address):
        changes.append(Change(AlertKind.ADDRESS_CHANGED, Severity.WARNING, _text(before.address), _text(after.address)))
    return changes


def _text(value: str | None) -> str:
    return disclosed(value) or ""
