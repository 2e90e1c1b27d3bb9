"""Batches: accepted at once, verified in the background through the shared path, progress and paged results."""

from __future__ import annotations

import pytest

from api.models import Batch, BatchItem, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services.batches import batch_lane_verify, batches_resume
from crm.models import CheckTrigger, VerificationCheck

pytestmark = pytest.mark.usefixtures("registry_settings")
ITEMS = [
    {"vat_number": "ATU72943648", "name": "Alpenblick"},
    {"vat_number": "BE0106411968"},
    {"vat_number": "XX123"},
    {"vat_number": "at u 7294.3648"},
]


def test_a_batch_is_verified_with_progress_and_paged_results(api, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(workspace=api.workspace, url="http://127.0.0.1:9/h", events=["import.finished"])
    with django_capture_on_commit_callbacks(execute=True):
        accepted = api.client.post("/api/v1/batches/", {"items": ITEMS})
    assert accepted.status_code == 202, accepted.content
    job = api.client.get(f"/api/v1/batches/{accepted.json()['id']}/").json()
    assert job["status"] == "done" and job["total"] == 4 and job["done"] == 4 and job["refused"] == 1
    assert job["valid"] == 3
    results, url = [], job["results_url"] + "?page_size=3"
    while url:
        page = api.client.get(url).json()
        results += page["results"]
        url = page["next"]
    assert [row["position"] for row in results] == [0, 1, 2, 3]
    assert results[2]["check"] is None and results[2]["refused"] and results[2]["vat_number"] == ""
    assert results[0]["check"]["overall_status"] == "valid"
    # The same number twice is two checks of one counterparty; each check an import's, keyed by its item.
    assert VerificationCheck.objects.filter(trigger=CheckTrigger.IMPORT).count() == 3
    assert WebhookDelivery.objects.get(event=WebhookEvent.IMPORT_FINISHED).payload["data"]["batch"]["done"] == 4


def test_a_lane_run_twice_stores_each_check_once(api, django_capture_on_commit_callbacks, registry_settings):
    with django_capture_on_commit_callbacks(execute=False):
        batch_id = api.client.post("/api/v1/batches/", {"items": ITEMS[:2]}).json()["id"]
    for lane in (0, 1, 0, 1):
        assert batch_lane_verify(batch_id=batch_id, lane=lane)
    assert VerificationCheck.objects.count() == 2
    assert Batch.objects.get().status == "done"


def test_an_idle_batch_is_sent_again_by_the_sweep(api, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=False):  # the messages are lost
        batch_id = api.client.post("/api/v1/batches/", {"items": ITEMS[:1]}).json()["id"]
    assert batches_resume() == 0
    assert batches_resume(now=timezone.now() + timedelta(minutes=6)) == 1
    assert BatchItem.objects.get(batch_id=batch_id).check_run is not None


@pytest.mark.parametrize("body", [{"items": []}, {"items": [{"vat_number": "AT1"}] * 10_001}, {"items": "ATU1"}])
def test_a_batch_outside_the_bounds_is_refused(api, body):
    response = api.client.post("/api/v1/batches/", body)
    assert response.status_code == 400 and not Batch.objects.exists()


def test_another_workspaces_batch_is_a_404(api, outsider_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        batch_id = api.client.post("/api/v1/batches/", {"items": ITEMS[:1]}).json()["id"]
    assert outsider_api.client.get(f"/api/v1/batches/{batch_id}/").status_code == 404
    assert outsider_api.client.get(f"/api/v1/batches/{batch_id}/results/").status_code == 404
