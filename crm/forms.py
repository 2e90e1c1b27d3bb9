from django import forms

from .models import Workspace


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Colleague's email")

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.workspace.memberships.filter(user__email__iexact=email).exists():
            raise forms.ValidationError("This person is already a member of the workspace.")
        return email


class WorkspaceSettingsForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "monitor_new_counterparties"]
