"""How long a sender may work: the time budget inside a batch loop and Celery's limits around it.

A task's loops stop claiming and sending new deliveries once its budget is spent, and give back what they
claimed but did not send. Celery's soft limit is the safety net for a send that hangs past the budget:
it raises SoftTimeLimitExceeded, which is never swallowed; the rows already sent have been recorded one
by one, the one being sent is recorded as a transient failure (it may have gone out) and the rest are
given back at once. The hard limit kills the process; what it interrupts comes back through the claim
timeout (settings.NOTIFICATIONS_CLAIM_TIMEOUT, 900 s), far above every limit here, so that a live sender
is never overtaken (which would send its messages twice).

    budget + the slowest single send  <  soft limit  <  hard limit  <<  claim timeout

The slowest single send: an SMTP conversation is a few commands with EMAIL_TIMEOUT (30 s) each, a chat
request a connect (5 s) and a read (10 s) timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from time import monotonic

# send_deliveries and the beat sweep (every 2 minutes): a batch is 20 rows.
SEND_BUDGET = timedelta(seconds=60)
SEND_SOFT_TIME_LIMIT = 150
SEND_TIME_LIMIT = 180
# The daily digests: one email per (member, workspace), so more of them to get through in one go. What a
# run leaves behind is resumed by the sweep (services/digests.py), not the next day.
DIGEST_BUDGET = timedelta(seconds=240)
DIGEST_SOFT_TIME_LIMIT = 330
DIGEST_TIME_LIMIT = 360


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock (None: no limit, for operators' commands)."""

    at: float | None = None

    @classmethod
    def after(cls, budget: timedelta | None) -> Deadline:
        return cls(None if budget is None else monotonic() + budget.total_seconds())

    def passed(self) -> bool:
        return self.at is not None and monotonic() >= self.at
