"""JSON bodies through crm's bounded parser: too large or too deep is a 400, never a RecursionError's 500.

Every body the API takes is a JSON object (a batch too: `{"items": [...]}`), so anything else is refused
here, in one place, rather than by each serializer in its own words.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from crm.untrusted import MAX_JSON_DEPTH, UnacceptableJSON, parse_json

# A batch of 10,000 numbers with names and references fits; anything larger is refused unread.
MAX_BODY_BYTES = 4 * 1024 * 1024


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> object:
        body = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        try:
            value = parse_json(body or b"", max_bytes=MAX_BODY_BYTES, max_depth=MAX_JSON_DEPTH)
        except UnacceptableJSON as error:
            raise ParseError(str(error)) from None
        if not isinstance(value, dict):
            raise ParseError(_("The JSON body must be an object."))
        return value
