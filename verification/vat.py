"""VAT number normalisation and format checks, before any registry is asked.

Why this exists: users paste VAT numbers from invoices, e-mails and spreadsheets ("de 136.695.976",
"GR094259216", "DE DE136695976", "CHE-113.552.284 MWST"). We turn those into one canonical form (the
country code plus the national number) so a counterparty is stored once, and we refuse, without a
network call, what cannot be a VAT number of that country (wrong length, wrong characters, unknown
country).

The countries are VIES's (the EU-27 with Greece as EL, and XI for Northern Ireland) plus three with a
registry of their own (verification/registries.py routes them): GB (HMRC), Switzerland (the UID
register; canonical ``CHE113552284``, the MWST / TVA / IVA suffix is only the language and is dropped)
and Norway (Brønnøysund; canonical ``NO995525828MVA``, the MVA suffix added when it is missing).

A number whose only fault is its check digit (or another embedded rule, such as an Italian province code)
is *not* refused: checksum rules lag behind numbers really issued, and the registry decides. Such a number
comes back with ``checksum_ok=False`` and a warning.

The rules are python-stdnum's per-country modules, wrapped by our own table of lengths and characters
(``_SHAPES``): stdnum checks some check digits before lengths, so its exception alone cannot tell
"only the checksum is wrong" apart from "not a number of this shape at all".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.util import get_cc_module

__all__ = [
    "COUNTRY_CODES",
    "VIES_COUNTRY_CODES",
    "InvalidVatNumber",
    "NormalisedVat",
    "normalise_vat",
]

# Separators people type inside a VAT number. Unicode dashes are included because word processors turn
# "-" into an en dash; whitespace of every kind (NBSP from web pages) and invisible format characters go too.
_SEPARATORS = frozenset(" .-/\\_\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_MAX_INPUT = 64  # anything longer is not a VAT number; stop before doing work on it


@dataclass(frozen=True)
class _Shape:
    """The lengths and characters a national number (without prefix) may have in one member state."""

    pattern: re.Pattern[str]
    lengths: frozenset[int]
    alphabet: str
    description: str | Promise  # for messages: what a number of this country looks like (translated)
    example: str


def _shape(pattern: str, lengths: set[int], alphabet: str, description: str | Promise, example: str) -> _Shape:
    return _Shape(re.compile(pattern, re.ASCII), frozenset(lengths), alphabet, description, example)


_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Keyed by the VIES country code (EL for Greece, XI for Northern Ireland). Lengths and characters follow
# the VIES formats; the finer rules (leading digits, check digits) are left to python-stdnum.
_SHAPES: dict[str, _Shape] = {
    "AT": _shape(r"U\d{8}", {9}, "U" + _DIGITS, _("'U' followed by 8 digits"), "ATU13585627"),
    "BE": _shape(r"\d{10}", {10}, _DIGITS, _("10 digits"), "BE0403019261"),
    "BG": _shape(r"\d{9,10}", {9, 10}, _DIGITS, _("9 or 10 digits"), "BG175074752"),
    "CY": _shape(r"\d{8}[A-Z]", {9}, _DIGITS + _LETTERS, _("8 digits and a letter"), "CY10259033P"),
    "CZ": _shape(r"\d{8,10}", {8, 9, 10}, _DIGITS, _("8, 9 or 10 digits"), "CZ25123891"),
    "DE": _shape(r"\d{9}", {9}, _DIGITS, _("9 digits"), "DE136695976"),
    "DK": _shape(r"\d{8}", {8}, _DIGITS, _("8 digits"), "DK13585628"),
    "EE": _shape(r"\d{9}", {9}, _DIGITS, _("9 digits"), "EE100594102"),
    "EL": _shape(r"\d{9}", {9}, _DIGITS, _("9 digits"), "EL094259216"),
    "ES": _shape(
        r"(?!\d{9}$)[0-9A-Z]\d{7}[0-9A-Z]",
        {9},
        _DIGITS + _LETTERS,
        _("9 characters, the first or the last a letter"),
        "ESB64717838",
    ),
    "FI": _shape(r"\d{8}", {8}, _DIGITS, _("8 digits"), "FI20774740"),
    "FR": _shape(
        r"[0-9A-HJ-NP-Z]{2}\d{9}",
        {11},
        _DIGITS + _LETTERS.replace("I", "").replace("O", ""),
        _("a 2-character key and 9 digits"),
        "FR40303265045",
    ),
    "HR": _shape(r"\d{11}", {11}, _DIGITS, _("11 digits"), "HR33392005961"),
    "HU": _shape(r"\d{8}", {8}, _DIGITS, _("8 digits"), "HU12892312"),
    "IE": _shape(
        r"\d[0-9A-Z+*]\d{5}[A-W]{1,2}",
        {8, 9},
        _DIGITS + _LETTERS + "+*",
        _("7 digits and 1 or 2 letters"),
        "IE6433435OA",
    ),
    "IT": _shape(r"\d{11}", {11}, _DIGITS, _("11 digits"), "IT00743110157"),
    "LT": _shape(r"\d{9}|\d{12}", {9, 12}, _DIGITS, _("9 or 12 digits"), "LT119511515"),
    "LU": _shape(r"\d{8}", {8}, _DIGITS, _("8 digits"), "LU15027442"),
    "LV": _shape(r"\d{11}", {11}, _DIGITS, _("11 digits"), "LV40003521600"),
    "MT": _shape(r"\d{8}", {8}, _DIGITS, _("8 digits"), "MT11679112"),
    "NL": _shape(r"\d{9}B\d{2}", {12}, _DIGITS + "B", _("9 digits, 'B' and 2 digits"), "NL004495445B01"),
    "PL": _shape(r"\d{10}", {10}, _DIGITS, _("10 digits"), "PL8567346215"),
    "PT": _shape(r"\d{9}", {9}, _DIGITS, _("9 digits"), "PT501964843"),
    "RO": _shape(r"\d{2,10}", set(range(2, 11)), _DIGITS, _("2 to 10 digits"), "RO18547290"),
    "SE": _shape(r"\d{10}01", {12}, _DIGITS, _("12 digits ending in 01"), "SE123456789701"),
    "SI": _shape(r"\d{8}", {8}, _DIGITS, _("8 digits"), "SI50223054"),
    "SK": _shape(r"\d{10}", {10}, _DIGITS, _("10 digits"), "SK2022749619"),
    "XI": _shape(
        r"\d{9}|\d{12}|(?:GD|HA)\d{3}|(?:GD|HA)8888\d{5}",
        {5, 9, 11, 12},
        _DIGITS + "GDHA",
        _("9 or 12 digits (or GD/HA and 3 digits)"),
        "XI980780684",
    ),
}

VIES_COUNTRY_CODES: frozenset[str] = frozenset(_SHAPES)
"""The prefixes VIES answers for: the EU-27 (Greece as EL) and XI (Northern Ireland)."""

# Countries outside VIES, each checked by its own registry. GB follows the same rules as XI (one VAT
# register, HMRC's); Swiss numbers are the UID ("CHE" + 9 digits, the last a check digit); Norwegian ones
# the 9-digit organisation number followed by MVA.
_SHAPES.update(
    {
        "GB": _shape(
            _SHAPES["XI"].pattern.pattern,
            set(_SHAPES["XI"].lengths),
            _SHAPES["XI"].alphabet,
            _("9 or 12 digits (or GD/HA and 3 digits)"),
            "GB980780684",
        ),
        "CH": _shape(
            r"\d{9}", {9}, _DIGITS, _("'CHE' and 9 digits (MWST, TVA or IVA may follow)"), "CHE-113.552.284 MWST"
        ),
        "NO": _shape(r"\d{9}MVA", {12}, _DIGITS + "MVA", _("9 digits followed by MVA"), "NO995525828MVA"),
    }
)
COUNTRY_CODES: frozenset[str] = frozenset(_SHAPES)
"""Every prefix we check: VIES's, plus GB (HMRC), CH (UID register) and NO (Brønnøysund)."""

