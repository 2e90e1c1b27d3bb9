"""Does the name (or address) the user entered agree with what the registry returned?

Why: a valid number registered to someone else is the classic invoice fraud. VIES ``checkVatApprox``
answers this itself with match codes for some member states (1 = match, 2 = no match, 3 = not
processed); where it does not, we compare the texts ourselves, leniently: case, accents, punctuation,
word order and legal forms ("GmbH", "S.A R.L.") do not count, and a name typed shorter than the registered
one ("Amazon" for "AMAZON EUROPE CORE S.A R.L.") agrees.

This only feeds the confidence score; it never changes a verdict.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

__all__ = ["Agreement", "address_agreement", "name_agreement", "name_tokens"]


class Agreement(StrEnum):
    MATCH = "match"
    UNKNOWN = "unknown"  # nothing to compare: not entered, not disclosed, or not processed
    MISMATCH = "mismatch"


# Legal forms across the EU, as they read once dots are removed and text is lower-cased. Forms written
# with spaces ("S.à r.l.", "sp. z o.o.") leave their pieces ("rl", "z", "oo"), which are listed too.
_LEGAL_FORM_WORDS = """
    gmbh mbh ag kg ohg ug kgaa ev eg co cokg sa sas sasu sarl rl eurl snc scs sca sc srl srls spa sapa
    sl slu sll scoop sau bv nv vof cv cvba bvba ltd limited plc llp llc lp inc corp oy oyj ab hb kb
    as asa aps is ivs kft zrt nyrt bt kkt sro vos ks doo dd dno eood ood ead ad et sp z oo zoo spzoo ska
    spk spj uab mb ou tu sia ehf hf lda sgps unipessoal se sce ike oe ee epe ae
"""
_LEGAL_FORMS = frozenset(_LEGAL_FORM_WORDS.split())
_WORD = re.compile(r"[^\W\d_]+|\d+")


def _fold(text: str) -> str:
    """Lower-case, strip accents, drop dots ("S.A." -> "sa") so abbreviations compare equal."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).replace(".", "")


def name_tokens(text: str) -> frozenset[str]:
    """The words of a name that identify it: folded, without punctuation and legal forms."""
    return frozenset(w for w in _WORD.findall(_fold(text)) if w not in _LEGAL_FORMS)


def _texts_agree(entered: frozenset[str], registered: frozenset[str]) -> bool:
    if not entered or not registered:
        return False
    if entered <= registered or registered <= entered:
        return True
    return len(entered & registered) / len(entered | registered) >= 0.6


def _from_codes(codes: Iterable[str | None]) -> Agreement | None:
    """Combine VIES match codes: any 2 is a mismatch, all 1 a match, otherwise no opinion."""
    given = [c for c in codes if c in {"1", "2"}]
    if not given:
        return None
    return Agreement.MISMATCH if "2" in given else Agreement.MATCH


def name_agreement(entered: str | None, registered: str | None, match_code: str | None = None) -> Agreement:
    """Agreement of the user's name with the registry's: the registry's own match code wins."""
    from_code = _from_codes([match_code])
    if from_code is not None:
        return from_code
    if not entered or not entered.strip() or registered is None:
        return Agreement.UNKNOWN
    return Agreement.MATCH if _texts_agree(name_tokens(entered), name_tokens(registered)) else Agreement.MISMATCH


def address_agreement(
    entered: str | None, registered: str | None, match_codes: dict[str, str] | None = None
) -> Agreement:
    """Agreement of the user's address with the registry's: street/postcode/city codes win.

    Addresses are written in too many ways for a strict comparison; they agree when most of the
    words of the shorter one appear in the other, and every number (house, postcode) of the user's does.
    """
    codes = match_codes or {}
    from_codes = _from_codes([codes.get("street"), codes.get("postcode"), codes.get("city")])
    if from_codes is not None:
        return from_codes
    if not entered or not entered.strip() or registered is None:
        return Agreement.UNKNOWN
    mine, theirs = _fold(entered), _fold(registered)
    my_words = {w for w in _WORD.findall(mine) if not w.isdigit()}
    their_words = {w for w in _WORD.findall(theirs) if not w.isdigit()}
    my_numbers = {w.lstrip("0") for w in _WORD.findall(mine) if w.isdigit()}
    their_numbers = {w.lstrip("0") for w in _WORD.findall(theirs) if w.isdigit()}
    if not my_words or not their_words:
        return Agreement.UNKNOWN
    overlap = len(my_words & their_words) / min(len(my_words), len(their_words))
    return Agreement.MATCH if my_numbers <= their_numbers and overlap >= 0.5 else Agreement.MISMATCH
