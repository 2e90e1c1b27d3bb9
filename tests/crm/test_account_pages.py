"""allauth's pages are the product's: its layout, its form style, its words, in English and in Russian.

Every page allauth serves with these settings is listed here (templates/account/ overrides them), for a
visitor or a signed-in person as the page expects, with the heading it must show in each language.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

ANONYMOUS, SIGNED_IN = False, True

PAGES = [
    ("account_login", {}, ANONYMOUS, "Sign in", "Войти"),
    ("account_signup", {}, ANONYMOUS, "Sign up", "Зарегистрироваться"),
    ("account_reset_password", {}, ANONYMOUS, "Forgotten password", "Забыли пароль?"),
    ("account_reset_password_done", {}, ANONYMOUS, "Check your email", "Проверьте почту"),
    (
        "account_reset_password_from_key",
        {"uidb36": "0", "key": "not-a-key"},
        ANONYMOUS,
        "This link cannot be used",
        "Эта ссылка не действует",
    ),
    ("account_reset_password_from_key_done", {}, ANONYMOUS, "Password changed", "Пароль изменён"),
    ("account_confirm_email", {"key": "not-a-key"}, ANONYMOUS, "Confirm your email address", "Подтвердите адрес"),
    ("account_email_verification_sent", {}, ANONYMOUS, "Verify your email address", "Подтвердите адрес"),
    ("account_inactive", {}, ANONYMOUS, "Account deactivated", "Учётная запись отключена"),
    ("account_email", {}, SIGNED_IN, "Email addresses", "Адреса электронной почты"),
    ("account_change_password", {}, SIGNED_IN, "Change your password", "Смена пароля"),
    ("account_logout", {}, SIGNED_IN, "Sign out", "Выйти"),
    ("account_reauthenticate", {}, SIGNED_IN, "Confirm it is you", "Подтвердите, что это вы"),
]
# allauth's own words, which the product's pages do not use.
ALLAUTH_WORDS = ("Menu:", "Sign In", "Sign Up", "Sign Out", "Change Password", "Email Addresses", "Remember Me")


def _get(client, owner, url_name: str, kwargs: dict, signed_in: bool, language: str):
    if signed_in:  # a signed-in person's own choice, in the session, comes first (accounts/middleware.py)
        owner.client.post(reverse("set_language"), {"language": language, "next": "/"})
    as_who = owner.client if signed_in else client
    return as_who.get(reverse(url_name, kwargs=kwargs), HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(("url_name", "kwargs", "signed_in", "english", "russian"), PAGES)
def test_every_account_page_is_in_the_products_layout_and_words(
    client, owner, url_name, kwargs, signed_in, english, russian
):
    response = _get(client, owner, url_name, kwargs, signed_in, "en")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<header class="top">' in page and "css/app.css" in page  # templates/base.html
    assert f"<title>{english} · vatcrm</title>" in page and f"<h1>{english}" in page
    assert not [word for word in ALLAUTH_WORDS if word in page]


@pytest.mark.parametrize(("url_name", "kwargs", "signed_in", "english", "russian"), PAGES)
def test_every_account_page_speaks_russian(client, owner, url_name, kwargs, signed_in, english, russian):
    page = _get(client, owner, url_name, kwargs, signed_in, "ru").content.decode()
    assert '<html lang="ru">' in page
    assert f"<h1>{russian}" in page and f"<h1>{english}" not in page


def test_the_sign_in_form_has_the_products_labels_and_field_style(client, db):
    page = client.get(reverse("account_login")).content.decode()
    for label in ("Email address", "Password", "Keep me signed in on this device"):
        assert label in page
    assert page.count('<div class="field') == 3 and "placeholder=" not in page
    assert 'class="field checkbox"' in page  # the checkbox before its label


def test_a_wrong_password_is_told_in_the_products_form(client, db):
    page = client.post(reverse("account_login"), {"login": "nobody@example.com", "password": "x"}).content.decode()
    assert 'class="errorlist' in page and '<form method="post" action="/accounts/login/" class="account-form"' in page


def test_the_account_pages_link_each_other(owner):
    page = owner.client.get(reverse("account_email")).content.decode()
    assert reverse("account_change_password") in page and 'aria-current="page"' in page
    assert owner.user.email in page and "Primary" in page and "Verified" in page
