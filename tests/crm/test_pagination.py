"""NearestEndPaginator: the same pages as Django's Paginator, from whichever end is nearer."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Counterparty
from crm.pagination import NearestEndPaginator
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(workspace):
    # Names repeat, so the order has ties that only the id breaks.
    return [CounterpartyFactory(workspace=workspace, name=f"Name {i % 4}") for i in range(23)]


@pytest.mark.parametrize("ordering", [None, ["name"], ["-name"], ["-last_checked_at"], ["status", "-vat_number"]])
def test_every_page_holds_what_django_s_paginator_puts_there(book, workspace, ordering):
    queryset = Counterparty.objects.filter(workspace=workspace)
    if ordering:
        queryset = queryset.order_by(*ordering)
    expected = Paginator(queryset.order_by(*(ordering or Counterparty._meta.ordering), "pk"), 5)
    nearest = NearestEndPaginator(queryset, 5)

    assert nearest.num_pages == expected.num_pages == 5
    for number in nearest.page_range:
        assert [c.pk for c in nearest.page(number)] == [c.pk for c in expected.page(number)], number
    seen = [c.pk for number in nearest.page_range for c in nearest.page(number)]
    assert sorted(seen) == sorted(c.pk for c in book), "every row on exactly one page"


def test_a_page_costs_the_same_statements_at_either_end(book, workspace):
    paginator = NearestEndPaginator(Counterparty.objects.filter(workspace=workspace).select_related("last_check"), 5)
    paginator.count  # noqa: B018 (counted once, as the view does)
    for number in (1, 5):
        with CaptureQueriesContext(connection) as captured:
            page = list(paginator.page(number))
        assert len(captured) == 2 and page, "the page's ids, then its rows"


def test_the_list_view_shows_the_last_page_in_order(owner, workspace, book):
    response = owner.client.get(reverse("crm:counterparty_list"), {"page": "last"})
    shown = [c.pk for c in response.context["counterparties"]]
    expected = list(Counterparty.objects.filter(workspace=workspace).order_by("name", "vat_number", "pk"))
    per_page = response.context["paginator"].per_page
    assert shown == [c.pk for c in expected[(len(expected) - 1) // per_page * per_page :]]
