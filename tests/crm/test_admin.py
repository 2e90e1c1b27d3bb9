"""The operators' console: every model is there for staff, across all workspaces."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import AlertFactory, CheckResultFactory, InvitationFactory, UserFactory


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


def test_evidence_is_read_only(staff_client):
    result = CheckResultFactory()
    model_admin = admin.site._registry[type(result)]
    assert "raw_response" in model_admin.get_readonly_fields(None, result)
