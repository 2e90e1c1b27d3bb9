"""Reading an uploaded file into rows of text: CSV in the encodings Excel writes, or XLSX, streamed.

The file is hostile until read: a CSV may be in any encoding, cut off mid-upload, or not text at all; an
XLSX is a zip that may inflate to gigabytes or hold formulas. What comes out is the header row and an
iterator of the non-empty rows below it, every cell as text (a formula's text, never its value). Anything
unreadable raises `UnreadableFile` with a message for the user; the caller stores rows inside one
transaction, so an error found on the last row leaves nothing behind.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Columns beyond this are ignored: a sheet whose dimension claims 16,384 columns must not make every row
# a tuple of 16,384 cells.
MAX_COLUMNS = 50
EXCEL_MAX_ROWS = 1_048_576
_SNIFF_CHARS = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc)
_BINARY_PROBE = 4096  # a NUL byte in this much of a "CSV" means UTF-16 or binary
# A member this small may have any ratio (a sheet of empty rows compresses very well); above it, the ratio
# of a zip bomb is refused.
_RATIO_FLOOR_BYTES = 1 * 2**20
_MAX_MEMBERS = 10_000
_LETTERS = re.compile(r"[^\W\d_]+")


class UnreadableFile(ValueError):
    """The file cannot be imported; `message` says why, for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    file_format: str  # "csv" or "xlsx"
    headers: list[str]
    header_line: int
    rows: Iterator[tuple[int, list[str]]]  # (line in the file, cells), non-empty rows only, at most the limit
    encoding: str = ""
    delimiter: str = ""


def read_table(fileobj: IO[bytes], filename: str) -> Table:
    """The header and the rows of an uploaded CSV or XLSX; raises UnreadableFile."""
    if sniff(fileobj, filename) == "xlsx":
        return _read_xlsx(fileobj)
    return _read_csv(fileobj.read())


def sniff(fileobj: IO[bytes], filename: str) -> str:
    """ "csv" or "xlsx", from what shows at a glance; raises UnreadableFile for a file we cannot read at all.

    Cheap whatever the size (the first bytes, and an XLSX's zip directory), so the upload refuses these at
    once, before a worker reads the file whole (services/upload.py).
    """
    fileobj.seek(0)
    head = fileobj.read(_BINARY_PROBE)
    fileobj.seek(0)
    if not head:
        raise UnreadableFile(_("The file is empty."))
    if head.startswith(_ZIP_MAGIC):
        check_zip(fileobj)
        return "xlsx"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(_("This is not an XLSX file (an XLSX is a zip archive). Save it again from Excel."))
    if head.startswith(_OLE_MAGIC):
        raise UnreadableFile(_("Old Excel files (.xls) cannot be read: save it as .xlsx or as CSV."))
    _refuse_binary(head)
    return "csv"


