from django import forms
from django.utils.translation import gettext_lazy as _

from crm.untrusted import StorableInputMixin

from .models import ApiKey


class ApiKeyForm(StorableInputMixin, forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "scope"]
        labels = {"name": _("Name"), "scope": _("Access")}
        help_texts = {"name": _('What uses it, e.g. "ERP nightly sync".')}
