# ruff: noqa: RUF001 -- Russian text is what these tests read (Cyrillic letters that look Latin)
"""Reading files: every encoding and delimiter Excel writes, XLSX streamed, and hostile files refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from imports.reading import UnreadableFile, decode, detect_delimiter, read_table

from .factories import HEADERS, csv_bytes, xlsx_bytes

ROWS = [
    ["DE136695976", "Müller Holzbau GmbH", "Hauptstraße 5, München", "", "", "", ""],
    ["FR40303265045", "Société Générale", "29 bd Haussmann, Paris", "", "", "", ""],
]
RUSSIAN = [["EL094259216", "ООО Ромашка", "Москва, ул. Ленина, 1", "", "", "", ""]]


def rows_of(data: bytes, filename: str = "book.csv") -> tuple[list[str], list[list[str]]]:
    table = read_table(io.BytesIO(data), filename)
    return table.headers, [cells for _, cells in table.rows]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("encoding", "rows", "expected"),
    [
        ("utf-8", ROWS + RUSSIAN, "utf-8"),
        ("utf-8-sig", ROWS + RUSSIAN, "utf-8-sig"),
        ("cp1252", ROWS, "cp1252"),
        ("cp1251", RUSSIAN, "cp1251"),
    ],
)
def test_every_encoding_and_delimiter_reads_the_same_rows(settings, encoding, rows, expected, delimiter):
    data = csv_bytes(rows, delimiter=delimiter, encoding=encoding)
    table = read_table(io.BytesIO(data), "book.csv")
    assert (table.encoding, table.delimiter) == (expected, delimiter)
    assert table.headers == HEADERS
    assert [cells for _, cells in table.rows] == rows


def test_windows_1251_and_1252_are_told_apart_by_their_words():
    assert decode("Müller; Société; Größe; Ærø".encode("cp1252"))[1] == "cp1252"
    assert decode("ООО Ромашка; Пётр Иванов; Москва".encode("cp1251"))[1] == "cp1251"
    assert decode("ООО Ромашка".encode("cp1251"))[0] == "ООО Ромашка"


def test_the_delimiter_falls_back_to_the_header_line_when_the_sniffer_gives_up():
    assert detect_delimiter("VAT number;Name\n") == ";"
    assert detect_delimiter("VAT number\n") == ","
    assert detect_delimiter("VAT number\tName\tAddress\nDE1\ta, b; c\tx\n") == "\t"


def test_quoted_cells_with_delimiters_and_newlines_stay_whole():
    data = b'VAT number;Name;Tags\r\nDE136695976;"Holz; Bau\r\nGmbH";"a;b"\r\n'
    assert rows_of(data)[1] == [["DE136695976", "Holz; Bau\r\nGmbH", "a;b"]]


def test_xlsx_rows_come_as_text_and_formulas_are_never_evaluated():
    data = xlsx_bytes([[136695976, '=HYPERLINK("http://evil.example","x")', "+1", 12.0, None, "-2", "@SUM(A1)"]])
    headers, rows = rows_of(data, "book.xlsx")
    assert headers == HEADERS
    assert rows == [["136695976", '=HYPERLINK("http://evil.example","x")', "+1", "12", "", "-2", "@SUM(A1)"]]


def test_the_format_is_read_from_the_content_not_the_name():
    _headers, rows = rows_of(xlsx_bytes([["DE136695976"]]), "book.csv")
    assert rows == [["DE136695976"]]


def test_a_million_empty_rows_are_skipped_in_csv():
    data = b"VAT number,Name\r\n" + b",\r\n" * 1_000_000 + b"DE136695976,Last\r\n"
    table = read_table(io.BytesIO(data), "book.csv")
    assert list(table.rows) == [(1_000_002, ["DE136695976", "Last"])]


@pytest.mark.slow
def test_a_million_empty_rows_are_skipped_in_xlsx():
    """Rows with nothing but styles and row elements, as Excel writes a formatted empty column."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>VAT number</t></is></c></row>'
        + "".join(f'<row r="{n}"/>' for n in range(2, 1_000_002))
        + '<row r="1000002"><c r="A1000002" t="inlineStr"><is><t>DE136695976</t></is></c></row></sheetData></worksheet>'
    )
    data = _replace_sheet(xlsx_bytes([], header=["VAT number"]), sheet)
    table = read_table(io.BytesIO(data), "book.xlsx")
    assert list(table.rows) == [(1_000_002, ["DE136695976"])]


