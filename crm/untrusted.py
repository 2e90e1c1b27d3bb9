"""Input from outside, checked in one place: ids, text a database can store, JSON bodies.

Python accepts input that the database refuses, or the reverse, and each gap was a 500: `str.isdigit()`
is true of "²" (which `int()` refuses) and `int()` takes "٣" (no id of ours is written so); PostgreSQL
cannot hold a NUL character; JSON's "\\ud800" decodes to a lone surrogate, which no UTF-8 encoder
writes; deeply nested JSON exhausts the parser. Views and forms use these helpers so that they agree on
what is acceptable, and refuse the rest with a 4xx before any registry is called or any row is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.files import File
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

# Every id of ours is a BigAutoField (DEFAULT_AUTO_FIELD).
MAX_ID = 2**63 - 1
_MAX_ID_DIGITS = len(str(MAX_ID))
# NUL, which PostgreSQL text cannot hold, and U+D800-U+DFFF: a surrogate left alone in a str (json.loads
# joins the pairs that are whole), which cannot be encoded to UTF-8 for any database or registry.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# The one JSON body we take is a flat object of a few short fields; these bounds leave room to spare.
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 20

UNSTORABLE_MESSAGE = _("Remove the characters that cannot be saved: NUL characters or broken (surrogate) characters.")
NOT_TEXT_MESSAGE = _("Enter one value here, not a list or an object.")


def object_id(value: object) -> int | None:
    """The id that a query string or a form value names, or None if it cannot be one of ours.

    ASCII digits only (leading zeros allowed), within the range of a BigAutoField. Anything else names
    nothing: callers treat it as an unknown id (ignored, or a 400), never as an error of theirs.
    """
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    digits = value.lstrip("0")
    if not digits or len(digits) > _MAX_ID_DIGITS:
        return None
    number = int(digits)
    return number if number <= MAX_ID else None


def is_storable_text(text: str) -> bool:
    """Whether every column and registry can take this text (no NUL, no lone surrogate)."""
    return _UNSTORABLE.search(text) is None


def local_next(request: HttpRequest, default: str) -> str:
    """The page a form says to go back to (`next`, posted or in the query) if it is a path of ours, else `default`.

    Only an absolute path passes: `url_has_allowed_host_and_scheme` also lets a bare word such as "²" through,
    which `redirect()` would then try to reverse as a view name (a 500). Callers redirect with
    `HttpResponseRedirect`, which never reverses.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and is_storable_text(target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def _submitted_value_error(value: object, *, many: bool) -> forms.ValidationError | None:
    """What is wrong with one raw submitted value, if anything.

    Acceptable: text that can be stored, a number or flag (JSON has them), a file, nothing, and a flat list
    of those where the widget takes several values. A list sent to a one-value field from a JSON body would
    otherwise be stored as its Python repr.
    """
    if isinstance(value, list | tuple) and not many:
        return forms.ValidationError(NOT_TEXT_MESSAGE, code="not_text")
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, str):
            if not is_storable_text(item):
                return forms.ValidationError(UNSTORABLE_MESSAGE, code="unstorable")
        elif not (item is None or isinstance(item, bool | int | float | File)):
            return forms.ValidationError(NOT_TEXT_MESSAGE, code="not_text")
    return None


def _takes_many(widget: forms.Widget) -> bool:
    return getattr(widget, "allow_multiple_selected", False) or isinstance(widget, forms.MultipleHiddenInput)


class StorableInputMixin:
    """For every form of the project: a field whose submitted value cannot be stored is an error.

    A form-level clean over the raw values, not `cleaned_data`: a field's own cleaning may drop the bad
    characters (a VAT number's normalisation does) or keep them for the save to fail on. Values parsed
    from a JSON body need not be text at all; objects and lists are refused here too. Put it first among
    the bases: `class MyForm(StorableInputMixin, forms.Form)`.
    """

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for bound in self:
            if bound.name in self.errors:
                continue
            if error := _submitted_value_error(bound.data, many=_takes_many(bound.field.widget)):
                self.add_error(bound.name, error)
        return cleaned


class UnacceptableJSON(ValueError):
    """A request body that is not JSON, or is larger or deeper than we parse; the message is for the client."""


def parse_json(body: bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> object:
    """The JSON value of a request body, within the bounds; raises UnacceptableJSON otherwise."""
    if len(body) > max_bytes:
        raise UnacceptableJSON(_("The JSON body is larger than %(limit)d bytes.") % {"limit": max_bytes})
    too_deep = UnacceptableJSON(_("The JSON body is nested deeper than %(limit)d levels.") % {"limit": max_depth})
    try:
        value = json.loads(body)
    except RecursionError:
        # The parser recurses once per level and stops at the interpreter's limit; ours is far below it.
        raise too_deep from None
    except ValueError:  # not JSON, not UTF-8, or an integer too long to convert
        raise UnacceptableJSON(_("The body is not valid JSON.")) from None
    if _deeper_than(value, max_depth):
        raise too_deep
    return value


def _deeper_than(value: object, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (a scalar is level 0); no recursion."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False
