"""EVIDENCE_RETENTION_DAYS: old checks go, what a counterparty or an alert rests on stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm.models import CheckResult, CheckStatus, VerificationCheck
from crm.services.retention import checks_purge_expired
from crm.tasks import PURGE_EXPIRED_CHECKS_TASK, purge_expired_checks
from tests.factories import AlertFactory, CheckResultFactory, CounterpartyFactory, VerificationCheckFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def check(counterparty, *, days_ago: float, status: str = CheckStatus.VALID) -> VerificationCheck:
    at = NOW - timedelta(days=days_ago)
    made = VerificationCheckFactory(
        counterparty=counterparty, workspace=counterparty.workspace, overall_status=status, started_at=at
    )
    CheckResultFactory(check_run=made, raw_response="<env:Envelope/>")
    return made


@pytest.fixture
def retention(settings):
    settings.EVIDENCE_RETENTION_DAYS = 365
    return settings


def test_old_checks_go_with_their_results_and_recent_ones_stay(retention):
    counterparty = CounterpartyFactory()
    old = [check(counterparty, days_ago=400 + i) for i in range(3)]
    recent = check(counterparty, days_ago=10)
    counterparty.last_check = recent
    counterparty.save()

    assert checks_purge_expired(now=NOW, batch_size=2) == 3
    assert list(VerificationCheck.objects.all()) == [recent]
    assert not CheckResult.objects.filter(check_run__in=old).exists()


def test_the_last_check_and_the_last_definitive_check_stay_however_old(retention):
    counterparty = CounterpartyFactory()
    older_valid = check(counterparty, days_ago=900)
    last_valid = check(counterparty, days_ago=800)
    last_outage = check(counterparty, days_ago=700, status=CheckStatus.UNVERIFIED)
    older_outage = check(counterparty, days_ago=750, status=CheckStatus.UNVERIFIED)
    counterparty.last_check = last_outage
    counterparty.save()

    checks_purge_expired(now=NOW)

    kept = set(VerificationCheck.objects.values_list("pk", flat=True))
    assert kept == {last_valid.pk, last_outage.pk}
    assert older_valid.pk not in kept and older_outage.pk not in kept


def test_checks_an_alert_was_raised_on_or_compared_with_stay(retention):
    counterparty = CounterpartyFactory()
    before = check(counterparty, days_ago=600)
    raised_on = check(counterparty, days_ago=500, status=CheckStatus.INVALID)
    check(counterparty, days_ago=450, status=CheckStatus.INVALID)
    latest = check(counterparty, days_ago=1, status=CheckStatus.INVALID)
    counterparty.last_check = latest
    counterparty.save()
    AlertFactory(check_run=raised_on, previous_check=before)

    assert checks_purge_expired(now=NOW) == 1
    assert set(VerificationCheck.objects.values_list("pk", flat=True)) == {before.pk, raised_on.pk, latest.pk}


def test_zero_keeps_everything(settings):
    settings.EVIDENCE_RETENTION_DAYS = 0
    counterparty = CounterpartyFactory()
    check(counterparty, days_ago=5000, status=CheckStatus.UNVERIFIED)
    check(counterparty, days_ago=4000)

    assert purge_expired_checks() == 0
    assert VerificationCheck.objects.count() == 2


def test_other_workspaces_old_checks_are_judged_on_their_own_counterparties(retention):
    mine, theirs = CounterpartyFactory(), CounterpartyFactory()
    my_old = check(mine, days_ago=400)
    their_old_valid = check(theirs, days_ago=400)
    check(mine, days_ago=2)  # a newer definitive check makes mine expendable, not theirs

    checks_purge_expired(now=NOW)

    assert not VerificationCheck.objects.filter(pk=my_old.pk).exists()
    assert VerificationCheck.objects.filter(pk=their_old_valid.pk).exists()


def test_the_purge_is_on_the_beat_schedule():
    entry = PeriodicTask.objects.get(task=PURGE_EXPIRED_CHECKS_TASK)
    assert entry.enabled and (entry.crontab.hour, entry.crontab.minute) == ("3", "30")
