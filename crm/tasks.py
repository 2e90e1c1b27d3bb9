"""Celery tasks of the CRM: thin, by id, quiet when the row is gone."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from verification.vat import normalise_vat

from .models import CheckTrigger, Counterparty, Invitation
from .services import run_verification
from .services.exports import export_write as export_file_write
from .services.retention import checks_purge_expired
from .services.workspaces import invitation_email_send


@shared_task(acks_late=True)
def verification_retry(counterparty_id: int) -> None:
    """Ask the registry again for a counterparty whose last check was unverified."""
    counterparty = Counterparty.objects.select_related("workspace").filter(pk=counterparty_id).first()
    if counterparty is None or counterparty.retry_at is None:
        return  # deleted, or a definitive answer arrived meanwhile
    if counterparty.retry_at > timezone.now():
        return  # a later retry was scheduled after this message was sent; that one will run
    run_verification(
        workspace=counterparty.workspace,
        vat=normalise_vat(counterparty.vat_number),
        trigger=CheckTrigger.RETRY,
        # One key per scheduled retry: a redelivered message stores nothing twice, and a later outage's
        # retries (whose attempt numbers start again at 1) are not mistaken for this one's.
        idempotency_key=f"retry:{counterparty.pk}:{counterparty.retry_at.isoformat()}",
    )


@shared_task(acks_late=True)
def counterparty_verify(counterparty_id: int, user_id: int | None, idempotency_key: str) -> None:
    """A check a person asked for in bulk (the CRM list's "verify again"), made as if from the Verify page."""
    counterparty = Counterparty.objects.select_related("workspace").filter(pk=counterparty_id).first()
    if counterparty is None or counterparty.archived_at is not None:
        return  # deleted or archived since: nobody wants it checked any more
    run_verification(
        workspace=counterparty.workspace,
        vat=normalise_vat(counterparty.vat_number),
        user=get_user_model().objects.filter(pk=user_id).first() if user_id else None,
        trigger=CheckTrigger.USER,
        # The key names the request: a redelivered message stores one check, a later request a new one.
        idempotency_key=idempotency_key,
    )


@shared_task(autoretry_for=(OSError, SMTPException), retry_backoff=30, retry_backoff_max=1800, max_retries=10)
def invitation_send(invitation_id: int) -> None:
    """Email an invitation; a mail server that is down is retried with backoff."""
    invitation = Invitation.objects.select_related("workspace", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_pending:
        return
    invitation_email_send(invitation=invitation)


# A million rows of XLSX take minutes: more than the default limit allows a task.
@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def export_write(export_id: int) -> None:
    """Write an export too large for a request to the default storage (crm/services/exports.py)."""
    export_file_write(export_id=export_id)


PURGE_EXPIRED_CHECKS_TASK = "crm.purge_expired_checks"


# Named: the beat schedule's row in the database refers to it by this name.
@shared_task(name=PURGE_EXPIRED_CHECKS_TASK, acks_late=True, soft_time_limit=3000, time_limit=3300)
def purge_expired_checks() -> int:
    """Daily: delete checks past EVIDENCE_RETENTION_DAYS that no counterparty or alert still needs."""
    return checks_purge_expired()
