"""The rows of one claim on their way out: each outcome is recorded as soon as it is known.

Recording after every send (not after the whole batch) is what keeps a sender that is stopped half-way
from leaving sent messages looking unsent, to be sent again once its claim times out. A stop is either
the time budget (the caller stops sending; the rest is given back) or Celery's SoftTimeLimitExceeded,
which is never swallowed: on the way out, the unit being sent is recorded as a transient failure (it may
have gone out: at-least-once, see docs/notifications.md) and the rest is given back, pending at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from ..errors import INTERRUPTIONS, TransportError
from ..models import Delivery
from .outcomes import Outcome, SendSummary, alerts_mark_sent, give_back, record_one
from .recipients import refusals

logger = logging.getLogger(__name__)

# Sends one message for a unit of rows (one delivery, or the rows of one digest); returns the message id
# or raises TransportError.
Send = Callable[[list[Delivery]], str | None]

INTERRUPTED = TransportError("Interrupted by the task's time limit while sending; it may have gone out")


class Batch:
    def __init__(self, claimed: list[Delivery], *, now: datetime) -> None:
        self.now = now
        self.waiting: dict[int, Delivery] = {delivery.pk: delivery for delivery in claimed}
        self.summary = SendSummary()
        self.current: list[Delivery] | None = None  # the unit being sent
        self.result: tuple[str | None, TransportError | None] | None = None  # its outcome, once known

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            unrecorded = self.pending(self.current or [])
            if unrecorded:
                # Stopped between the send and its record (SoftTimeLimitExceeded, a database error): record
                # what is known, else that it may have gone out.
                message_id, error = self.result or (None, INTERRUPTED)
                self._settle(unrecorded, message_id=message_id, error=error)
            if self.waiting:
                given = give_back(self.waiting.values())
                self.summary.count("given_back", given)
                logger.info("Gave back %s claimed deliveries, unsent", given)
        except Exception:
            if kind is None:
                raise
            # The database is gone as well: the claim timeout will bring the rows back. The original
            # exception is the one that matters (and is raised on).
            logger.exception("Could not record or give back claimed deliveries after %s", kind.__name__)

    def refuse_unwanted(self) -> None:
        """Fail, without sending, the rows whose member left or whose channel was switched off."""
        refused = refusals(self.waiting.values())
        for pk, error in refused.items():
            self._settle([self.waiting[pk]], message_id=None, error=error)

    def pending(self, deliveries: list[Delivery]) -> list[Delivery]:
        return [delivery for delivery in deliveries if delivery.pk in self.waiting]

    def send(self, unit: list[Delivery], send: Send) -> None:
        """Send one message for `unit` and record its outcome on every row of the unit, at once."""
        self.current, self.result = unit, None
        message_id, error = None, None
        try:
            message_id = send(unit)
        except TransportError as exc:
            error = exc
        except INTERRUPTIONS:
            raise
        except Exception as exc:  # a bug in building the message: retried, and given up in the end
            logger.exception("Deliveries %s: could not build or send the message", [d.pk for d in unit])
            error = TransportError(f"Internal error: {type(exc).__name__}")
        self.result = (message_id, error)
        self._settle(unit, message_id=message_id, error=error)

    def _settle(self, unit: list[Delivery], *, message_id: str | None, error: TransportError | None) -> None:
        for delivery in unit:
            self.summary.count(record_one(Outcome(delivery, message_id=message_id, error=error), now=self.now))
            self.waiting.pop(delivery.pk, None)
        self.current = None
        # Now, not at the end of the batch: a process killed later must not leave a done alert open.
        alerts_mark_sent(alert_ids={delivery.alert_id for delivery in unit})