def test_too_many_rows_is_an_error(settings):
    settings.IMPORT_MAX_ROWS = 3
    table = read_table(io.BytesIO(csv_bytes([["DE136695976"]] * 4, header=["VAT number"])), "book.csv")
    with pytest.raises(UnreadableFile, match="more than 3 rows"):
        list(table.rows)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "book.csv", "empty"),
        (b"\r\n,,\r\n", "book.csv", "no rows"),
        (b"PK\x03\x04 this is not really a zip", "book.xlsx", "damaged or incomplete"),
        (b"VAT number,Name\r\nDE136695976,x\r\n", "book.xlsx", "not an XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "book.xls", ".xls"),
        ("VAT number,Name\r\n".encode("utf-16"), "book.csv", "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "book.csv", "binary"),
    ],
)
def test_files_that_are_not_csv_or_xlsx_get_a_clear_message(data, filename, message):
    with pytest.raises(UnreadableFile, match=message):
        rows_of(data, filename)


def test_a_truncated_xlsx_is_refused():
    data = xlsx_bytes([["DE136695976", "x"]] * 100)
    with pytest.raises(UnreadableFile, match="cut off"):
        rows_of(data[: len(data) // 2], "book.xlsx")


def test_a_csv_cut_inside_a_character_is_refused():
    data = csv_bytes([["DE136695976", "Ромашка"]], header=["VAT number", "Name"]).rstrip(b"\r\n")
    with pytest.raises(UnreadableFile, match="cut off"):
        rows_of(data[:-1])


def test_a_csv_cut_inside_a_quoted_cell_is_refused():
    with pytest.raises(UnreadableFile, match="cut off"):
        rows_of(b'VAT number,Name\r\nDE136695976,"Holzbau GmbH, Mun')


def test_utf8_with_broken_bytes_is_a_mix_of_encodings_not_a_code_page():
    data = "VAT number,Name\r\nEL094259216,Ромашка Ромашка\r\nDE136695976,M".encode() + b"\xfcller\r\n"
    with pytest.raises(UnreadableFile, match="mixes encodings"):
        rows_of(data)


def test_a_zip_bomb_posing_as_xlsx_is_refused_before_it_is_inflated(settings):
    settings.IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = 50 * 2**20
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 2**20))
    with pytest.raises(UnreadableFile, match="zip bomb"):
        rows_of(buffer.getvalue(), "book.xlsx")


def test_a_member_inflating_beyond_the_ratio_is_refused_even_under_the_total(settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b" " * (20 * 2**20))  # about 1000:1
    with pytest.raises(UnreadableFile, match="zip bomb"):
        rows_of(buffer.getvalue(), "book.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(UnreadableFile, match="not an Excel workbook"):
        rows_of(buffer.getvalue(), "book.xlsx")


def _replace_sheet(workbook: bytes, sheet_xml: str) -> bytes:
    """The same workbook with its first sheet's XML replaced (openpyxl would not write such a sheet)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = sheet_xml.encode() if item.filename == "xl/worksheets/sheet1.xml" else source.read(item)
            target.writestr(item, data)
    return buffer.getvalue()


def test_an_xml_entity_bomb_inside_the_workbook_is_refused():
    """Expat's own amplification limit stops "billion laughs"; the person gets the damaged-file message."""
    entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY e0 "laugh">{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&e9;</t></is></c></row></sheetData></worksheet>'
    )
    with pytest.raises(UnreadableFile, match="damaged"):
        rows_of(_replace_sheet(xlsx_bytes([], header=["VAT number"]), sheet), "book.xlsx")
