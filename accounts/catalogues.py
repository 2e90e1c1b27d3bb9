"""Compiling the translation catalogues (.po to .mo) in Python, without GNU gettext's msgfmt.

Django's `compilemessages` runs msgfmt, which a machine with only Python (a fresh clone, the slim Docker
image) does not have. Babel reads and writes the same formats. Fuzzy entries are left out, as msgfmt
leaves them out: a guess is never shown as a translation. A catalogue whose translations break their
placeholders (a `%(name)s` missing or renamed) is refused, like `msgfmt --check-format`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


class CatalogueError(Exception):
    pass


def catalogues(directories: Iterable[Path]) -> Iterator[Path]:
    """Every <language>/LC_MESSAGES/<domain>.po under the given locale directories."""
    for directory in directories:
        yield from sorted(Path(directory).glob("*/LC_MESSAGES/*.po"))


def compile_catalogue(po_path: Path) -> Path:
    """Write the .mo beside `po_path` and return its path; raises CatalogueError on a broken entry."""
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=po_path.parent.parent.name, abort_invalid=True)
    problems = [
        f"{po_path}:{message.lineno}: {message.id!r}: {error}"
        for message, errors in catalog.check()
        if not message.fuzzy
        for error in errors
    ]
    if problems:
        raise CatalogueError("\n".join(problems))
    mo_path = po_path.with_suffix(".mo")
    # Written beside and renamed: a process reading the catalogue meanwhile (or compiling it too: two test
    # runs at once) never sees half a file.
    descriptor, partial = tempfile.mkstemp(dir=po_path.parent, prefix=f".{mo_path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        os.chmod(partial, 0o644)
        os.replace(partial, mo_path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return mo_path


def compile_all(directories: Iterable[Path], *, only_stale: bool = False) -> list[Path]:
    """Compile every catalogue (or only those whose .mo is missing or older than the .po)."""
    compiled = []
    for po_path in catalogues(directories):
        mo_path = po_path.with_suffix(".mo")
        if only_stale and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        compiled.append(compile_catalogue(po_path))
    return compiled
