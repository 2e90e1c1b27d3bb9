"""The background verification through a real Celery worker on Redis, PostgreSQL and the simulator over HTTP.

An import of 40 new counterparties, in chunks of 5, at most 2 chunks in flight: the registry never sees more
than 2 of the import's calls at once. The first messages are lost (never published, as when the broker is
restarted): the reconciler sends them again and the import still ends with every counterparty verified
once.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from crm.models import CheckTrigger, VerificationCheck
from imports.models import ImportJob, JobStatus
from imports.selectors import job_progress
from imports.services import imports_reconcile, job_commit, job_stage
from tests.factories import CompanyFactory
from tests.monitoring.conftest import belgian_vat

from .factories import csv_bytes

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.services, pytest.mark.usefixtures("require_postgres")]
COUNT, UNKNOWN = 40, range(0, 4)


def wait_for_the_end(job: ImportJob, timeout: float = 60.0) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == JobStatus.DONE:
            return job
        time.sleep(0.1)
    raise AssertionError(f"the import did not finish in {timeout:.0f} s: {job_progress(job)}")


def test_an_import_is_verified_by_a_real_worker_paced_and_nothing_lost(
    celery_worker_live, vies_settings, settings, owner
):
    settings.IMPORT_VERIFY_CHUNK_SIZE = 5
    settings.IMPORT_VERIFY_IN_FLIGHT_PER_WORKSPACE = 2
    simulator = vies_settings
    simulator.set_latency(20)
    CompanyFactory(workspace=owner.workspace)
    for n in range(COUNT):
        if n not in UNKNOWN:
            simulator.registry.add(belgian_vat(n), f"Supplier {n} NV", f"Rue du Commerce {n}\n1000 Bruxelles")
    data = csv_bytes([[belgian_vat(n), f"Supplier {n}"] for n in range(COUNT)], header=["VAT number", "Name"])
    job = job_stage(workspace=owner.workspace, user=owner.user, fileobj=io.BytesIO(data), filename="book.csv")

    # The first dispatch's messages never reach the broker.
    with mock.patch("imports.tasks.import_verify_chunk.delay") as lost:
        job = job_commit(job=job, user=owner.user)
    assert lost.call_count == 2 and job.status == JobStatus.VERIFYING
    time.sleep(0.5)
    assert job_progress(job).done == 0  # nothing happens until the reconciler finds them

    later = timezone.now() + timedelta(seconds=settings.IMPORT_RECONCILE_GRACE_SECONDS + 1)
    assert imports_reconcile(now=later) == 2
    job = wait_for_the_end(job)

    progress = job_progress(job)
    assert (progress.valid, progress.invalid, progress.unverified, progress.left) == (
        COUNT - len(UNKNOWN),
        len(UNKNOWN),
        0,
        0,
    )
    checks = VerificationCheck.objects.filter(trigger=CheckTrigger.IMPORT, workspace=owner.workspace)
    assert checks.count() == COUNT  # one each, however the chunks were sent
    assert simulator.stats.snapshot()["max_concurrent_by_country"]["BE"] <= 2
