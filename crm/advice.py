"""What an alert means for the team's invoices and what to do next: said once, for the email, the chat
message and the alert inbox.

The wording is careful on purpose. Since 1 January 2020 (the "quick fixes", Council Directive (EU)
2018/1910, Article 138(1)(b) of the VAT Directive) the customer's valid VAT number, issued by another
member state and communicated to the supplier, is a substantive condition of the exemption of an
intra-Community supply of goods, not a formality. So a number that stops being valid matters for the
invoices issued after that day; the invoices issued before it are backed by the last valid check, which
is why every alert links its proof. We do not know whether a counterparty is a customer or a supplier, nor
what the team sells it: the text says what follows in each case and leaves the decision to the team and
its tax adviser. An outage is never read as invalidity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .models import Alert, AlertKind, CheckStatus, VerificationCheck
from .vocabulary import when


@dataclass(frozen=True)
class Advice:
    meaning: str  # what the change means for the team's invoices
    action: str  # what to do next


def alert_advice(alert: Alert) -> Advice:
    counterparty = alert.counterparty
    proof = last_valid_check(alert)
    since = when(proof.started_at) if proof else ""
    if alert.kind == AlertKind.VALIDITY_LOST:
        return Advice(
            meaning=_(
                "The registry no longer confirms %(vat)s as a valid VAT number for intra-EU trade. Since the "
                "2020 “quick fixes”, a valid VAT number of the customer is a substantive condition of "
                "the VAT exemption of an intra-Community supply: supplies invoiced without VAT to this "
                "business from now on may not qualify for the exemption."
            )
            % {"vat": counterparty.vat_number},
            action=_sentences(
                _(
                    "If you invoice this business without VAT, hold those invoices: ask the business for its "
                    "current VAT number, verify it again, and decide with your tax adviser whether to charge "
                    "VAT until it is valid. If it is a supplier, check the VAT number on its next invoices."
                ),
                _("Supplies made before keep the proof of the last valid check (%(since)s).") % {"since": since}
                if proof
                else "",
            ),
        )
    if alert.kind == AlertKind.VALIDITY_REGAINED:
        return Advice(
            meaning=_(
                "The registry confirms %(vat)s as valid again: invoices to this business can again meet the "
                "condition of a valid VAT number for the intra-Community exemption."
            )
            % {"vat": counterparty.vat_number},
            action=_(
                "Keep the proof of this check with the invoices issued from now on. Invoices issued while the "
                "number was not valid are worth reviewing with your tax adviser."
            ),
        )
    if alert.kind == AlertKind.NAME_CHANGED:
        return Advice(
            meaning=_(
                "The VAT number is still valid, but the registry now gives another name. The business may "
                "have been renamed, merged or sold; an invoice should carry the customer's current name."
            ),
            action=_(
                "Confirm the change with the business, update its name in your invoicing system, and keep the "
                "proof of this check."
            ),
        )
    if alert.kind == AlertKind.ADDRESS_CHANGED:
        return Advice(
            meaning=_(
                "The VAT number is still valid, but the registry now gives another address. The business may "
                "have moved; an invoice should carry the customer's current address."
            ),
            action=_(
                "Confirm the change with the business, update its address in your invoicing system, and keep "
                "the proof of this check."
            ),
        )
    return Advice(
        meaning=_(
            "The registry has not answered for %(vat)s for more than %(hours)s hours. This is an outage of the "
            "registry, not a sign that the number is invalid: nothing is known about it since the last check "
            "that got an answer."
        )
        % {"vat": counterparty.vat_number, "hours": _hours(settings.MONITORING_UNVERIFIABLE_ALERT_AFTER)},
        action=_sentences(
            _("Nothing to change on your invoices: the last valid check (%(since)s) remains your proof.")
            % {"since": since}
            if proof
            else "",
            _("Monitoring keeps asking; for a large new supply, verify again before invoicing."),
        ),
    )


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:g}"


def _sentences(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def last_valid_check(alert: Alert) -> VerificationCheck | None:
    """The check that proves the number was valid most recently, up to the alert's own check."""
    if alert.check_run.overall_status == CheckStatus.VALID:
        return alert.check_run
    return (
        alert.counterparty.checks.filter(overall_status=CheckStatus.VALID, started_at__lte=alert.check_run.started_at)
        .order_by("-started_at", "-id")
        .first()
    )


def proof_path(check: VerificationCheck) -> str:
    """The page that proves a check: its proof document where the dashboard serves one, else its
    counterparty's page (which lists the check with its evidence)."""
    try:
        return reverse("dashboard:check_proof", args=[check.pk])
    except NoReverseMatch:
        return reverse("crm:counterparty_detail", args=[check.counterparty_id])
