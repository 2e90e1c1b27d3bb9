"""Monitoring's writes: runs and their fan-out, the per-counterparty re-check, the on/off switch."""

from .recheck import (
    RecheckResult,
    Result,
    alerts_for_change,
    counterparty_recheck,
    recheck_key,
    retry_countdown,
    run_key_prefix,
)
from .runs import enqueue_rechecks, run_complete_if_done, run_fan_out, run_prune, run_start
from .switch import counterparty_monitoring_set

__all__ = [
    "RecheckResult",
    "Result",
    "alerts_for_change",
    "counterparty_monitoring_set",
    "counterparty_recheck",
    "enqueue_rechecks",
    "recheck_key",
    "retry_countdown",
    "run_complete_if_done",
    "run_fan_out",
    "run_key_prefix",
    "run_prune",
    "run_start",
]
