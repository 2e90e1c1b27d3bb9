"""Start a monitoring run now, outside the daily schedule, and print its summary."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from monitoring.models import RunTrigger
from monitoring.services import run_fan_out, run_start
from monitoring.services.inline import run_inline


class Command(BaseCommand):
    help = (
        "Start a monitoring run now: claim every due monitored counterparty and enqueue its re-check for the "
        "workers. With --sync, do the re-checks here (retrying unverified ones) and print the final summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sync", action="store_true", help="re-check inline instead of on the workers")
        parser.add_argument("--chunk-size", type=int, default=None, help="override MONITORING_CHUNK_SIZE")
        parser.add_argument(
            "--max-retries",
            type=int,
            default=None,
            help="with --sync: rounds of retries for unverified ones (default MONITORING_RETRY_MAX_RETRIES; 0: none)",
        )

    def handle(self, *args, sync: bool, chunk_size: int | None, max_retries: int | None, **options) -> None:
        if sync:
            run = run_inline(chunk_size=chunk_size, max_retries=max_retries, on_wait=self._waiting)
        else:
            run = run_fan_out(run=run_start(trigger=RunTrigger.COMMAND), chunk_size=chunk_size)
        self.stdout.write(run.summary())
        if not run.is_finished:
            self.stdout.write("The workers are re-checking; the run's totals grow in the admin and on /monitoring/.")

    def _waiting(self, unverified: int, seconds: float, round_number: int) -> None:
        self.stdout.write(
            f"{unverified} unverified (registry did not answer); retry round {round_number} in {seconds:.0f} s"
        )