# --- CSV ----------------------------------------------------------------------------------------------
def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    delimiter = detect_delimiter(text)
    # The cell limit is ours (rows with long cells are refused with a message); the csv module's own limit
    # of 128 KiB would abort the whole file with a cryptic error instead.
    csv.field_size_limit(max(csv.field_size_limit(), settings.IMPORT_MAX_UPLOAD_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = _numbered(_csv_rows(reader))
    header_line, headers = _header(rows)
    return Table("csv", headers, header_line, _limited(rows), encoding=encoding, delimiter=delimiter)


def _csv_rows(reader) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        # With strict=True the only ways to fail are a quote left open (the file was cut off) or a stray one.
        raise UnreadableFile(
            _("The file could not be read as CSV near row %(line)d (%(error)s). Was the upload cut off?")
            % {"line": reader.line_num, "error": exc}
        ) from None


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in: UTF-8 (with or without BOM), else Windows-1251/1252."""
    _refuse_binary(data)
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data[3:].decode("utf-8") if bom else data.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise UnreadableFile(_("The file ends in the middle of a character: the upload was cut off.")) from None
        if bom or _mostly_utf8(data):
            raise UnreadableFile(
                _("The file is UTF-8 with invalid bytes near byte %(position)d: it mixes encodings. Save it again.")
                % {"position": exc.start}
            ) from None
    decoded = {}
    for encoding in ("cp1252", "cp1251"):
        try:
            decoded[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise UnreadableFile(
            _("The file is not in UTF-8, Windows-1251 or Windows-1252, the encodings we read: save it as “CSV UTF-8”.")
        )
    # Both code pages decode almost any bytes; the one whose words look like words wins (ties: cp1252).
    encoding = max(decoded, key=lambda name: (_plausibility(decoded[name]), name == "cp1252"))
    return decoded[encoding], encoding


def _refuse_binary(data: bytes) -> None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:_BINARY_PROBE]:
        raise UnreadableFile(
            _("This file is UTF-16 or binary, not a CSV we can read: save it as “CSV UTF-8” or as .xlsx.")
        )


def _mostly_utf8(data: bytes) -> bool:
    """More well-formed UTF-8 sequences than broken bytes: a UTF-8 file damaged, not another encoding."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    return sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd") > broken


def _plausibility(text: str) -> int:
    """Words that look like words of some language, minus words that look like a wrong code page.

    Russian read as Windows-1252 gives words of accented Latin letters only ("Îáùåñòâî"); German or French
    read as Windows-1251 gives Latin words with Cyrillic letters inside ("Mьller", "Sociйtй"). Both are
    what no language writes.
    """
    score = 0
    for word in _LETTERS.findall(text[: 4 * _SNIFF_CHARS]):
        if word.isascii():
            continue
        cyrillic = sum(1 for ch in word if "\u0400" <= ch <= "\u04ff")
        ascii_letters = sum(1 for ch in word if ch.isascii())
        other = len(word) - cyrillic - ascii_letters
        mixed = cyrillic and (ascii_letters or other)
        accents_only = other and not ascii_letters and not cyrillic and len(word) >= 3
        score += -1 if mixed or accents_only else 1
    return score


def detect_delimiter(text: str) -> str:
    """Comma, semicolon (Excel in most of Europe) or tab; the header line decides when the sniffer cannot."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ""
    if delimiter and delimiter in first_line:
        return delimiter
    counts = {candidate: first_line.count(candidate) for candidate in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


# --- XLSX ---------------------------------------------------------------------------------------------
def _read_xlsx(fileobj: IO[bytes]) -> Table:
    """The first sheet of a workbook whose zip directory `sniff` has checked."""
    from openpyxl import load_workbook

    fileobj.seek(0)
    try:
        # data_only=False: a formula cell gives its text ("=HYPERLINK(...)"), which is never evaluated.
        workbook = load_workbook(fileobj, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # the parser's many errors on a damaged or hostile file all mean "unreadable"
        logger.info("import: unreadable XLSX (%s: %s)", type(exc).__name__, exc)
        raise UnreadableFile(_("The file could not be read as XLSX: it is damaged or not an Excel workbook.")) from None
    if not workbook.worksheets:
        workbook.close()
        raise UnreadableFile(_("The workbook has no sheet."))
    rows = _numbered(_xlsx_rows(workbook))
    header_line, headers = _header(rows)
    return Table("xlsx", headers, header_line, _limited(rows))


def _xlsx_rows(workbook) -> Iterator[list[str]]:
    """The first sheet's rows as text, streamed; the workbook is closed when the rows are done."""
    sheet = workbook.worksheets[0]
    try:
        # Both bounds given: otherwise openpyxl reads the whole sheet once more to find its dimensions.
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS, max_row=EXCEL_MAX_ROWS):
            if values.count(None) == len(values):
                yield []  # an empty row (or a gap openpyxl fills in), at C speed
                continue
            cells = [cell_text(value) for value in values]
            while cells and not cells[-1]:  # the sheet's width pads every row; the file's own cells end here
                cells.pop()
            yield cells
    except UnreadableFile:
        raise
    except Exception as exc:  # a sheet damaged past its first rows: the same message as a damaged file
        logger.info("import: unreadable XLSX sheet (%s: %s)", type(exc).__name__, exc)
        raise UnreadableFile(_("The file could not be read as XLSX: it is damaged or was cut off.")) from None
    finally:
        workbook.close()


def check_zip(fileobj: IO[bytes]) -> None:
    """Refuse a zip that is damaged, is not a workbook, or would inflate beyond the limits (a zip bomb).

    The sizes checked are the ones the archive declares; zipfile never inflates a member past its declared
    size (it fails the CRC check instead), so a lying header cannot get more through.
    """
    fileobj.seek(0)
    if not zipfile.is_zipfile(fileobj):
        raise UnreadableFile(_("The XLSX file is damaged or incomplete: the upload was probably cut off."))
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnreadableFile(_("The XLSX file is damaged or incomplete: the upload was probably cut off.")) from None
    if len(members) > _MAX_MEMBERS or "xl/workbook.xml" not in {member.filename for member in members}:
        raise UnreadableFile(_("This zip archive is not an Excel workbook."))
    total = sum(member.file_size for member in members)
    ratio_limit = settings.IMPORT_XLSX_MAX_RATIO
    inflating = [
        member
        for member in members
        if member.file_size > _RATIO_FLOOR_BYTES and member.file_size > ratio_limit * max(member.compress_size, 1)
    ]
    if total > settings.IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES or inflating:
        raise UnreadableFile(
            _("This XLSX would expand to %(size)d MB (a “zip bomb”): it is refused. Save the sheet as CSV instead.")
            % {"size": total // 2**20}
        )


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person sees: 136695976, not 136695976.0; dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# --- rows ---------------------------------------------------------------------------------------------
def _numbered(rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Non-empty rows with their line numbers; a row of empty cells costs one check, nothing stored."""
    for line, cells in enumerate(rows, start=1):
        if any(cell.strip() for cell in cells):
            yield line, cells


def _header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    first = next(rows, None)
    if first is None:
        raise UnreadableFile(_("The file has no rows: nothing to import."))
    line, cells = first
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    return line, [cell.strip()[:200] for cell in cells[:MAX_COLUMNS]]


def _limited(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    limit = settings.IMPORT_MAX_ROWS
    for count, (line, cells) in enumerate(rows, start=1):
        if count > limit:
            raise UnreadableFile(
                _("The file has more than %(limit)d rows: split it into several files.") % {"limit": limit}
            )
        yield line, cells[:MAX_COLUMNS]
