from django import forms
from django.utils.translation import gettext_lazy as _

from crm.untrusted import StorableInputMixin

from .models import ApiKey, WebhookEndpoint, WebhookEvent


class ApiKeyForm(StorableInputMixin, forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "scope"]
        labels = {"name": _("Name"), "scope": _("Access")}
        help_texts = {"name": _('What uses it, e.g. "ERP nightly sync".')}


class WebhookEndpointForm(StorableInputMixin, forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events"]
        labels = {"url": _("URL"), "description": _("Description")}
        help_texts = {
            "url": _("Where we POST the events (https). Private and loopback addresses are refused when sending.")
        }
