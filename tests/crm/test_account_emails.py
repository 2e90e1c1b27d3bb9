"""allauth's emails (confirm an address, reset a password, no such account, account exists) in the product's
frame: named in a header, the action as a button in the HTML part, and in the reader's language."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

PASSPHRASE = "a long unusual passphrase"
SIGNUP = {"email": "new.person@example.com", "password1": PASSPHRASE, "password2": PASSPHRASE}

pytestmark = pytest.mark.django_db


def html_of(message) -> str:
    (html, kind), *_ = message.alternatives
    assert kind == "text/html"
    return html


def test_the_confirmation_email_is_in_the_frame_with_its_link_as_a_button(client):
    client.post(reverse("account_signup"), SIGNUP)
    (message,) = mail.outbox
    assert message.body.startswith("vatcrm · Your account")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    html = html_of(message)
    assert '<html lang="en' in html and ">vatcrm</span>" in html
    assert "Confirm your email address" in html and f'href="{link}"' in html
    assert "Hello from" not in message.body


def test_the_password_reset_email_is_in_the_frame(client):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body).group(0)
    html = html_of(message)
    assert "Reset your password" in html and f'href="{link}"' in html


def test_an_unknown_address_and_an_existing_account_are_told_so(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    client.post(reverse("account_signup"), {**SIGNUP, "email": UserFactory().email})
    unknown, exists = mail.outbox
    assert "No vatcrm account uses this address" in html_of(unknown) and "nobody@example.com" in html_of(unknown)
    assert "You already have a vatcrm account" in html_of(exists)
    assert reverse("account_reset_password") in html_of(exists)


def test_they_are_written_in_the_readers_language(client):
    client.post(reverse("account_signup"), SIGNUP, HTTP_ACCEPT_LANGUAGE="ru")
    (message,) = mail.outbox
    html = html_of(message)
    assert '<html lang="ru"' in html and "Подтвердите адрес электронной почты" in html
    assert message.body.startswith("vatcrm · Ваша учётная запись")
