"""Operators' view of the outbox: what went where, what failed and why. Delivery evidence is read-only."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ChatChannel, Delivery, DeliveryStatus, DigestRun, NotificationPreference
from .services import delivery_retry


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "email_enabled", "mode", "min_severity", "updated_at"]
    list_filter = ["email_enabled", "mode", "min_severity"]
    search_fields = ["user__email", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "workspace", "min_severity", "enabled", "credentials", "created_at"]
    list_filter = ["kind", "enabled", "min_severity"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace", "created_by"]
    # `config` is encrypted and not editable here: the owners' form masks the credentials it holds.
    readonly_fields = ["credentials"]

    @admin.display(description=_("credentials"))
    def credentials(self, channel: ChatChannel) -> str:
        return channel.config_summary


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "alert",
        "address",
        "status",
        "digest",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "provider_message_id",
        "workspace",
    ]
    list_filter = ["status", "digest", "channel__kind", "created_at"]
    search_fields = ["address", "provider_message_id", "key", "alert__counterparty__vat_number", "workspace__name"]
    list_select_related = ["alert__counterparty", "workspace"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    date_hierarchy = "created_at"
    actions = ["send_again_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send again at the next sweep (failed or waiting rows)"))
    def send_again_now(self, request, queryset: QuerySet[Delivery]) -> None:
        # Not the rows being sent right now: a second sender would send them twice.
        waiting = queryset.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now())
        failed = sum(delivery_retry(delivery=d) for d in queryset.filter(status=DeliveryStatus.FAILED))
        queued = waiting + failed
        message = ngettext(
            "%(count)s delivery queued for the next sweep.", "%(count)s deliveries queued for the next sweep.", queued
        )
        self.message_user(request, message % {"count": queued}, messages.SUCCESS)


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    """Daily digest runs: an unfinished one with an old start is a run the sweep has not resumed yet."""

    list_display = ["started_at", "stopped_at", "finished"]
    list_filter = ["finished"]
    date_hierarchy = "started_at"
    readonly_fields = ["started_at", "stopped_at", "finished"]

    def has_add_permission(self, request) -> bool:
        return False
