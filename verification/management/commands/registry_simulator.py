"""`python manage.py registry_simulator --port 8001 [--latency-ms 20-200] [--fault-rate 0.1] ...`

Runs the VIES registry simulator in the foreground (see docs/simulator.md). It touches neither the
database nor the system checks: it must start while migrations are pending or the DB is down, because
the demo stack and benchmarks start it first.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verification.simulator import cli


class Command(BaseCommand):
    help = "Run the VIES registry simulator (SOAP + /_sim control API) in the foreground."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cli.run(options, self.stdout)
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        except ValueError as exc:  # a bad --latency-ms or fixture
            raise CommandError(str(exc)) from exc
