"""The proof of one check: what a tax auditor asks for, on a printable page and as a PDF.

Who asked (the requester company sent to the registry, and the person or job that started the check),
when (with the zone), what the registry answered (its verdict, the name and address it returned, its
consultation number) and a SHA-256 of the raw response we keep, so that the stored evidence can be shown
to be the one this document describes.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.countries import country_name
from crm.models import CheckResult, CheckStatus, Company, VerificationCheck
from crm.vocabulary import when

FORMAT_SERVICE = "format"


@dataclass(frozen=True)
class ResultProof:
    result: CheckResult

    @property
    def is_registry(self) -> bool:
        return self.result.service != FORMAT_SERVICE

    @property
    def service_label(self) -> str:
        return _("Format and check digit") if not self.is_registry else self.result.service.upper()

    @property
    def response_sha256(self) -> str:
        return self.result.raw_response_sha256

    @property
    def response_bytes(self) -> int:
        return len(self.result.raw_response.encode("utf-8"))

    @property
    def response_size(self) -> str:
        """The size with the number grouped and the word agreeing with it: "1,234 bytes (UTF-8)"."""
        count = self.response_bytes
        text = ngettext("%(bytes)s byte (UTF-8)", "%(bytes)s bytes (UTF-8)", count)
        return text % {"bytes": formats.number_format(count, force_grouping=True)}


@dataclass(frozen=True)
class Proof:
    check: VerificationCheck
    requester: Company | None
    results: list[ResultProof]

    @property
    def started_at(self) -> datetime:
        return self.check.started_at

    @property
    def requested_by(self) -> str:
        """The person who asked, or what did (monitoring, an import, a retry)."""
        user = self.check.triggered_by
        if user is not None:
            return user.get_full_name() or user.email or user.get_username()
        return str(self.check.get_trigger_display())

    @property
    def consultation_number(self) -> str:
        return self.check.consultation_number or next(
            (item.result.consultation_number for item in self.results if item.result.consultation_number), ""
        )


def proof_for(check: VerificationCheck) -> Proof:
    requester = None
    if check.requester_vat_number:
        requester = Company.objects.filter(workspace=check.workspace_id, vat_number=check.requester_vat_number).first()
    return Proof(check=check, requester=requester, results=[ResultProof(result) for result in check.results.all()])


@cache
def _font_files() -> tuple[str, str]:
    """Noto Sans (regular, bold) as files for fpdf2: registries return Greek, Cyrillic and Central European
    names, which the PDF core fonts (Latin-1) cannot write. pymupdf-fonts ships the fonts in a wheel."""
    import pymupdf_fonts

    folder = Path(tempfile.gettempdir()) / "vatcrm-fonts"
    folder.mkdir(exist_ok=True)
    paths = []
    for code, filename in (("notos", "NotoSans-Regular.ttf"), ("notosbo", "NotoSans-Bold.ttf")):
        path = folder / filename
        if not path.exists():
            with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as partial:
                partial.write(pymupdf_fonts.myfont(code))
            Path(partial.name).replace(path)  # atomic: another process never reads half a font
        paths.append(str(path))
    return paths[0], paths[1]


def proof_pdf(proof: Proof, *, workspace_name: str) -> bytes:
    from fpdf import FPDF

    regular, bold = _font_files()
    pdf = FPDF(format="A4")
    pdf.set_title(_("Proof of VAT number check %(id)s") % {"id": proof.check.pk})
    pdf.set_creator("vatcrm")
    pdf.set_creation_date(proof.check.finished_at or proof.check.started_at)
    pdf.add_font("Noto", "", regular)
    pdf.add_font("Noto", "B", bold)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int = 12) -> None:
        pdf.set_font("Noto", "B", size)
        pdf.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def fact(label: str, value: str) -> None:
        pdf.set_font("Noto", "B", 9)
        pdf.cell(55, 5.5, label)
        pdf.set_font("Noto", "", 9)
        pdf.multi_cell(width - 55, 5.5, value or "—", new_x="LMARGIN", new_y="NEXT")

    check, counterparty = proof.check, proof.check.counterparty
    heading(_("Proof of a VAT number check"), 16)
    fact(_("Workspace"), workspace_name)
    fact(_("Check"), f"#{check.pk}")
    pdf.ln(2)
    heading(_("The number checked"))
    fact(_("VAT number"), counterparty.vat_number)
    fact(_("Name (as entered)"), counterparty.name)
    fact(_("Overall result"), str(check.get_overall_status_display()))
    fact(_("Confidence"), f"{check.confidence_score} / 100")
    fact(_("Consultation number"), proof.consultation_number or _("none issued"))
    pdf.ln(2)
    heading(_("Who asked, and when"))
    if proof.requester is not None:
        fact(_("Requester"), f"{proof.requester.name} ({proof.requester.vat_number})")
    else:
        fact(_("Requester"), check.requester_vat_number or _("none sent"))
    fact(_("Requested by"), proof.requested_by)
    fact(_("Started"), _moment(check.started_at))
    fact(_("Finished"), _moment(check.finished_at))
    for item in proof.results:
        result = item.result
        pdf.ln(2)
        heading(f"{item.service_label}: {result.get_status_display()}")
        if item.is_registry:
            fact(
                _("Member state asked"),
                f"{country_name(result.country_code)} ({result.country_code})" if result.country_code else "",
            )
            fact(_("Registered name"), _disclosed(result, result.registered_name))
            fact(_("Registered address"), _disclosed(result, result.registered_address))
            fact(_("Consultation number"), result.consultation_number)
        fact(_("Error code"), result.error_code)
        fact(_("Answered"), _moment(result.created_at))
        if result.raw_response:
            fact(_("Raw response SHA-256"), item.response_sha256)
            fact(_("Raw response size"), item.response_size)
    pdf.ln(4)
    pdf.set_font("Noto", "", 8)
    pdf.multi_cell(
        width,
        4.5,
        _(
            "The raw responses are kept as they were received. Their SHA-256 above identifies them: the same "
            "response hashed again gives the same value."
        ),
    )
    return bytes(pdf.output())


def _moment(moment: datetime | None) -> str:
    return when(moment, seconds=True)


def _disclosed(result: CheckResult, value: str | None) -> str:
    """A valid number's missing name or address was withheld ('---'); an invalid one has none to give."""
    if value is None and result.status == CheckStatus.VALID:
        return _("not disclosed by the registry")
    return value or ""
