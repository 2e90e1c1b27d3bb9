"""Country names in the reader's language, from CLDR (Babel's locale data): never a hand-written list."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils.translation import get_language, gettext, to_locale

# Prefixes of VAT numbers that are not ISO 3166 codes: Greece writes EL, Switzerland's UID starts with CHE.
ISO_CODE_OF_PREFIX = {"EL": "GR", "CHE": "CH"}
# XI (Northern Ireland, for goods) is not a territory in CLDR: the one name we translate ourselves.
NORTHERN_IRELAND = "XI"


@lru_cache(maxsize=16)
def _territories(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(to_locale(language)).territories)
    except (UnknownLocaleError, ValueError):
        return dict(Locale.parse(to_locale(settings.LANGUAGE_CODE)).territories)


def country_name(code: str | None, *, language: str | None = None) -> str:
    """The name of "DE": "Germany" or "Германия" (the active language unless given); an unknown code as is."""
    code = (code or "").strip().upper()
    if code == NORTHERN_IRELAND:
        return gettext("Northern Ireland")
    iso = ISO_CODE_OF_PREFIX.get(code, code)
    return _territories(language or get_language() or settings.LANGUAGE_CODE).get(iso, code)
