"""Filters of the API's lists: counterparties take the CRM page's own FilterSet; alerts get theirs here."""

from __future__ import annotations

import django_filters

from crm.models import Alert, AlertKind, Severity


class AlertFilter(django_filters.FilterSet):
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    acknowledged = django_filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)
    counterparty = django_filters.NumberFilter(field_name="counterparty_id", min_value=1, max_value=2**63 - 1)

    class Meta:
        model = Alert
        fields = ["severity", "kind", "acknowledged", "counterparty"]
