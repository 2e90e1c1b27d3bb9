"""The Russian catalogue is complete: every string the code marks for translation has a Russian translation.

Two ways, which must agree: the pure-Python extraction (tests/i18n/extraction.py: the files and keywords
of makemessages, read by Babel), which runs everywhere; and Django's own `makemessages`, run on a copy of
the tree where GNU gettext is installed (.ci/run installs it), whose catalogue must then need no work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from .extraction import IGNORED, extracted

ROOT = Path(settings.BASE_DIR)
CATALOGUE = Path("ru") / "LC_MESSAGES" / "django.po"
REQUIRE_GETTEXT = os.environ.get("VATCRM_TEST_REQUIRE_GETTEXT") == "1"


def _catalogue(path: Path):
    with path.open("rb") as source:
        return read_po(source, locale="ru")


def _untranslated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(strings)


def _problems(catalogue) -> list[str]:
    return [
        f"{'fuzzy' if message.fuzzy else 'untranslated'}: {message.id!r}"
        for message in catalogue
        if message.id and (message.fuzzy or _untranslated(message))
    ]


def test_no_entry_is_fuzzy_or_untranslated():
    problems = _problems(_catalogue(ROOT / "locale" / CATALOGUE))
    assert not problems, "translate these in locale/ru/LC_MESSAGES/django.po:\n" + "\n".join(problems)


def test_every_marked_string_is_in_the_catalogue_with_its_plural():
    catalogue = _catalogue(ROOT / "locale" / CATALOGUE)
    missing = []
    for found in extracted(ROOT):
        message = catalogue.get(found.msgid, context=found.context)
        if message is None or message.fuzzy or _untranslated(message):
            missing.append(f"{found.where}: {found.msgid!r}")
        elif found.plural is not None and (not message.pluralizable or message.id[1] != found.plural):
            missing.append(f"{found.where}: {found.msgid!r} (plural {found.plural!r})")
    assert not missing, "not translated (run `make messages`, then translate; docs/i18n.md):\n" + "\n".join(missing)


def test_makemessages_would_add_nothing_untranslated(tmp_path):
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        message = "needs GNU gettext (xgettext, msgmerge) for makemessages"
        pytest.fail(message) if REQUIRE_GETTEXT else pytest.skip(message)
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        tree,
        ignore=shutil.ignore_patterns(".*", "*.mo", "__pycache__", *(name for name in IGNORED if name != "tests")),
    )
    shutil.copytree(ROOT / "locale", tree / "locale", ignore=shutil.ignore_patterns("*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--all",
            "--no-obsolete",
            *(f"--ignore={name}" for name in sorted(IGNORED - {"locale"})),
        ],
        cwd=tree,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(tree)},
        check=True,
        capture_output=True,
    )
    problems = _problems(_catalogue(tree / "locale" / CATALOGUE))
    assert not problems, "makemessages adds these without a Russian translation:\n" + "\n".join(problems)
