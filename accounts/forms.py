"""allauth's account forms with the product's wording: labels in sentence case and in the words the rest of
the app uses, and no placeholders repeating them (every field shows its label, which is what a screen reader
reads). Behaviour is allauth's; only the words change. Wired by ACCOUNT_FORMS in vatcrm/settings.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from allauth.account import forms as allauth_forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EMAIL = _("Email address")
PASSWORD = _("Password")
PASSWORD_AGAIN = _("Password again")
NEW_PASSWORD = _("New password")
NEW_PASSWORD_AGAIN = _("New password again")


class _ProductWording:
    labels: ClassVar[dict[str, Promise]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            if name in self.labels:
                field.label = self.labels[name]
            field.widget.attrs.pop("placeholder", None)


class LoginForm(_ProductWording, allauth_forms.LoginForm):
    labels: ClassVar[dict[str, Promise]] = {
        "login": EMAIL,
        "password": PASSWORD,
        "remember": _("Keep me signed in on this device"),
    }


class SignupForm(_ProductWording, allauth_forms.SignupForm):
    labels: ClassVar[dict[str, Promise]] = {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD_AGAIN}


class ResetPasswordForm(_ProductWording, allauth_forms.ResetPasswordForm):
    labels: ClassVar[dict[str, Promise]] = {"email": EMAIL}


class ResetPasswordKeyForm(_ProductWording, allauth_forms.ResetPasswordKeyForm):
    labels: ClassVar[dict[str, Promise]] = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD_AGAIN}


class ChangePasswordForm(_ProductWording, allauth_forms.ChangePasswordForm):
    labels: ClassVar[dict[str, Promise]] = {
        "oldpassword": _("Current password"),
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD_AGAIN,
    }


class SetPasswordForm(_ProductWording, allauth_forms.SetPasswordForm):
    labels: ClassVar[dict[str, Promise]] = {"password1": PASSWORD, "password2": PASSWORD_AGAIN}


class AddEmailForm(_ProductWording, allauth_forms.AddEmailForm):
    labels: ClassVar[dict[str, Promise]] = {"email": _("Another email address")}


class ReauthenticateForm(_ProductWording, allauth_forms.ReauthenticateForm):
    labels: ClassVar[dict[str, Promise]] = {"password": PASSWORD}
