"""The confidence score (0-100): how sure we are of the overall status of one verification.

Why a pure function with a table: the score is shown to users and stored with every check, so it must be
explainable in one sentence per point, and monotone (more agreeing evidence never lowers it). The same
table is in docs/verification.md.

The registry's verdict dominates; the rest adds to it:

============  =====  ==========================================================================
status        base   additions
============  =====  ==========================================================================
valid         60     +10 check digit correct; name +15 match / +5 unknown / 0 mismatch;
                     address +5 match / +2 unknown / 0 mismatch; +10 consultation number
invalid       80     registry said so: +15 if the check digit also fails, else +5;
                     +5 consultation number.  Refused on format alone (no registry call): 95
unverified    0      +20 if the number is well-formed with a correct check digit, +10 if only
                     the check digit fails (never above 20: we do not know)
error         0      nothing (our side failed)
============  =====  ==========================================================================

So every valid score lies in 60-100, every invalid one in 85-100, every unverified one in 0-20.
"""

from __future__ import annotations

from verification.matching import Agreement
from verification.verdicts import Status

__all__ = ["confidence_score"]

_NAME_POINTS = {Agreement.MATCH: 15, Agreement.UNKNOWN: 5, Agreement.MISMATCH: 0}
_ADDRESS_POINTS = {Agreement.MATCH: 5, Agreement.UNKNOWN: 2, Agreement.MISMATCH: 0}


def confidence_score(
    *,
    status: Status,
    registry_answered: bool,
    format_ok: bool,
    checksum_ok: bool,
    name: Agreement = Agreement.UNKNOWN,
    address: Agreement = Agreement.UNKNOWN,
    consultation_number: bool = False,
) -> int:
    """Score the confidence in ``status`` given the evidence gathered (see the module's table).

    ``registry_answered`` is True when a registry gave a definitive answer (valid, invalid or
    INVALID_INPUT); ``format_ok`` is False when the number was refused before any registry call.
    """
    if status == Status.VALID:
        score = 60
        score += 10 if checksum_ok else 0
        score += _NAME_POINTS[name] + _ADDRESS_POINTS[address]
        score += 10 if consultation_number else 0
    elif status == Status.INVALID:
        if not registry_answered:  # refused on format: length, characters or country are wrong
            return 95
        score = 80 + (15 if not checksum_ok else 5) + (5 if consultation_number else 0)
    elif status == Status.UNVERIFIED:
        score = 0 if not format_ok else (20 if checksum_ok else 10)
    else:
        score = 0
    return max(0, min(100, score))
