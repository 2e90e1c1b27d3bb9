"""`manage.py compile_catalogues`: the .mo files from the committed .po files, with no GNU gettext needed."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.catalogues import CatalogueError, compile_all


class Command(BaseCommand):
    help = "Compile the translation catalogues of LOCALE_PATHS (or the given directories) without msgfmt."
    # Runs in the image build and before the tests: nothing it does depends on the project's checks.
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("directories", nargs="*", type=Path, help="locale directories (default: LOCALE_PATHS)")
        parser.add_argument("--stale", action="store_true", help="only catalogues whose .mo is missing or older")

    def handle(self, *args, directories: list[Path], stale: bool, **options) -> None:
        try:
            compiled = compile_all(directories or settings.LOCALE_PATHS, only_stale=stale)
        except CatalogueError as exc:
            raise CommandError(str(exc)) from exc
        for path in compiled:
            self.stdout.write(f"compiled {path}")
