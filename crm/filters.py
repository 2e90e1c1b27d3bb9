import re

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import vocabulary
from .models import Counterparty, MonitoringFrequency

ARCHIVED, ALL = "archived", "all"
# What can only be the start of a VAT number as we store them: a country code (EL, XI included), then a digit.
VAT_PREFIX = re.compile(r"[A-Z]{2}[0-9]")


class CounterpartyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    # The vocabulary's words (crm/vocabulary.py): the statuses a counterparty can have, "not checked",
    # and "last attempt failed", which is what the badge of that name shows.
    status = django_filters.ChoiceFilter(
        choices=vocabulary.status_filter_choices, method="by_status", empty_label=_("Any status")
    )
    monitoring = django_filters.ChoiceFilter(
        choices=MonitoringFrequency.choices, empty_label=_("Any monitoring"), label=_("Monitoring")
    )
    # Archived counterparties are out of the default list (and so of its exports) but one choice away.
    archived = django_filters.ChoiceFilter(
        choices=[(ARCHIVED, _("Archived")), (ALL, _("Active and archived"))],
        empty_label=_("Active"),
        method="by_archive",
        label=_("Archive"),
    )
    tag = django_filters.CharFilter(field_name="tags__name", lookup_expr="iexact", label=_("Tag"))
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("vat_number", "vat"), ("last_checked_at", "checked"), ("status", "status")),
        field_labels={
            "name": _("Name"),
            "vat_number": _("VAT number"),
            "last_checked_at": _("Last check"),
            "status": _("Status"),
        },
        empty_label=_("Default order"),
        label=_("Order"),
    )

    class Meta:
        model = Counterparty
        fields = ["status", "monitoring"]

    def by_status(self, queryset, name: str, value: str):
        if value == vocabulary.ATTEMPT_FAILED:
            return queryset.filter(vocabulary.last_attempt_failed_q())
        if value == vocabulary.NOT_CHECKED:
            return queryset.filter(status__isnull=True)
        return queryset.filter(status=value)

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("archived"):
            queryset = queryset.active()
        return super().filter_queryset(queryset)

    def by_archive(self, queryset, name: str, value: str):
        return queryset.filter(archived_at__isnull=False) if value == ARCHIVED else queryset

    def search(self, queryset, name: str, value: str):
        value = value.strip()
        compact = "".join(ch for ch in value if ch.isalnum()).upper()
        query = Q(name__icontains=value) | Q(registered_name__icontains=value) | Q(external_reference__iexact=value)
        if VAT_PREFIX.match(compact):
            # A country code and digits: the start of a number (numbers are stored with their prefix), answered
            # by a B-tree (crm migration 0018); the trigram index is slow on a run of digits.
            query |= Q(vat_number__startswith=compact)
        elif compact:
            # icontains, not contains: the trigram index is on UPPER(vat_number), as the admin searches it too.
            query |= Q(vat_number__icontains=compact)
        return queryset.filter(query)
