"""At sign-in, the person's language replaces whatever the browser asked for."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from .language import SESSION_KEY
from .services import preference_for_first_sign_in


@receiver(user_logged_in)
def apply_the_users_language(sender, request, user, **kwargs) -> None:
    # The first sign-in records the language the browser asked for (the switch's cookie, else
    # Accept-Language): the person's emails are then in the language their pages were in.
    asked = translation.get_language_from_request(request) if request is not None else settings.LANGUAGE_CODE
    preference = preference_for_first_sign_in(user=user, language=asked)
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = preference.language
        translation.activate(preference.language)
        request.LANGUAGE_CODE = preference.language
