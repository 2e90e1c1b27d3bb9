"""Batch verification: items stored at once, verified by Celery tasks in lanes, each check stored as every
check is (crm's `run_verification` at background priority, so people's own checks go first at the shared
registry limit), each with an idempotency key of its item.

Each batch runs in BATCH_LANES lanes (items by position modulo the lanes), one task at a time per lane: no
two tasks take the same item, and one batch holds at most that many registry slots. A task works within
its budget, then sends itself again, so it never nears Celery's time limits. When a lane has no item left
the batch is finished if no lane has (one conditional UPDATE: exactly one task finishes it), and
`import.finished` is written to the webhooks' outbox in the same transaction. A lane whose message or
worker was lost leaves the batch idle: the webhook sweep (every minute) sends its lanes again after
BATCH_IDLE_SECONDS; the idempotency keys make a doubled task harmless.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from crm.models import CheckStatus, CheckTrigger, Workspace
from crm.services import CounterpartyInput, run_verification
from verification.ratelimit import Priority, registry_priority
from verification.vat import InvalidVatNumber, normalise_vat

from ..models import ApiKey, EventKind
from ..models.batches import Batch, BatchItem, BatchStatus
from ..outbox import event_record

BATCH_LANES = 2
CHUNK = 25
TASK_BUDGET_SECONDS = 60
BATCH_IDLE = timedelta(minutes=5)


def item_key(batch_id: int, position: int) -> str:
    return f"batch:{batch_id}:{position}"


@transaction.atomic
def batch_create(*, api_key: ApiKey, items: list[dict[str, Any]]) -> Batch:
    """Store the batch and its items; numbers that cannot be VAT numbers are refused now, with the reason."""
    now = timezone.now()
    batch = Batch.objects.create(workspace=api_key.workspace, api_key=api_key, total=len(items))
    rows = []
    for position, item in enumerate(items):
        submitted = item["vat_number"]
        try:
            vat, refused = normalise_vat(submitted).vat_number, ""
        except InvalidVatNumber as exc:
            vat, refused = "", str(exc)
        rows.append(
            BatchItem(
                batch=batch,
                position=position,
                submitted=submitted,
                vat_number=vat,
                name=item.get("name", ""),
                refused=refused,
                done_at=now if refused else None,
            )
        )
    BatchItem.objects.bulk_create(rows, batch_size=1000)
    transaction.on_commit(lambda: batch_dispatch(batch_id=batch.pk))
    return batch


def batch_dispatch(*, batch_id: int) -> None:
    from ..tasks import batch_verify

    for lane in range(BATCH_LANES):
        batch_verify.delay(batch_id, lane)


def batch_lane_verify(*, batch_id: int, lane: int) -> bool:
    """Verify the lane's open items within the budget; True when the lane is done (or the batch gone)."""
    batch = Batch.objects.select_related("workspace", "api_key__created_by").filter(pk=batch_id).first()
    if batch is None or batch.status == BatchStatus.DONE:
        return True
    started = time.monotonic()
    user = batch.api_key.created_by if batch.api_key else None
    while time.monotonic() - started < TASK_BUDGET_SECONDS:
        items = _lane_items(batch, lane)
        if not items:
            _finish_if_done(batch)
            return True
        for item in items:
            with registry_priority(Priority.BACKGROUND):
                check = run_verification(
                    workspace=batch.workspace,
                    vat=normalise_vat(item.vat_number),
                    entered=CounterpartyInput(name=item.name),
                    user=user,
                    trigger=CheckTrigger.IMPORT,
                    idempotency_key=item_key(batch.pk, item.position),
                )
            now = timezone.now()
            BatchItem.objects.filter(pk=item.pk, done_at=None).update(check_run=check, done_at=now)
            Batch.objects.filter(pk=batch.pk).update(progressed_at=now)
            if time.monotonic() - started >= TASK_BUDGET_SECONDS:
                break
    return False


def _open(batch: Batch):
    return BatchItem.objects.filter(batch=batch, done_at=None)


def _lane_items(batch: Batch, lane: int) -> list[BatchItem]:
    lanes = _open(batch).annotate(lane=F("position") % BATCH_LANES).filter(lane=lane)
    return list(lanes.order_by("position")[:CHUNK])


def _finish_if_done(batch: Batch) -> None:
    if _open(batch).exists():
        return
    # The event commits with the batch's end (the webhooks' outbox): a crash in between loses neither.
    with transaction.atomic():
        finished = Batch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(
            status=BatchStatus.DONE, finished_at=timezone.now()
        )
        if finished and Workspace.objects.filter(pk=batch.workspace_id, has_webhooks=True).exists():
            event_record(workspace_id=batch.workspace_id, kind=EventKind.BATCH, context={"batch_id": batch.pk})


def batch_progress(batch: Batch) -> dict[str, Any]:
    """Where the batch stands: items done, and the checks' statuses so far."""
    counts = BatchItem.objects.filter(batch=batch).aggregate(
        done=Count("id", filter=Q(done_at__isnull=False)),
        refused=Count("id", filter=~Q(refused="")),
        **{
            status: Count("id", filter=Q(check_run__overall_status=status))
            for status in (CheckStatus.VALID, CheckStatus.INVALID, CheckStatus.UNVERIFIED, CheckStatus.ERROR)
        },
    )
    return {
        "id": batch.pk,
        "kind": "batch",
        "status": batch.status,
        "total": batch.total,
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        **counts,
    }


def batches_resume(*, now=None) -> int:
    """Send again the lanes of running batches idle for BATCH_IDLE (a lost message or worker)."""
    now = now or timezone.now()
    idle = list(
        Batch.objects.filter(status=BatchStatus.RUNNING, progressed_at__lt=now - BATCH_IDLE).values_list(
            "pk", flat=True
        )
    )
    for batch_id in idle:
        Batch.objects.filter(pk=batch_id).update(progressed_at=now)
        batch_dispatch(batch_id=batch_id)
    return len(idle)
