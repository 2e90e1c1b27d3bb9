"""Verify a VAT number from the shell, the same way /verify/ does; stored when a workspace is named."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.models import CheckTrigger, Workspace
from crm.serializers import check_payload, verdict_payload
from crm.services import run_verification
from verification.service import verify_vat
from verification.vat import InvalidVatNumber, normalise_vat


class Command(BaseCommand):
    help = (
        "Verify a VAT number (format, checksum, then its registry: VIES, HMRC, the UID register or Brønnøysund). "
        "With --workspace the check is stored in that workspace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "vat_number", help="e.g. DE136695976, 'fr 40 303 265 045', GB980780684 or 'CHE-113.552.284 MWST'"
        )
        parser.add_argument("--workspace", metavar="SLUG", help="store the check in this workspace")
        parser.add_argument("--json", action="store_true", help="print the JSON object /verify/ answers")

    def handle(self, *args, vat_number: str, workspace: str | None, json: bool, **options) -> None:
        try:
            vat = normalise_vat(vat_number)
        except InvalidVatNumber as exc:
            if json:
                self._print_json({"errors": {"vat_number": [{"message": exc.message, "code": exc.code}]}})
            raise CommandError(exc.message) from exc

        if workspace:
            found = Workspace.objects.filter(slug=workspace).first()
            if found is None:
                raise CommandError(f"No workspace with the slug {workspace!r}")
            check = run_verification(workspace=found, vat=vat, trigger=CheckTrigger.SHELL)
            payload = check_payload(check)
        else:
            payload = verdict_payload(verify_vat(vat.vat_number))

        if json:
            self._print_json(payload)
        else:
            self._print_human(payload)

    def _print_json(self, payload: dict) -> None:
        self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))

    def _print_human(self, payload: dict) -> None:
        status, confidence = payload["overall_status"].upper(), payload["confidence_score"]
        self.stdout.write(f"{payload['vat_number']}: {status} (confidence {confidence}/100)")
        if payload["consultation_number"]:
            self.stdout.write(f"  consultation number: {payload['consultation_number']}")
        for result in payload["results"]:
            detail = ", ".join(part for part in (result["name"], result["address"], result["error_code"]) if part)
            self.stdout.write(f"  {result['service']}: {result['status']}{f' — {detail}' if detail else ''}")
        if payload["check_id"]:
            self.stdout.write(f"  stored as check {payload['check_id']} of counterparty {payload['counterparty_id']}")
