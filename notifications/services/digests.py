"""The daily digest: one email per (member, workspace) with every alert the member chose to get that way.

Each digest row is an ordinary delivery, claimed the same way; the rows of one email share its outcome.
Two digest senders can split a member's rows between two emails, never put one alert in both.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from ..content import digest_email
from ..mail import Mailer
from ..models import Delivery
from ..transports import TransportError
from .sending import Outcome, SendSummary, claim, record

logger = logging.getLogger(__name__)

# Alerts per digest email; a bigger backlog goes out in several emails.
DIGEST_MAX_ALERTS = 200


def digests_send(*, now: datetime | None = None, retries_only: bool = False) -> SendSummary:
    """Send the digests due at `now`. `retries_only`: only digests whose earlier attempt failed (the sweep
    retries those; fresh digest rows wait for the daily run)."""
    now = now or timezone.now()
    due = Delivery.objects.due(now).filter(digest=True)
    if retries_only:
        due = due.filter(attempts__gt=0)
    summary = SendSummary()
    groups = list(due.order_by("recipient_id", "workspace_id").values_list("recipient_id", "workspace_id").distinct())
    for recipient_id, workspace_id in groups:
        mine = due.filter(recipient_id=recipient_id, workspace_id=workspace_id)
        while claimed := claim(mine, limit=DIGEST_MAX_ALERTS, now=now):
            summary += _send_digest(claimed, now=now)
    return summary


def _send_digest(claimed: list[Delivery], *, now: datetime) -> SendSummary:
    latest = claimed[-1]  # the newest row has the address the member has now
    try:
        message = digest_email(
            address=latest.address,
            workspace=latest.workspace,
            alerts=[delivery.alert for delivery in claimed],
            key=f"digest-{latest.claim_token}",
        )
        with Mailer() as mailer:
            message_id = mailer.send(message)
    except TransportError as error:
        outcomes = [Outcome(delivery, error=error) for delivery in claimed]
    except Exception as exc:
        logger.exception("Digest for %s: could not build or send it", latest.address)
        error = TransportError(f"Internal error: {type(exc).__name__}")
        outcomes = [Outcome(delivery, error=error) for delivery in claimed]
    else:
        outcomes = [Outcome(delivery, message_id=message_id) for delivery in claimed]
    return record(outcomes, now=now)
