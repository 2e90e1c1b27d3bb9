"""Which language a page is in: the browser's by default, the switch's choice, a signed-in person's own."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.language import SESSION_KEY, language_of
from accounts.models import UserPreference
from tests.factories import PASSWORD, MembershipFactory, UserFactory

LOGIN = "/accounts/login/"


def _html_lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.django_db
def test_the_browsers_language_is_the_default():
    russian = Client(HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5").get(LOGIN)
    assert _html_lang(russian) == "ru"
    assert russian["Content-Language"] == "ru"
    assert "Accept-Language" in russian["Vary"]
    assert "Контрагенты" not in russian.content.decode()  # the navigation is for signed-in people
    assert "Зарегистрироваться" in russian.content.decode()

    english = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").get(LOGIN)  # not offered: the default
    assert _html_lang(english) == "en-gb"
    assert "Sign up" in english.content.decode()


@pytest.mark.django_db
def test_the_switch_is_in_the_navigation_and_remembered_for_the_signed_in_person(owner):
    page = owner.client.get(reverse("crm:counterparty_list")).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert 'name="language" value="ru"' in page

    response = owner.client.post(reverse("set_language"), {"language": "ru", "next": "/verify/"})
    assert response.status_code == 302
    assert response["Location"] == "/verify/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert UserPreference.objects.get(user=owner.user).language == "ru"
    assert language_of(owner.user) == "ru"

    # The person's choice beats what this browser asks for.
    page = owner.client.get(reverse("crm:counterparty_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert _html_lang(page) == "ru"
    assert "Контрагенты" in page.content.decode()


@pytest.mark.django_db
def test_signing_in_applies_the_stored_language_on_any_browser():
    user = UserFactory()
    MembershipFactory(user=user)
    UserPreference.objects.create(user=user, language="ru")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    response = browser.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.session[SESSION_KEY] == "ru"
    page = browser.get(reverse("crm:counterparty_list"))
    assert _html_lang(page) == "ru"
    # The cookie follows, so that the sign-in page after signing out stays in Russian.
    assert page.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    browser.post("/accounts/logout/")
    assert _html_lang(browser.get(LOGIN)) == "ru"


@pytest.mark.django_db
def test_the_first_sign_in_records_the_browsers_language_for_the_emails():
    user = UserFactory()
    MembershipFactory(user=user)
    Client(HTTP_ACCEPT_LANGUAGE="ru").post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert language_of(user) == "ru"


@pytest.mark.django_db
def test_a_person_without_a_preference_reads_the_default_language():
    assert language_of(UserFactory()) == settings.LANGUAGE_CODE


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["xx", "", "ru\x00", "r" * 5000, "en/ru"])
def test_a_language_that_is_not_offered_changes_nothing(owner, language):
    before = language_of(owner.user)
    response = owner.client.post(reverse("set_language"), {"language": language, "next": "/verify/"})
    assert response.status_code == 302
    assert language_of(owner.user) == before
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    assert cookie is None or cookie.value == before


@pytest.mark.django_db
def test_the_switch_does_not_redirect_elsewhere(owner):
    response = owner.client.post(reverse("set_language"), {"language": "ru", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


@pytest.mark.django_db
def test_the_switch_takes_only_posts(owner):
    assert owner.client.get(reverse("set_language"), {"language": "ru"}).status_code == 405
