"""API keys: shown once, stored hashed, scoped, revoked by owners, last use recorded at most once a minute."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiKey, KeyScope
from tests.factories import CounterpartyFactory

LIST = "/api/v1/counterparties/"


def test_the_key_is_shown_once_and_stored_as_a_hash(owner):
    response = owner.client.post(reverse("api_pages:keys"), {"name": "ERP", "scope": KeyScope.READ})
    assert response.status_code == 201
    plaintext = response.context["issued"].plaintext
    assert plaintext.startswith("vcrm_") and plaintext in response.content.decode()
    key = ApiKey.objects.get()
    assert key.workspace == owner.workspace and key.created_by == owner.user and key.scope == KeyScope.READ
    assert key.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in str(ApiKey.objects.values().get())  # no column holds it
    page = owner.client.get(reverse("api_pages:keys")).content.decode()
    assert plaintext not in page and key.masked in page


@pytest.mark.parametrize(
    "header",
    ["Bearer vcrm_0000_x", "Bearer nothing", "Bearer", "Basic abc", "Api-Key vcrm_abcdefgh_wrong", "Bearer a b"],
)
def test_a_wrong_key_is_a_401_problem(header, api):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(LIST)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_no_key_is_a_401(db):
    response = APIClient().get(LIST)
    assert response.status_code == 401 and response.json()["type"] == "urn:vatcrm:problem:not_authenticated"


def test_the_api_key_scheme_works_too(api):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api.plaintext}")
    assert client.get(LIST).status_code == 200


def test_a_session_is_not_a_key(owner):
    """The web session does not open the API: every API request is a key's, scoped to its workspace."""
    assert owner.client.get(LIST).status_code == 401


def test_a_read_only_key_reads_and_writes_nothing(read_api):
    counterparty = CounterpartyFactory(workspace=read_api.workspace)
    assert read_api.client.get(f"{LIST}{counterparty.pk}/").status_code == 200
    response = read_api.client.post(f"{LIST}{counterparty.pk}/archive/")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    counterparty.refresh_from_db()
    assert counterparty.archived_at is None


def test_a_revoked_key_is_refused(owner, api):
    response = owner.client.post(reverse("api_pages:key_revoke", args=[api.key.pk]))
    assert response.status_code == 302
    assert api.client.get(LIST).status_code == 401


def test_only_owners_manage_keys(teammate, api):
    assert teammate.client.get(reverse("api_pages:keys")).status_code == 403
    assert teammate.client.post(reverse("api_pages:key_revoke", args=[api.key.pk])).status_code == 403
    assert api.client.get(LIST).status_code == 200


def test_last_use_is_written_at_most_once_a_minute(api):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api.client.get(LIST)
        api.key.refresh_from_db()
        assert api.key.last_used_at == start
        with CaptureQueriesContext(connection) as queries:
            api.client.get(LIST)
        assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api.client.get(LIST)
        api.key.refresh_from_db()
        assert api.key.last_used_at == start + timedelta(seconds=61)