_ALIASES = {"GR": "EL"}  # what users type -> the VIES code
_PREFIXES = {"CH": "CHE"}  # canonical prefixes longer than the country code
_SWISS_SUFFIXES = ("MWST", "TVA", "IVA")  # German, French, Italian for "VAT"; one number

# Prefixes that look like a country but are not checked, with a message that tells the user why.
_NOT_CHECKED = {
    "EU": _("EU-prefixed numbers are non-Union OSS registrations; no registry checks them."),
}


class InvalidVatNumber(ValueError):
    """The input cannot be a VAT number: it is refused before any registry is asked.

    ``code`` is stable and machine-readable ("empty", "missing_country", "unknown_country",
    "invalid_length", "invalid_format"); ``message`` is meant for the user, in the active language.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class NormalisedVat:
    """A VAT number in canonical form.

    ``country_code`` is the VIES code (EL for Greece, XI for Northern Ireland) or the ISO code of a
    country outside VIES (GB, CH, NO), and ``number`` the national part without prefix, compacted the
    way the registry expects it (Belgian numbers padded to 10 digits, Dutch to 12 characters, Norwegian
    ones ending in MVA...). ``prefix`` is set where the canonical prefix is longer than the country code
    (``"CHE"``). ``checksum_ok`` is False when the number has the right shape but fails its check digit
    or another embedded rule; ``warning`` then says which, for the user.
    """

    country_code: str
    number: str
    checksum_ok: bool = True
    warning: str = ""
    prefix: str = ""

    @property
    def vat_number(self) -> str:
        """The canonical string we store and compare: ``"EL094259216"``, ``"CHE113552284"``."""
        return f"{self.prefix or self.country_code}{self.number}"

    def __str__(self) -> str:
        return self.vat_number


def normalise_vat(raw: str | None) -> NormalisedVat:
    """Normalise what a user typed into a :class:`NormalisedVat`, or raise :class:`InvalidVatNumber`.

    Raises only for what cannot be a VAT number of that country; a checksum-only failure is returned
    with ``checksum_ok=False`` because the registry, not the checksum, has the last word.
    """
    cleaned = _clean(raw or "")
    if not cleaned:
        raise InvalidVatNumber(gettext("Enter a VAT number."), "empty")
    if len(cleaned) > _MAX_INPUT:
        raise InvalidVatNumber(gettext("This is far too long to be a VAT number."), "invalid_length")
    bad = sorted({ch for ch in cleaned if ch not in _DIGITS + _LETTERS + "+*"})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise InvalidVatNumber(gettext("A VAT number cannot contain %(shown)s.") % {"shown": shown}, "invalid_format")

    country = _country(cleaned)
    shape = _SHAPES[country]
    prefix = _PREFIXES.get(country, country)
    number = _national_number(country, cleaned[2:])
    if not number:
        raise InvalidVatNumber(
            gettext(
                "The number after %(prefix)s is missing: %(country)s numbers are %(description)s, e.g. %(example)s."
            )
            % {"prefix": prefix, "country": country, "description": shape.description, "example": shape.example},
            "invalid_length",
        )
    _check_shape(country, number)
    return _check_rules(country, number)


def _clean(raw: str) -> str:
    """Fold Unicode look-alikes (full-width digits, NBSP) to ASCII, drop separators, upper-case."""
    text = unicodedata.normalize("NFKC", raw)
    kept = (ch for ch in text if not ch.isspace() and ch not in _SEPARATORS and unicodedata.category(ch) != "Cf")
    return "".join(kept).upper()


def _country(cleaned: str) -> str:
    """Return the VIES country code the input starts with, or raise with a helpful message."""
    prefix = cleaned[:2]
    if not (len(prefix) == 2 and prefix.isascii() and prefix.isalpha()):
        raise InvalidVatNumber(
            gettext("Start the VAT number with its two-letter country code, e.g. DE136695976 or FR40303265045."),
            "missing_country",
        )
    prefix = _ALIASES.get(prefix, prefix)
    if prefix in _SHAPES:
        return prefix
    message = _NOT_CHECKED.get(prefix) or gettext(
        "%(prefix)s is not a country code we check: the EU-27 (Greece as EL), XI (Northern Ireland), "
        "GB (the United Kingdom), CHE (Switzerland) and NO (Norway)."
    ) % {"prefix": prefix}
    raise InvalidVatNumber(str(message), "unknown_country")


def _national_number(country: str, rest: str) -> str:
    """Compact the national part; drop a repeated prefix ("DE DE136695976") when that is what it is.

    The prefix is only dropped when the number does not already have a valid shape with it, so a French
    number whose 2-character key happens to be "FR" is left alone.
    """
    if country in ("CH", "NO"):
        return _national_suffixed(country, rest)
    number = _compact(country, rest)
    prefixes = ("EL", "GR") if country == "EL" else (country,)
    if not _SHAPES[country].pattern.fullmatch(number) and rest.startswith(prefixes):
        stripped = _compact(country, rest[2:])
        if _SHAPES[country].pattern.fullmatch(stripped):
            return stripped
    return number


def _national_suffixed(country: str, rest: str) -> str:
    """Swiss and Norwegian numbers: a repeated prefix, the "E" of CHE and the language suffix off, MVA on.

    stdnum keeps both countries' prefixes and suffixes in its compact form, so they are handled here.
    """
    if country == "CH":
        # "CH" and the digits (a country column of "CH" before a bare UID) is read as CHE: nothing else
        # is a Swiss VAT number.
        if rest.startswith("E"):
            rest = rest[1:]
        elif not rest[:1].isdigit():
            shape = _SHAPES["CH"]
            raise InvalidVatNumber(
                gettext("Swiss numbers start with CHE: %(description)s, e.g. %(example)s.")
                % {"description": shape.description, "example": shape.example},
                "invalid_format",
            )
        if rest.startswith("CHE"):  # "CHE CHE-113.552.284"
            rest = rest[3:]
        return next((rest[: -len(sx)] for sx in _SWISS_SUFFIXES if rest.endswith(sx) and len(rest) > len(sx)), rest)
    if rest.startswith("NO"):  # "NO NO995525828MVA"
        rest = rest[2:]
    return rest + "MVA" if rest.isdigit() and len(rest) == 9 else rest


def _compact(country: str, rest: str) -> str:
    """Apply stdnum's national compaction (padding of old short forms) and return it without prefix."""
    try:
        number = _module(country).compact(country + rest)
    except ValidationError:  # stdnum refuses characters it cannot clean: keep ours for the message
        return rest
    # Every module strips its own prefix except Romania's; do it here so the result is uniform.
    return number[2:] if country == "RO" and number.startswith("RO") else number


