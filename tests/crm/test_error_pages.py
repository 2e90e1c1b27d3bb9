"""403, 404 and 500 pages in the app's style and words; a signed-in user who is not staff is told why at /admin/."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


def test_another_workspaces_counterparty_is_the_apps_404(owner, outsider):
    theirs = CounterpartyFactory(workspace=outsider.workspace)
    response = owner.client.get(reverse("crm:counterparty_detail", args=[theirs.pk]))
    page = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in page and "css/app.css" in page and 'id="menu-toggle"' in page


def test_a_refusal_is_the_apps_403_with_its_reason(owner, teammate):
    response = teammate.client.post(reverse("monitoring:run_now"))
    assert response.status_code == 403
    assert "Only an owner of the workspace can start a run." in response.content.decode()


def test_a_signed_in_user_who_is_not_staff_is_told_why_at_the_admin(teammate):
    response = teammate.client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "only staff accounts may use it" in response.content.decode()


def test_the_500_page_needs_no_request_nor_database():
    page = render_to_string("500.html")  # as Django's server_error renders it: no request, no context processors
    assert "Something went wrong on our side" in page and "css/app.css" in page
