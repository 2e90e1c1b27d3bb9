"""Cursor pagination: stable pages over rows that change while a client walks them (no offsets)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import DateTimeField, Value
from django.db.models.functions import Coalesce
from rest_framework.pagination import CursorPagination

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Cursor(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-id",)


class CounterpartyCursor(Cursor):
    """The list's orders of the CRM page (`ordering=name|vat|checked|status`, `-` for descending).

    A cursor needs a non-null position: "never checked" sorts as the epoch and "no status" as the empty
    text, through annotations, and the id breaks ties so that no row is skipped or repeated.
    """

    ORDERS = {
        "name": ("name", "id"),
        "vat": ("vat_number", "id"),
        "checked": ("checked_sort", "id"),
        "status": ("status_sort", "id"),
    }
    default = "name"

    def paginate_queryset(self, queryset, request, view=None):
        queryset = queryset.annotate(
            checked_sort=Coalesce("last_checked_at", Value(EPOCH, output_field=DateTimeField())),
            status_sort=Coalesce("status", Value("")),
        )
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        value = request.query_params.get("ordering", self.default)
        descending = value.startswith("-")
        fields = self.ORDERS.get(value.lstrip("-"), self.ORDERS[self.default])
        return tuple(f"-{field}" if descending else field for field in fields)
