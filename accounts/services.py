"""Writes of a person's preferences."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from .language import supported_language
from .models import UserPreference


def preference_set_language(*, user: AbstractBaseUser, language: str) -> UserPreference:
    """Remember `language` (a code of settings.LANGUAGES, or a variant of one) as the user's."""
    code = supported_language(language)
    if code is None:
        raise ValueError(f"not a language of this site: {language!r}")
    preference, _ = UserPreference.objects.update_or_create(user=user, defaults={"language": code})
    return preference


def preference_for_first_sign_in(*, user: AbstractBaseUser, language: str) -> UserPreference:
    """The user's stored preference; at their first sign-in, `language` (what the browser asked for)."""
    preference, _ = UserPreference.objects.get_or_create(
        user=user, defaults={"language": supported_language(language) or settings.LANGUAGE_CODE}
    )
    return preference
