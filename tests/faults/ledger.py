"""What a run left behind, counted from the private database and the mailbox: lost and doubled, per kind.

- checks: every counterparty the run claimed (a Recheck row) has exactly one definitive check of that run
  (its idempotency key starts with `monitoring:{run_id}:`); none is a loss, two are a double.
- alerts: one per withdrawn or renamed counterparty, of the expected kind, raised by a check of the run.
- emails: each alert once to each member (both want every alert at once), every Message-ID once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .mailbox import read_mailbox
from .stack import Stack


@dataclass
class Ledger:
    run_id: int
    claimed: int
    incomplete_reason: str
    redispatched: int
    lost: dict[str, list] = field(default_factory=dict)
    doubled: dict[str, list] = field(default_factory=dict)
    alerts: int = 0
    emails: int = 0

    @property
    def lost_total(self) -> int:
        return sum(len(items) for items in self.lost.values())

    @property
    def doubled_total(self) -> int:
        return sum(len(items) for items in self.doubled.values())

    def problems(self) -> dict[str, list]:
        """Only what went wrong, by kind, for an assertion message that says it all."""
        found = {f"lost {kind}": items for kind, items in self.lost.items() if items}
        found.update({f"doubled {kind}": items for kind, items in self.doubled.items() if items})
        return found


def ledger_of(stack: Stack, run_id: int) -> Ledger:
    prefix = f"monitoring:{run_id}:%"
    reason, redispatched = stack.rows(
        "SELECT incomplete_reason, redispatched FROM monitoring_monitoringrun WHERE id = %s", run_id
    )[0]
    vat_by_id = dict(stack.rows("SELECT id, vat_number FROM crm_counterparty"))
    claims = stack.rows("SELECT counterparty_id FROM monitoring_recheck WHERE run_id = %s", run_id)
    claimed = {vat_by_id[cid] for (cid,) in claims}
    definitive = Counter(
        vat_by_id[cid]
        for (cid,) in stack.rows(
            "SELECT counterparty_id FROM crm_verificationcheck WHERE idempotency_key LIKE %s"
            " AND overall_status IN ('valid', 'invalid')",
            prefix,
        )
    )
    alert_rows = stack.rows(
        "SELECT a.id, a.counterparty_id, a.kind FROM crm_alert a JOIN crm_verificationcheck c ON c.id = a.check_run_id"
        " WHERE c.idempotency_key LIKE %s",
        prefix,
    )
    alerts = Counter((vat_by_id[cid], kind) for _, cid, kind in alert_rows)
    expected_alerts = {(m.vat, m.expected_alert) for m in stack.members if m.expected_alert}
    recipients = {email for (email,) in stack.rows("SELECT email FROM auth_user")}
    expected_emails = {(email, alert_id) for alert_id, _, _ in alert_rows for email in recipients}
    received = read_mailbox(stack.mail)
    emails = Counter((got.to, got.alert_id) for got in received)
    message_ids = Counter(got.message_id for got in received)
    everyone = {m.vat for m in stack.members}
    return Ledger(
        run_id=run_id,
        claimed=len(claimed),
        incomplete_reason=reason,
        redispatched=redispatched,
        lost={
            "claims": sorted(everyone - claimed),
            "checks": sorted(vat for vat in claimed if not definitive[vat]),
            "alerts": sorted(expected_alerts - set(alerts)),
            "emails": sorted(expected_emails - set(emails)),
        },
        doubled={
            "checks": sorted(vat for vat, n in definitive.items() if n > 1),
            "alerts": sorted(key for key, n in alerts.items() if n > 1 or key not in expected_alerts),
            "emails": sorted(key for key, n in emails.items() if n > 1 or key not in expected_emails),
            "message ids": sorted(mid for mid, n in message_ids.items() if n > 1),
        },
        alerts=sum(alerts.values()),
        emails=len(received),
    )


def emails_settled(stack: Stack) -> bool:
    """Every delivery row is done (sent or failed) and the mailbox holds one message per sent row."""
    pending, sent = stack.rows(
        "SELECT count(*) FILTER (WHERE status NOT IN ('sent', 'failed')), count(*) FILTER (WHERE status = 'sent')"
        " FROM notifications_delivery"
    )[0]
    unfanned = stack.scalar(
        "SELECT count(*) FROM crm_alert a WHERE NOT a.is_sent AND NOT EXISTS"
        " (SELECT 1 FROM notifications_delivery d WHERE d.alert_id = a.id)"
    )
    return not pending and not unfanned and len(read_mailbox(stack.mail)) >= sent
