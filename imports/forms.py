from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crm.untrusted import StorableInputMixin

from .columns import FIELDS
from .models import ImportJob


class UploadForm(StorableInputMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_("CSV (comma, semicolon or tab; UTF-8, Windows-1251 or Windows-1252) or .xlsx"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB.") % {"limit": limit // 2**20}, code="too_large"
            )
        return upload


class MappingForm(StorableInputMixin, forms.Form):
    """For each of our fields, which column of the file holds it (or none)."""

    def __init__(self, *args, job: ImportJob, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", _("— not in the file —"))] + [
            (str(index), header or _("Column %(number)d") % {"number": index + 1})
            for index, header in enumerate(job.headers)
        ]
        for field in FIELDS:
            current = job.mapping.get(field.name)
            self.fields[field.name] = forms.ChoiceField(
                label=field.label,
                choices=columns,
                required=field.required,
                initial="" if current is None else str(current),
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen = [value for name, value in cleaned.items() if value not in ("", None) and name in self.fields]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("Choose each column for one field only."), code="twice")
        return cleaned

    @property
    def mapping(self) -> dict[str, int]:
        return {name: int(value) for name, value in self.cleaned_data.items() if value not in ("", None)}
