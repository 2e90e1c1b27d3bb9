"""The operators' console: staff see every workspace; evidence is read-only."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.countries import country_name
from verification.vat import COUNTRY_CODES

from .models import (
    Alert,
    CheckResult,
    Company,
    Counterparty,
    CounterpartyChange,
    Export,
    Invitation,
    Membership,
    Tag,
    VerificationCheck,
    Workspace,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "monitor_new_counterparties", "created_at"]
    list_filter = ["monitor_new_counterparties"]
    search_fields = ["name", "slug", "memberships__user__email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "invited_by", "created_at", "accepted_at"]
    list_filter = [("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "workspace__name"]
    readonly_fields = ["token", "created_at", "accepted_at", "accepted_by"]
    autocomplete_fields = ["workspace", "invited_by"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "vat_number", "workspace", "is_default", "requester_rejected_at"]
    list_filter = ["is_default"]
    search_fields = ["name", "vat_number", "workspace__name"]
    autocomplete_fields = ["workspace"]


class CountryFilter(admin.SimpleListFilter):
    """The prefixes vatcrm checks, from its own list: not a DISTINCT over every counterparty on each view."""

    title = _("country")
    parameter_name = "country_code"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        # Named in the reader's language (CLDR), with the prefix the numbers start with.
        return [(code, f"{country_name(code)} ({code})") for code in sorted(COUNTRY_CODES)]

    def queryset(self, request, queryset):
        return queryset.filter(country_code=self.value()) if self.value() else queryset


@admin.register(Counterparty)
class CounterpartyAdmin(admin.ModelAdmin):
    list_display = [
        "vat_number",
        "name",
        "registered_name",
        "status",
        "monitoring",
        "last_checked_at",
        "next_check_due_at",
        "workspace",
    ]
    list_filter = ["status", "monitoring", CountryFilter]
    # Each of these has a trigram index (crm migration 0014); a field of another table would turn the search
    # into a scan of every row. Workspaces are found in their own changelist.
    search_fields = ["vat_number", "name", "registered_name"]
    list_select_related = ["workspace"]
    # Newest first walks the primary key; the model's order by name would sort every workspace's rows.
    ordering = ["-pk"]
    show_full_result_count = False
    # Rendering the rows is what the changelist of 100,000 costs, not its count (docs/benchmarks.md): 50 a
    # page rather than Django's 100, as the CRM's own list shows.
    list_per_page = 50
    autocomplete_fields = ["workspace", "created_by"]
    readonly_fields = [
        "registered_name",
        "registered_address",
        "status",
        "status_changed_at",
        "last_check",
        "last_checked_at",
        "created_at",
        "updated_at",
    ]

    def action_checkbox(self, obj: Counterparty) -> str:
        """Django's own checkbox, written directly: Django renders a CheckboxInput through the template-based
        widget renderer in every row, a quarter of the changelist's time. The same tag comes out
        (tests/crm/test_admin.py compares them)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    def save_model(self, request, obj: Counterparty, form, change: bool) -> None:
        # Monitoring turned on here is due at once (the next run checks it), as in the CRM's own switch;
        # turned off, it is never due. Without this the row was monitored but never picked up.
        if obj.is_monitored and obj.next_check_due_at is None:
            obj.next_check_due_at = timezone.now()
        elif not obj.is_monitored:
            obj.next_check_due_at = None
        super().save_model(request, obj, form, change)


class CheckResultInline(admin.StackedInline):
    model = CheckResult
    extra = 0
    can_delete = False
    readonly_fields = [field.name for field in CheckResult._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(VerificationCheck)
class VerificationCheckAdmin(admin.ModelAdmin):
    list_display = [
        "counterparty",
        "overall_status",
        "confidence_score",
        "consultation_number",
        "trigger",
        "started_at",
        "workspace",
    ]
    list_filter = ["overall_status", "trigger", "started_at"]
    search_fields = ["counterparty__vat_number", "counterparty__name", "consultation_number"]
    list_select_related = ["counterparty", "workspace"]
    readonly_fields = [field.name for field in VerificationCheck._meta.fields]
    inlines = [CheckResultInline]
    date_hierarchy = "started_at"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CheckResult)
class CheckResultAdmin(admin.ModelAdmin):
    list_display = ["check_run", "service", "status", "error_code", "latency_ms", "created_at"]
    list_filter = ["service", "status", "error_code"]
    search_fields = ["check_run__counterparty__vat_number", "registered_name", "error_code"]
    list_select_related = ["check_run__counterparty"]
    readonly_fields = [field.name for field in CheckResult._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["counterparty", "kind", "severity", "created_at", "is_sent", "sent_at", "workspace"]
    list_filter = ["severity", "kind", "is_sent", "created_at"]
    search_fields = ["counterparty__vat_number", "counterparty__name", "before", "after"]
    list_select_related = ["counterparty", "workspace"]
    readonly_fields = [
        "workspace",
        "counterparty",
        "kind",
        "severity",
        "before",
        "after",
        "previous_check",
        "check_run",
        "created_at",
    ]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace"]
    list_select_related = ["workspace"]
    search_fields = ["name", "workspace__name"]


@admin.register(CounterpartyChange)
class CounterpartyChangeAdmin(admin.ModelAdmin):
    """The audit trail is evidence of who did what: operators read it, nobody edits it."""

    list_display = ["at", "counterparty", "action", "source", "actor", "workspace"]
    list_filter = ["action", "source"]
    list_select_related = ["counterparty", "actor", "workspace"]
    search_fields = ["counterparty__vat_number", "actor__email"]
    readonly_fields = ["workspace", "counterparty", "actor", "action", "source", "changes", "at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    """Exports written in the background: operators see why one failed; the files expire on their own."""

    list_display = ["created_at", "workspace", "file_format", "state", "rows", "requested_by", "finished_at"]
    list_filter = ["state", "file_format"]
    list_select_related = ["workspace", "requested_by"]
    readonly_fields = [field.name for field in Export._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
