import django_filters
from django.db.models import Q

from .models import CheckStatus, Counterparty, MonitoringFrequency


class CounterpartyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=CheckStatus.choices, empty_label="Any status")
    monitoring = django_filters.ChoiceFilter(choices=MonitoringFrequency.choices, empty_label="Any monitoring")
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("vat_number", "vat"), ("last_checked_at", "checked"), ("status", "status")),
        empty_label="Default order",
    )

    class Meta:
        model = Counterparty
        fields = ["status", "monitoring"]

    def search(self, queryset, name: str, value: str):
        value = value.strip()
        compact = "".join(ch for ch in value if ch.isalnum()).upper()
        query = Q(name__icontains=value) | Q(registered_name__icontains=value)
        if compact:
            query |= Q(vat_number__contains=compact)
        return queryset.filter(query)
