"""The dashboard's one periodic task: thin, calls the service."""

from __future__ import annotations

from celery import shared_task

from .services import rollups_refresh

REFRESH_TASK = "dashboard.refresh_rollups"


@shared_task(name=REFRESH_TASK, acks_late=True)
def refresh_rollups() -> int:
    """Today's status snapshots, and the past days not closed yet; returns how many days it closed."""
    return len(rollups_refresh())
