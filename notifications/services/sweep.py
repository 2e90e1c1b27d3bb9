"""The beat-driven sweep: whatever the normal path left behind goes out now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from .budget import SEND_BUDGET, Deadline
from .digests import digests_resume, digests_send
from .fanout import alerts_fan_out_missed, alerts_fan_out_pending
from .outcomes import SendSummary
from .sending import BATCH_SIZE, deliveries_release_stale, deliveries_send_due


@dataclass
class SweepSummary:
    released: int
    fanned_out: int
    sent: SendSummary

    def __str__(self) -> str:
        return f"{self.sent}; {self.fanned_out} alerts fanned out late, {self.released} stale claims released"


def deliveries_sweep(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    budget: timedelta | None = SEND_BUDGET,
    fan_out_everything: bool = False,
) -> SweepSummary:
    """Stale claims back to the queue, missed fan-outs done, then every due delivery, the digest retries
    and what a stopped digest run left behind: all of it within one time budget.

    `fan_out_everything` (operators' `send_alerts`) also fans out alerts too new for the beat's sweep."""
    now = now or timezone.now()
    deadline = Deadline.after(budget)
    released = deliveries_release_stale(now=now)
    fanned_out = alerts_fan_out_pending() if fan_out_everything else alerts_fan_out_missed(now=now)
    now = max(now, timezone.now())  # the rows just fanned out are due now, not at the start of the sweep
    sent = deliveries_send_due(now=now, batch_size=batch_size, deadline=deadline)
    sent += digests_send(now=now, retries_only=True, deadline=deadline)
    sent += digests_resume(now=now, deadline=deadline)
    return SweepSummary(released=released, fanned_out=fanned_out, sent=sent)
