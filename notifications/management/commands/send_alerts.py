"""`manage.py send_alerts`: send what is pending now, for operators (after an outage, before a deploy)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.services import deliveries_hasten, deliveries_sweep, digests_send


class Command(BaseCommand):
    help = (
        "Send every pending notification now: alerts not fanned out yet (however new), retries without waiting "
        "for their backoff, then the sweep."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--respect-backoff", action="store_true", help="Only what is due: leave retries to their scheduled time."
        )
        parser.add_argument(
            "--digests", action="store_true", help="Also send the daily digests now, without waiting for their hour."
        )

    def handle(self, *args: Any, respect_backoff: bool = False, digests: bool = False, **options: Any) -> None:
        hastened = 0 if respect_backoff else deliveries_hasten()
        # Everything not fanned out yet, however new: the alerts of a `run_monitoring --sync` just before.
        summary = deliveries_sweep(budget=None, fan_out_everything=True)
        self.stdout.write(f"Deliveries: {summary}" + (f" ({hastened} retries brought forward)." if hastened else "."))
        if digests:
            self.stdout.write(f"Digests: {digests_send(budget=None)}.")
