"""How long checks are kept: EVIDENCE_RETENTION_DAYS, and what is kept however old it is."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ..models import Alert, CheckStatus, Counterparty, VerificationCheck


def checks_expired(*, now: datetime | None = None) -> QuerySet[VerificationCheck]:
    """Checks older than the retention period that nothing still needs as evidence.

    Kept whatever their age: each counterparty's last check and its last definitive one (what the CRM shows
    and what a proof of validity rests on), and every check an alert was raised on or compared with.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVIDENCE_RETENTION_DAYS)
    newer_definitive = VerificationCheck.objects.filter(
        counterparty_id=OuterRef("counterparty_id"),
        overall_status__in=CheckStatus.definitive(),
        started_at__gt=OuterRef("started_at"),
    )
    return (
        VerificationCheck.objects.filter(started_at__lt=cutoff)
        .filter(~Q(overall_status__in=CheckStatus.definitive()) | Exists(newer_definitive))
        .exclude(Exists(Counterparty.objects.filter(last_check=OuterRef("pk"))))
        .exclude(Exists(Alert.objects.filter(Q(check_run=OuterRef("pk")) | Q(previous_check=OuterRef("pk")))))
    )


def checks_purge_expired(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete expired checks with their results, a batch per transaction; returns how many went.

    Small batches keep each delete's locks short while the nightly run writes new checks beside them.
    """
    if not settings.EVIDENCE_RETENTION_DAYS:
        return 0
    deleted = 0
    while True:
        batch = list(checks_expired(now=now).order_by("started_at").values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        VerificationCheck.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
