"""The catalogues compile on a machine with only Python: no msgfmt, fuzzy entries left out, broken ones refused."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from accounts.catalogues import CatalogueError, compile_catalogue

ROOT = Path(settings.BASE_DIR)


def _po(path: Path, entries: str) -> Path:
    path.parent.mkdir(parents=True)
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: ru\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && '
        '(n%100<10 || n%100>=20) ? 1 : 2);\\n"\n\n' + entries,
        encoding="utf-8",
    )
    return path


def test_the_project_catalogues_compile_where_gnu_gettext_is_absent(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    # Only the virtualenv's own programs: no msgfmt, no xgettext (Debian's gettext lives in /usr/bin).
    path = str(Path(sys.executable).parent)
    assert shutil.which("msgfmt", path=path) is None
    subprocess.run(
        [sys.executable, "manage.py", "compile_catalogues", str(locale)],
        cwd=ROOT,
        env={"PATH": path, "DEBUG": "1", "HOME": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    with (locale / "ru" / "LC_MESSAGES" / "django.mo").open("rb") as compiled:
        russian = gettext.GNUTranslations(compiled)
    assert russian.gettext("Counterparties") == "Контрагенты"
    assert russian.gettext("Sign out") == "Выйти"


def test_fuzzy_entries_are_not_compiled_and_plurals_are(tmp_path):
    po = _po(
        tmp_path / "ru" / "LC_MESSAGES" / "django.po",
        '#, fuzzy\nmsgid "Archive"\nmsgstr "Архив"\n\n'
        'msgid "Restore"\nmsgstr "Восстановить"\n\n'
        '#, python-format\nmsgid "%(count)d alert"\nmsgid_plural "%(count)d alerts"\n'
        'msgstr[0] "%(count)d оповещение"\nmsgstr[1] "%(count)d оповещения"\nmsgstr[2] "%(count)d оповещений"\n',
    )
    with compile_catalogue(po).open("rb") as compiled:
        russian = gettext.GNUTranslations(compiled)
    assert russian.gettext("Archive") == "Archive"  # a guess is never shown as a translation
    assert russian.gettext("Restore") == "Восстановить"
    assert [russian.ngettext("%(count)d alert", "%(count)d alerts", n) for n in (1, 3, 5, 21)] == [
        "%(count)d оповещение",
        "%(count)d оповещения",
        "%(count)d оповещений",
        "%(count)d оповещение",
    ]


def test_a_translation_that_breaks_its_placeholders_is_refused(tmp_path):
    po = _po(
        tmp_path / "ru" / "LC_MESSAGES" / "django.po",
        '#, python-format\nmsgid "%(name)s was deleted."\nmsgstr "%(nome)s удалён."\n',
    )
    with pytest.raises(CatalogueError, match="was deleted"):
        compile_catalogue(po)
    assert not os.path.exists(po.with_suffix(".mo"))
