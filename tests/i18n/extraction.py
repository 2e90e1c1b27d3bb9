"""What `makemessages` would extract, found in pure Python: the same files, the same keywords.

Django's makemessages turns each template into Python-like text with `templatize` and hands that, and
every Python file, to GNU xgettext. Here Babel's Python extractor reads the same text with the same
keywords, so the completeness test runs on a machine without GNU gettext.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract
from django.utils.translation.template import templatize

# The keywords makemessages gives xgettext (its own list plus xgettext's Python defaults).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
EXTENSIONS = {".py", ".html", ".txt"}
# What `make messages` passes as --ignore (besides makemessages' own: hidden folders, editors' backups).
IGNORED = {"tests", "benchmarks", "staticfiles", "var", "scripts", "node_modules", "locale"}


@dataclass(frozen=True)
class Found:
    context: str | None
    msgid: str
    plural: str | None
    where: str


def source_files(root: Path) -> Iterator[Path]:
    for directory, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if not name.startswith(".") and name not in IGNORED)
        for name in sorted(files):
            if Path(name).suffix in EXTENSIONS and not name.endswith("~"):
                yield Path(directory) / name


def messages_in(path: Path, root: Path) -> Iterator[Found]:
    text, offset = path.read_text(encoding="utf-8"), 0
    if path.suffix != ".py":
        # templatize's text is Python to xgettext, which is lenient about it; Python's tokenizer is not
        # (the blanked-out template keeps its indentation). Inside brackets indentation means nothing.
        text, offset = "(\n" + templatize(text, origin=str(path)) + "\n)", 1
    for lineno, message, _comments, context in extract("python", io.BytesIO(text.encode()), keywords=KEYWORDS):
        singular, plural = message if isinstance(message, tuple) else (message, None)
        if singular:  # gettext("") is the catalogue's header, never a message
            where = f"{path.relative_to(root)}:{lineno - offset}"
            yield Found(context=context, msgid=singular, plural=plural, where=where)


def extracted(root: Path) -> list[Found]:
    return [found for path in source_files(root) for found in messages_in(path, root)]
