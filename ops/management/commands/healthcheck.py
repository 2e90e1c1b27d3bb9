"""The readiness checks from a shell: for container healthchecks that have no HTTP server (beat)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops import health


class Command(BaseCommand):
    requires_system_checks = []  # a healthcheck every minute: answer, do not audit the project
    help = (
        "Run the readiness checks and print them as JSON. Exits 1 when any of the named checks "
        "(default: all) is not ok, e.g. `healthcheck beat` for the beat container."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("checks", nargs="*", help="database, broker, beat, monitoring (default: all)")

    def handle(self, *args, checks: list[str], **options) -> None:
        report = health.readiness()
        unknown = set(checks) - set(report.checks)
        if unknown:
            raise CommandError(f"unknown checks: {', '.join(sorted(unknown))}")
        self.stdout.write(json.dumps(report.as_dict()))
        failing = [name for name in checks or report.checks if report.checks[name].status != health.Status.OK]
        if failing:
            raise CommandError(f"not ok: {', '.join(failing)}")
