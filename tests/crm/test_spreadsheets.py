"""crm/spreadsheets.py: what every CSV and XLSX file vatcrm hands out must do."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from crm.spreadsheets import csv_lines, write_xlsx

ROWS = [['=HYPERLINK("http://x")', datetime(2026, 6, 17, 9, 30, tzinfo=UTC), 7, None]]
HEADERS = ["Name", "When (Europe/Berlin)", "Count", "Empty"]
BERLIN = ZoneInfo("Europe/Berlin")


def test_csv_has_a_bom_keeps_formulas_as_text_and_writes_moments_as_asked():
    text = "".join(csv_lines(HEADERS, ROWS, moment=lambda moment: f"{moment.astimezone(BERLIN):%H:%M}"))
    assert text.startswith("\ufeffName,")
    assert text.splitlines()[1] == '"\'=HYPERLINK(""http://x"")",11:30,7,'


def test_xlsx_has_a_bold_frozen_header_an_autofilter_widths_and_wall_time_dates():
    buffer = io.BytesIO()
    assert write_xlsx(buffer, title="A sheet name longer than Excel allows", headers=HEADERS, rows=ROWS,
                      zone=BERLIN, widths=[30, 18]) == 1  # fmt: skip
    sheet = load_workbook(buffer).active
    assert sheet.title == "A sheet name longer than Excel a"[:31]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D2" and sheet["A1"].font.bold
    assert sheet.column_dimensions["A"].width == 30
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")'
    assert sheet["B2"].is_date and sheet["B2"].value == datetime(2026, 6, 17, 11, 30)
    assert (sheet["C2"].value, sheet["D2"].value) == (7, None)
