"""The language switch in the navigation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .language import SESSION_KEY, supported_language
from .services import preference_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, the redirect back), and for a signed-in person their preference.

    A code that is not one of settings.LANGUAGES changes nothing; Django's view then just redirects.
    """
    response = django_set_language(request)
    language = supported_language(request.POST.get("language"))
    if language is not None and request.user.is_authenticated:
        preference_set_language(user=request.user, language=language)
        request.session[SESSION_KEY] = language
    return response