def _check_shape(country: str, number: str) -> None:
    shape = _SHAPES[country]
    if shape.pattern.fullmatch(number):
        return
    hint = _hint(country, shape)
    wrong = sorted({ch for ch in number if ch not in shape.alphabet})
    if wrong:
        contains = gettext("This one contains %(shown)s.") % {"shown": ", ".join(repr(ch) for ch in wrong[:5])}
        raise InvalidVatNumber(f"{hint} {contains}", "invalid_format")
    if len(number) not in shape.lengths:
        length = gettext("This one has %(count)d characters.") % {"count": len(number)}
        raise InvalidVatNumber(f"{hint} {length}", "invalid_length")
    form = gettext("This one does not have that form.")
    raise InvalidVatNumber(f"{hint} {form}", "invalid_format")


def _hint(country: str, shape: _Shape) -> str:
    return gettext("%(country)s numbers are %(description)s, e.g. %(example)s.") % {
        "country": country,
        "description": shape.description,
        "example": shape.example,
    }


def _check_rules(country: str, number: str) -> NormalisedVat:
    """Run stdnum's full validation; only check-digit and embedded-rule failures are soft."""
    shape = _SHAPES[country]
    prefix = _PREFIXES.get(country, "")
    # stdnum's Swiss VAT rules want the suffix; which language it is in does not matter.
    checked = f"{prefix}{number}MWST" if country == "CH" else country + number
    try:
        _module(country).validate(checked)
    except InvalidChecksum:
        # Kept with the check in English (evidence); pages translate it when they show it.
        warning = gettext_noop("The check digit does not match; the registry decides whether the number exists.")
        return NormalisedVat(country, number, checksum_ok=False, warning=warning, prefix=prefix)
    except InvalidComponent:
        warning = gettext_noop(
            "A part of the number (such as a region or date code) is not one we know; "
            "the registry decides whether the number exists."
        )
        return NormalisedVat(country, number, checksum_ok=False, warning=warning, prefix=prefix)
    except InvalidLength as exc:
        raise InvalidVatNumber(_hint(country, shape), "invalid_length") from exc
    except ValidationError as exc:  # InvalidFormat and anything stdnum adds later
        form = gettext("This one does not have that form.")
        raise InvalidVatNumber(f"{_hint(country, shape)} {form}", "invalid_format") from exc
    return NormalisedVat(country, number, prefix=prefix)


@cache
def _module(country: str) -> ModuleType:
    """The python-stdnum VAT module for a country code (EL -> gr, XI -> gb rules, NO -> mva)."""
    iso = {"EL": "gr", "XI": "gb"}.get(country, country.lower())
    return get_cc_module(iso, "vat")
