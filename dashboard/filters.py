import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Alert, AlertKind, Severity
from crm.untrusted import object_id

OPEN, ACKNOWLEDGED = "open", "acknowledged"


class AlertFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[(OPEN, _("Open")), (ACKNOWLEDGED, _("Acknowledged"))],
        method="by_state",
        empty_label=_("Open and acknowledged"),
        label=_("State"),
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label=_("Any severity"), label=_("Severity"))
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices, empty_label=_("Any kind"), label=_("Kind"))
    created = django_filters.DateFromToRangeFilter(field_name="created_at", label=_("Found between (UTC dates)"))
    q = django_filters.CharFilter(method="search", label=_("Counterparty"))
    # A link from a counterparty's page names it by id; another workspace's id matches nothing (the
    # queryset is the workspace's), and a value that is no id is ignored.
    counterparty = django_filters.CharFilter(method="by_counterparty", label=_("Counterparty id"))

    class Meta:
        model = Alert
        fields = ["severity", "kind"]

    def by_state(self, queryset, name: str, value: str):
        return queryset.filter(acknowledged_at__isnull=value == OPEN)

    def search(self, queryset, name: str, value: str):
        value = value.strip()
        compact = "".join(ch for ch in value if ch.isalnum()).upper()
        query = Q(counterparty__name__icontains=value) | Q(counterparty__registered_name__icontains=value)
        if compact:
            query |= Q(counterparty__vat_number__contains=compact)
        return queryset.filter(query)

    def by_counterparty(self, queryset, name: str, value: str):
        pk = object_id(value.strip())
        return queryset.filter(counterparty_id=pk) if pk else queryset
