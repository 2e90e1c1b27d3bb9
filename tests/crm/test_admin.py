"""The operators' console: every model is there for staff, across all workspaces."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Counterparty
from tests.factories import AlertFactory, CheckResultFactory, CounterpartyFactory, InvitationFactory, UserFactory


@pytest.fixture
def staff_client(db) -> Client:
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_every_model_has_a_working_changelist_and_change_page(staff_client):
    AlertFactory(check_run=CheckResultFactory().check_run)
    InvitationFactory()
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = staff_client.get(changelist, {"q": "a"})
        assert response.status_code == 200, changelist
        instance = model._default_manager.first()
        if instance is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
            assert staff_client.get(change).status_code == 200, change


def test_every_model_of_the_project_is_in_the_admin():
    project_apps = {"crm", "verification", "monitoring", "notifications"}
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in project_apps and model not in admin.site._registry
    ]
    assert not missing, f"register in the admin: {missing}"


def test_evidence_is_read_only(staff_client):
    result = CheckResultFactory()
    model_admin = admin.site._registry[type(result)]
    assert "raw_response" in model_admin.get_readonly_fields(None, result)


def test_monitoring_turned_on_in_the_admin_is_due_at_once(staff_client):
    from crm.models import Counterparty

    counterparty = CounterpartyFactory()
    url = reverse("admin:crm_counterparty_change", args=[counterparty.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"workspace": counterparty.workspace_id, "monitoring": "daily", "created_by": ""})
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    counterparty.refresh_from_db()
    assert counterparty.monitoring == "daily" and counterparty.next_check_due_at is not None
    assert Counterparty.objects.due().filter(pk=counterparty.pk).exists()


def test_the_counterparty_changelist_costs_the_same_statements_for_10_or_60_rows(staff_client):
    url = reverse("admin:crm_counterparty_changelist")
    staff_client.get(url)  # the first request fills per-process caches (content types, the admin's sidebar)
    counts = []
    for total in (10, 60):
        CounterpartyFactory.create_batch(total - Counterparty.objects.count())
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url, {"q": "supplier"}).status_code == 200
        counts.append(len(captured))
        assert not any("DISTINCT" in query["sql"] for query in captured), "no DISTINCT over the table"
    assert counts[0] == counts[1]


def test_the_counterparty_changelist_filters_by_country_from_the_checked_prefixes(staff_client):
    german, dutch = CounterpartyFactory(vat_number="DE136695976", country_code="DE"), CounterpartyFactory()
    response = staff_client.get(reverse("admin:crm_counterparty_changelist"), {"country_code": "DE"})
    shown = list(response.context["cl"].result_list)
    assert german in shown and dutch not in shown
    assert "?country_code=GB" in response.content.decode(), "every prefix vatcrm checks is offered"


@pytest.mark.parametrize("language", ["en-gb", "ru"])
def test_the_counterparty_changelist_checkbox_is_djangos_own(db, language):
    """CounterpartyAdmin writes the action checkbox directly (no widget renderer per row): the same tag."""
    from django.utils import translation

    counterparty = CounterpartyFactory(name='Bolt "<Logistics>"')
    model_admin = admin.site._registry[Counterparty]
    with translation.override(language):
        assert model_admin.action_checkbox(counterparty) == admin.ModelAdmin.action_checkbox(model_admin, counterparty)


def test_the_counterparty_changelist_pages_rows_and_its_actions_still_work(staff_client):
    kept, removed = CounterpartyFactory.create_batch(2)
    url = reverse("admin:crm_counterparty_changelist")
    page = staff_client.get(url).content.decode()
    assert f'name="_selected_action" value="{removed.pk}" class="action-select"' in page
    response = staff_client.post(url, {"action": "delete_selected", "_selected_action": [removed.pk], "post": "yes"})
    assert response.status_code == 302
    assert list(Counterparty.objects.values_list("pk", flat=True)) == [kept.pk]
