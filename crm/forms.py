from django import forms
from django.utils.translation import gettext_lazy as _

from verification.vat import InvalidVatNumber, NormalisedVat, normalise_vat

from .models import Counterparty, Role, Workspace
from .services.counterparties import MAX_TAGS, tag_names_clean
from .untrusted import StorableInputMixin, object_id


class InvitationForm(StorableInputMixin, forms.Form):
    email = forms.EmailField(label=_("Colleague's email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER, required=False)

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.workspace.memberships.filter(user__email__iexact=email).exists():
            raise forms.ValidationError(_("This person is already a member of the workspace."))
        return email

    def clean_role(self) -> str:
        return self.cleaned_data["role"] or Role.MEMBER


class MembershipRoleForm(StorableInputMixin, forms.Form):
    # Not required: a form sent without a choice changes nothing (the view says so); a wrong one is an error.
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, required=False)


class WorkspaceCreateForm(StorableInputMixin, forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name"]
        labels = {"name": _("Name of the new workspace")}


class WorkspaceSettingsForm(StorableInputMixin, forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "monitor_new_counterparties"]


class CounterpartyForm(StorableInputMixin, forms.ModelForm):
    """What the team keeps about a counterparty besides its number; never what the registry said."""

    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000, help_text=_("Separated by commas, e.g. supplier, DACH")
    )

    class Meta:
        model = Counterparty
        fields = ["name", "address", "external_reference", "notes"]
        labels = {
            "name": _("Name"),
            "address": _("Address"),
            "external_reference": _("External reference"),
            "notes": _("Notes"),
        }
        help_texts = {"external_reference": _("The id in your ERP or accounting system.")}
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["tags"] = ", ".join(self.instance.tags.values_list("name", flat=True))

    def clean_tags(self) -> list[str]:
        names = tag_names_clean(self.cleaned_data["tags"])
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(_("At most %(count)d tags.") % {"count": MAX_TAGS}, code="too_many")
        return names

    def clean(self) -> dict:
        cleaned = super().clean()
        for field in ("name", "address", "external_reference", "notes"):
            if isinstance(cleaned.get(field), str):
                cleaned[field] = cleaned[field].strip()
        return cleaned


class CounterpartyIdsField(forms.Field):
    """The ticked counterparties' ids: each must be an id of ours (crm.untrusted.object_id), at least one."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Tick at least one counterparty first."),
        "invalid": _("counterparty must be the ids of counterparties."),
        "too_many": _("At most %(limit)d counterparties at once: narrow the selection."),
    }

    def __init__(self, *, limit: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.limit = limit

    def to_python(self, value: object) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids = [object_id(item) for item in values]
        if None in ids:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(ids))

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        if len(value) > self.limit:
            raise forms.ValidationError(self.error_messages["too_many"] % {"limit": self.limit}, code="too_many")


class BulkActionForm(StorableInputMixin, forms.Form):
    """An action on the counterparties ticked in the CRM list (monitoring has its own, monitoring.views)."""

    REVERIFY, TAG_ADD, TAG_REMOVE = "reverify", "tag_add", "tag_remove"
    ARCHIVE, RESTORE, EXPORT_CSV, EXPORT_XLSX = "archive", "restore", "export_csv", "export_xlsx"
    READING = (EXPORT_CSV, EXPORT_XLSX)  # a viewer may export; every other action changes something
    # Bounded: a page shows 50, and each re-verification is a registry call.
    LIMIT = 500

    action = forms.ChoiceField(
        choices=[
            (REVERIFY, _("Verify again")),
            (TAG_ADD, _("Add tag")),
            (TAG_REMOVE, _("Remove tag")),
            (ARCHIVE, _("Archive")),
            (RESTORE, _("Restore")),
            (EXPORT_CSV, _("Export as CSV")),
            (EXPORT_XLSX, _("Export as Excel")),
        ]
    )
    counterparty = CounterpartyIdsField(limit=LIMIT)
    tag = forms.CharField(required=False, max_length=50)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("action") in (self.TAG_ADD, self.TAG_REMOVE):
            names = tag_names_clean(cleaned.get("tag") or "")
            if len(names) != 1:
                self.add_error("tag", _("Type one tag (no commas)."))
            else:
                cleaned["tag"] = names[0]
        return cleaned


class RequesterForm(StorableInputMixin, forms.Form):
    """The workspace's own company: the requester to which VIES issues consultation numbers."""

    vat_number = forms.CharField(
        label=_("Your company's VAT number"), max_length=64, help_text=_("With its country code, e.g. IE6388047V")
    )
    name = forms.CharField(label=_("Your company's name"), max_length=200)

    def clean_vat_number(self) -> NormalisedVat:
        return _normalised(self.cleaned_data["vat_number"])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give your company's name."), code="required")
        return name


class VerifyForm(StorableInputMixin, forms.Form):
    """A counterparty to verify, and the requester company the consultation number is issued to."""

    vat_number = forms.CharField(
        label=_("VAT number"), max_length=64, help_text=_("With its country code, e.g. DE136695976")
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    address = forms.CharField(
        label=_("Address"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    requester_vat_number = forms.CharField(label=_("Your company's VAT number"), max_length=64, required=False)
    requester_name = forms.CharField(label=_("Your company's name"), max_length=200, required=False)

    def clean_vat_number(self) -> NormalisedVat:
        return _normalised(self.cleaned_data["vat_number"])

    def clean_requester_vat_number(self) -> NormalisedVat | None:
        raw = self.cleaned_data["requester_vat_number"]
        return _normalised(raw) if raw.strip() else None

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("requester_vat_number") and not cleaned.get("requester_name", "").strip():
            self.add_error("requester_name", _("Give your company's name with its VAT number."))
        return cleaned


def _normalised(raw: str) -> NormalisedVat:
    try:
        return normalise_vat(raw)
    except InvalidVatNumber as exc:
        raise forms.ValidationError(str(exc), code=exc.code) from exc
