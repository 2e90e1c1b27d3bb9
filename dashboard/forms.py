from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.untrusted import StorableInputMixin

COMMENT_MAX_LENGTH = 1000


class AcknowledgeForm(StorableInputMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was done, for whoever reads this alert later: “customer confirmed its new VAT number”."),
    )


class AuditExportForm(StorableInputMixin, forms.Form):
    date_from = forms.DateField(label=_("From (UTC date)"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To (UTC date, included)"), widget=forms.DateInput(attrs={"type": "date"}))
    counterparty = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if end and end >= date.max - timedelta(days=1):
            raise forms.ValidationError(_("Choose a last day before the year 9999."), code="date_range")
        if start and end and start > end:
            raise forms.ValidationError(_("The first day comes after the last one."), code="date_order")
        return cleaned
