"""Which column of the file holds which of our fields: matched by known header names, or chosen by a person.

A mapping is a dict of our field name -> the index of the file's column. Headers are compared folded
(case, spaces, dots, dashes and underscores do not matter), against the English and Russian names people
give these columns; the first column matching a field takes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    required: bool
    aliases: tuple[str, ...]


FIELDS: tuple[Field, ...] = (
    Field(
        "vat_number",
        _("VAT number"),
        True,
        (
            "vat number",
            "vat",
            "vat no",
            "vat id",
            "vat nr",
            "vat reg no",
            "vat registration number",
            "vatin",
            "vat code",
            "tax id",
            "eu vat",
            "ust id",
            "ust idnr",
            "tva",
            "btw",
            "iva",
            "номер ндс",
            "ндс",
            "ндс номер",
            "идентификационный номер ндс",
            "налоговый номер",
            "инн",
            "инн ндс",
            "vat номер",
        ),
    ),
    Field(
        "name",
        _("Name"),
        False,
        (
            "name",
            "company",
            "company name",
            "counterparty",
            "counterparty name",
            "supplier",
            "customer",
            "business name",
            "legal name",
            "название",
            "наименование",
            "компания",
            "контрагент",
            "название компании",
            "наименование контрагента",
            "имя",
        ),
    ),
    Field("address", _("Address"), False, ("address", "registered address", "адрес", "юридический адрес")),
    Field("country", _("Country"), False, ("country", "country code", "страна", "код страны")),
    Field(
        "external_reference",
        _("External reference"),
        False,
        (
            "external reference",
            "external ref",
            "reference",
            "ref",
            "erp id",
            "erp",
            "id",
            "external id",
            "customer id",
            "supplier id",
            "account",
            "account number",
            "code",
            "внешний код",
            "код",
            "внешний идентификатор",
            "идентификатор",
            "ид",
            "код erp",
            "номер в erp",
        ),
    ),
    Field("tags", _("Tags"), False, ("tags", "tag", "labels", "groups", "теги", "тег", "метки", "группы")),
    Field("monitoring", _("Monitoring"), False, ("monitoring", "monitor", "frequency", "мониторинг", "проверка")),
)
FIELD_NAMES = tuple(field.name for field in FIELDS)
_FOLD = re.compile(r"[\s._\-/#№:()*]+")


def fold(header: str) -> str:
    """'VAT-No.' -> 'vat no', 'Номер НДС' -> 'номер ндс'."""
    return " ".join(_FOLD.sub(" ", header.casefold()).split())


_ALIASES = {fold(alias): field.name for field in FIELDS for alias in field.aliases}


def match_headers(headers: list[str]) -> dict[str, int]:
    """The mapping the headers say, as far as they say it."""
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        field = _ALIASES.get(fold(header))
        if field and field not in mapping:
            mapping[field] = index
    return mapping


def is_complete(mapping: dict[str, int]) -> bool:
    return all(field.name in mapping for field in FIELDS if field.required)


def template_headers() -> list[str]:
    """The header row of the downloadable template: our own names, which match_headers knows."""
    return ["VAT number", "Name", "Address", "Country", "External reference", "Tags", "Monitoring"]


TEMPLATE_EXAMPLE = [
    "DE136695976",
    "Example GmbH",
    "Musterstraße 1, 10115 Berlin",
    "DE",
    "ERP-1001",
    "supplier; DACH",
    "weekly",
]
