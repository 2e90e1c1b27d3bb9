"""Which language a person reads: the request's for pages, the stored preference for emails and digests.

Pages: Django's LocaleMiddleware picks the language switch's cookie, else the browser's Accept-Language;
for a signed-in person `UserLanguageMiddleware` then puts their stored choice first. Emails are written by
Celery tasks, which have no request: they render inside `in_language_of(recipient)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation

# The signed-in person's language, copied into the session at sign-in and by the switch, so that a page
# costs no query for it.
SESSION_KEY = "language"


def supported_language(code: object) -> str | None:
    """The code of settings.LANGUAGES that `code` stands for ("ru-RU" is "ru"), or None."""
    if not isinstance(code, str) or not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_of(user: object) -> str:
    """The language `user` chose (or was given at their first sign-in); the site's default otherwise."""
    from .models import UserPreference

    user_id = getattr(user, "pk", None)
    stored = UserPreference.objects.filter(user_id=user_id).values_list("language", flat=True).first()
    return supported_language(stored) or settings.LANGUAGE_CODE


@contextmanager
def in_language_of(user: object) -> Iterator[str]:
    """Render what `user` will read (an email, a digest) in their language, whatever is active now."""
    language = language_of(user)
    with translation.override(language):
        yield language
