from django import forms

from verification.vat import InvalidVatNumber, NormalisedVat, normalise_vat

from .models import Workspace
from .untrusted import StorableInputMixin


class InvitationForm(StorableInputMixin, forms.Form):
    email = forms.EmailField(label="Colleague's email")

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.workspace.memberships.filter(user__email__iexact=email).exists():
            raise forms.ValidationError("This person is already a member of the workspace.")
        return email


class WorkspaceSettingsForm(StorableInputMixin, forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "monitor_new_counterparties"]


class VerifyForm(StorableInputMixin, forms.Form):
    """A counterparty to verify, and the requester company the consultation number is issued to."""

    vat_number = forms.CharField(label="VAT number", max_length=64, help_text="With its country code, e.g. DE136695976")
    name = forms.CharField(label="Name", max_length=200, required=False)
    address = forms.CharField(label="Address", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    requester_vat_number = forms.CharField(label="Your company's VAT number", max_length=64, required=False)
    requester_name = forms.CharField(label="Your company's name", max_length=200, required=False)

    def clean_vat_number(self) -> NormalisedVat:
        return _normalised(self.cleaned_data["vat_number"])

    def clean_requester_vat_number(self) -> NormalisedVat | None:
        raw = self.cleaned_data["requester_vat_number"]
        return _normalised(raw) if raw.strip() else None

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("requester_vat_number") and not cleaned.get("requester_name", "").strip():
            self.add_error("requester_name", "Give your company's name with its VAT number.")
        return cleaned


def _normalised(raw: str) -> NormalisedVat:
    try:
        return normalise_vat(raw)
    except InvalidVatNumber as exc:
        raise forms.ValidationError(str(exc), code=exc.code) from exc
