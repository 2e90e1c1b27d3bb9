"""What one row of the file says, in our terms, or why it cannot be taken.

The VAT number goes through the project's one normalisation (verification/vat.py), exactly as on the
Verify page: GR is read as EL, a number whose only fault is its check digit is taken with its warning
(the registry decides), and a refusal carries the normalisation's own reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from crm.models import MonitoringFrequency
from crm.untrusted import is_storable_text
from verification.vat import InvalidVatNumber, NormalisedVat, normalise_vat

from .columns import FIELDS, fold

NAME_MAX, REFERENCE_MAX, TAG_MAX, TAGS_PER_ROW = 200, 100, 50, 20
_TAG_SEPARATORS = re.compile(r"[;,]")
_MONITORING = {
    MonitoringFrequency.DAILY: ("daily", "day", "d", "ежедневно", "ежедневный", "каждый день"),
    MonitoringFrequency.WEEKLY: ("weekly", "week", "w", "еженедельно", "еженедельный", "каждую неделю"),
    MonitoringFrequency.OFF: ("off", "no", "none", "never", "0", "false", "нет", "выкл", "выключен", "выключено"),
}
_MONITORING_WORDS = {fold(word): value for value, words in _MONITORING.items() for word in words}
_LABELS = {f.name: f.label for f in FIELDS}


@dataclass
class RowData:
    vat: NormalisedVat | None = None
    name: str = ""
    address: str = ""
    external_reference: str = ""
    tags: list[str] = field(default_factory=list)
    monitoring: str = ""  # empty: the file does not say
    reason: str = ""  # set: the row is refused
    warning: str = ""


def stored_cells(cells: list[str], limit: int) -> list[str]:
    """The cells as kept on the row: a huge cell is cut, a NUL replaced (the row is refused for either)."""
    return [_storable(cell if len(cell) <= limit else cell[:limit] + "…") for cell in cells]


def _storable(cell: str) -> str:
    if is_storable_text(cell):
        return cell
    return "".join(ch if is_storable_text(ch) else "\ufffd" for ch in cell)


def interpret(cells: list[str], mapping: dict[str, int], *, cell_limit: int) -> RowData:
    """Read one row through the mapping; `reason` says why it is refused, if it is."""
    for index, cell in enumerate(cells):
        if len(cell) > cell_limit:
            return RowData(
                reason=_("Column %(column)d holds %(length)d characters; a cell may hold at most %(limit)d.")
                % {"column": index + 1, "length": len(cell), "limit": cell_limit}
            )
        if not is_storable_text(cell):
            return RowData(
                reason=_("Column %(column)d holds characters that cannot be stored.") % {"column": index + 1}
            )

    def value(name: str) -> str:
        index = mapping.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    data = RowData(name=value("name"), address=value("address"), external_reference=value("external_reference"))
    try:
        data.vat = normalise_vat(_with_country(value("vat_number"), value("country")))
    except InvalidVatNumber as exc:
        return RowData(reason=exc.message)
    data.reason = _country_mismatch(data.vat, value("country")) or _too_long(data)
    if data.reason:
        return data
    data.tags, data.reason = _tags(value("tags"))
    if not data.reason:
        data.monitoring, data.reason = _monitoring(value("monitoring"))
    data.warning = "" if data.vat.checksum_ok else data.vat.warning
    return data


def _with_country(raw: str, country: str) -> str:
    """A number written without its country prefix takes the country column's ("136695976" + "DE")."""
    compact = raw.replace(" ", "").lstrip()
    if country and compact and not compact[:2].isalpha():
        return country.strip() + raw
    return raw


def _country_mismatch(vat: NormalisedVat, country: str) -> str:
    """The country column must agree with the number's prefix, read the same way (GR is EL)."""
    if not country or country.strip().upper() in (vat.country_code, vat.prefix):
        return ""
    try:
        said = normalise_vat(country.strip() + vat.number).country_code
    except InvalidVatNumber as exc:
        if exc.code == "unknown_country":
            return exc.message
        said = country.strip().upper()
    if said in (vat.country_code, vat.prefix):
        return ""
    return _("The country column says %(country)s, but the VAT number is %(vat)s.") % {
        "country": country.strip(),
        "vat": vat.vat_number,
    }


def _too_long(data: RowData) -> str:
    for name, limit in (("name", NAME_MAX), ("external_reference", REFERENCE_MAX)):
        if len(getattr(data, name)) > limit:
            return _("%(field)s is longer than %(limit)d characters.") % {"field": _LABELS[name], "limit": limit}
    return ""


def _tags(raw: str) -> tuple[list[str], str]:
    tags: list[str] = []
    for part in _TAG_SEPARATORS.split(raw):
        tag = " ".join(part.split())
        if tag and tag not in tags:
            tags.append(tag)
    if any(len(tag) > TAG_MAX for tag in tags):
        return [], _("A tag is longer than %(limit)d characters.") % {"limit": TAG_MAX}
    if len(tags) > TAGS_PER_ROW:
        return [], _("More than %(limit)d tags on one row.") % {"limit": TAGS_PER_ROW}
    return tags, ""


def _monitoring(raw: str) -> tuple[str, str]:
    if not raw:
        return "", ""
    found = _MONITORING_WORDS.get(fold(raw))
    if found is None:
        return "", _("Monitoring must be daily, weekly or off, not “%(value)s”.") % {"value": raw[:40]}
    return str(found), ""
