"""Raw registry exchanges stored compressed, and read back byte for byte.

A night of re-checks stores one request and one response per counterparty, and they are nearly the same
text every time: the same SOAP envelope or JSON keys around a few values. PostgreSQL compresses only values
over about 2 KB, so these would be stored as they are. Deflate with a preset dictionary of what the
registries' envelopes have in common takes a typical VIES exchange from about 1 KB to under 200 bytes.

The stored form is one byte naming the dictionary, then a raw deflate stream. A dictionary, once released,
is never changed: rows written with it must stay readable for as long as the evidence is kept. A better one
is added under the next number and used for new rows; old rows keep theirs.
"""

from __future__ import annotations

import zlib
from typing import Any

from django.db import models

_VIES_ENVELOPES = (
    '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header/><env:Body>'
    "<env:Fault><faultcode>env:Server</faultcode><faultstring>MS_UNAVAILABLE</faultstring></env:Fault>"
    '<ns2:checkVatApproxResponse xmlns:ns2="urn:ec.europa.eu:taxud:vies:services:checkVat:types">'
    "<ns2:traderCompanyType></ns2:traderCompanyType><ns2:traderStreet></ns2:traderStreet>"
    "<ns2:traderPostcode></ns2:traderPostcode><ns2:traderCity></ns2:traderCity>"
    "<ns2:traderNameMatch>3</ns2:traderNameMatch><ns2:traderCompanyTypeMatch>3</ns2:traderCompanyTypeMatch>"
    "<ns2:traderStreetMatch>3</ns2:traderStreetMatch><ns2:traderPostcodeMatch>3</ns2:traderPostcodeMatch>"
    "<ns2:traderCityMatch>3</ns2:traderCityMatch><ns2:requestIdentifier></ns2:requestIdentifier>"
    "</ns2:checkVatApproxResponse></env:Body></env:Envelope>"
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>'
    '<ns0:checkVatApprox xmlns:ns0="urn:ec.europa.eu:taxud:vies:services:checkVat:types">'
    "<ns0:requesterCountryCode></ns0:requesterCountryCode><ns0:requesterVatNumber></ns0:requesterVatNumber>"
    "</ns0:checkVatApprox></soap-env:Body></soap-env:Envelope>"
    '<ns0:checkVat xmlns:ns0="urn:ec.europa.eu:taxud:vies:services:checkVat:types"><ns0:countryCode>'
    "</ns0:countryCode><ns0:vatNumber></ns0:vatNumber></ns0:checkVat></soap-env:Body></soap-env:Envelope>"
    '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header/><env:Body>'
    '<ns2:checkVatResponse xmlns:ns2="urn:ec.europa.eu:taxud:vies:services:checkVat:types"><ns2:countryCode>'
    "</ns2:countryCode><ns2:vatNumber></ns2:vatNumber><ns2:requestDate>+01:00</ns2:requestDate>"
    "<ns2:valid>false</ns2:valid><ns2:name>---</ns2:name><ns2:address>---</ns2:address>"
    "</ns2:checkVatResponse></env:Body></env:Envelope>"
    '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header/><env:Body>'
    '<ns2:checkVatApproxResponse xmlns:ns2="urn:ec.europa.eu:taxud:vies:services:checkVat:types">'
    "<ns2:countryCode></ns2:countryCode><ns2:vatNumber></ns2:vatNumber><ns2:requestDate>+01:00</ns2:requestDate>"
    "<ns2:valid>true</ns2:valid><ns2:traderName></ns2:traderName><ns2:traderAddress></ns2:traderAddress>"
    "<ns2:traderCompanyType>---</ns2:traderCompanyType><ns2:requestIdentifier>WAPIAAAA"
)
_JSON_REGISTRIES = (
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nAuthorization: Bearer \r\nAccept: "
    'application/vnd.hmrc.2.0+json\r\n{"target":{"name":"","vatNumber":"","address":{"line1":"","line2":"",'
    '"postcode":"","countryCode":"GB"}},"processingDate":"T00:00:00+00:00","consultationNumber":"",'
    '"requester":"","code":"NOT_FOUND","message":"targetVrn does not match a registered company"}'
    '{"organisasjonsnummer":"","navn":"","organisasjonsform":{"kode":"AS","beskrivelse":"Aksjeselskap"},'
    '"registrertIMvaregisteret":true,"slettedato":"","forretningsadresse":{"land":"Norge","landkode":"NO",'
    '"postnummer":"","poststed":"","adresse":[""],"kommune":"","kommunenummer":""}}'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    '<ValidateVatNumberResponse xmlns="http://www.uid.admin.ch/xmlns/uid-wse"><ValidateVatNumberResult>true'
    "</ValidateVatNumberResult></ValidateVatNumberResponse></s:Body></s:Envelope>"
)
# Deflate finds matches best near the end of the dictionary: the commonest text (VIES) goes last.
DICTIONARIES: dict[int, bytes] = {1: (_JSON_REGISTRIES + _VIES_ENVELOPES).encode("utf-8")}
CURRENT_DICTIONARY = 1
_RAW_DEFLATE = -15  # no zlib header or checksum: the proof page's SHA-256 covers the text itself


def compress(text: str) -> bytes:
    if not text:
        return b""
    compressor = zlib.compressobj(9, zlib.DEFLATED, _RAW_DEFLATE, zdict=DICTIONARIES[CURRENT_DICTIONARY])
    return bytes([CURRENT_DICTIONARY]) + compressor.compress(text.encode("utf-8")) + compressor.flush()


def decompress(stored: bytes | memoryview) -> str:
    stored = bytes(stored)
    if not stored:
        return ""
    decompressor = zlib.decompressobj(_RAW_DEFLATE, zdict=DICTIONARIES[stored[0]])
    return (decompressor.decompress(stored[1:]) + decompressor.flush()).decode("utf-8")


class CompressedTextField(models.BinaryField):
    """A text column stored as `compress()` bytes: the model and every query see the text.

    Not searchable or filterable by content in the database; nothing in vatcrm searches raw evidence.
    """

    description = "Text stored deflated with a preset dictionary"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", b"")  # BinaryField's checks want bytes; get_default() hands out text
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("default") == b"":
            del kwargs["default"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def get_default(self) -> Any:
        default = super().get_default()
        return self.to_python(default) if isinstance(default, bytes | memoryview) else default

    def from_db_value(self, value: bytes | memoryview | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decompress(value)

    def to_python(self, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return decompress(value)

    def get_prep_value(self, value: Any) -> bytes | None:
        if isinstance(value, str):
            return compress(value)
        return super().get_prep_value(value)

    def value_to_string(self, obj: models.Model) -> str:
        # Fixtures and dumpdata carry the text, not base64 of the compressed bytes.
        return self.value_from_object(obj) or ""
