"""Monitoring's writes: runs and their fan-out, the per-counterparty re-check, the reconciler, the switch."""

from .incomplete import run_mark_incomplete, run_owners_tell
from .owner import RunNowTooSoon, workspace_run_next_allowed, workspace_run_start
from .recheck import (
    RecheckResult,
    Result,
    alerts_for_change,
    counterparty_recheck,
    recheck_key,
    retry_countdown,
    run_key_prefix,
)
from .reconcile import ReconcileSummary, rechecks_redispatch, runs_reconcile
from .runs import enqueue_rechecks, run_complete_if_done, run_fan_out, run_prune, run_start
from .switch import counterparty_monitoring_set

__all__ = [
    "RecheckResult",
    "ReconcileSummary",
    "Result",
    "RunNowTooSoon",
    "alerts_for_change",
    "counterparty_monitoring_set",
    "counterparty_recheck",
    "enqueue_rechecks",
    "recheck_key",
    "rechecks_redispatch",
    "retry_countdown",
    "run_complete_if_done",
    "run_fan_out",
    "run_key_prefix",
    "run_mark_incomplete",
    "run_owners_tell",
    "run_prune",
    "run_start",
    "runs_reconcile",
    "workspace_run_next_allowed",
    "workspace_run_start",
]
