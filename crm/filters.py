import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import vocabulary
from .models import Counterparty, MonitoringFrequency


class CounterpartyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    # The vocabulary's words (crm/vocabulary.py): the statuses a counterparty can have, "not checked",
    # and "last attempt failed", which is what the badge of that name shows.
    status = django_filters.ChoiceFilter(
        choices=vocabulary.status_filter_choices, method="by_status", empty_label=_("Any status")
    )
    monitoring = django_filters.ChoiceFilter(choices=MonitoringFrequency.choices, empty_label="Any monitoring")
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("vat_number", "vat"), ("last_checked_at", "checked"), ("status", "status")),
        empty_label="Default order",
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

    def search(self, queryset, name: str, value: str):
        value = value.strip()
        compact = "".join(ch for ch in value if ch.isalnum()).upper()
        query = Q(name__icontains=value) | Q(registered_name__icontains=value)
        if compact:
            query |= Q(vat_number__contains=compact)
        return queryset.filter(query)
