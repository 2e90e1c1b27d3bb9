"""One vocabulary: the badge, the filter, the detail page and the JSON answer use the same words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import vocabulary
from crm.models import CheckStatus, CheckTrigger
from tests.factories import CheckResultFactory, CounterpartyFactory, UserFactory, VerificationCheckFactory

pytestmark = pytest.mark.django_db


def _with_last_check(workspace, *, status, last, **fields):
    counterparty = CounterpartyFactory(workspace=workspace, status=status, **fields)
    check = VerificationCheckFactory(counterparty=counterparty, overall_status=last)
    counterparty.last_check = check
    counterparty.last_checked_at = check.started_at
    counterparty.save()
    return counterparty


def test_the_last_attempt_failed_filter_finds_what_the_badge_shows(owner):
    outage = _with_last_check(owner.workspace, status="valid", last="unverified", name="Outage GmbH")
    ours = _with_last_check(owner.workspace, status=None, last="error", name="Our fault SA")
    _with_last_check(owner.workspace, status="valid", last="valid", name="Fine BV")
    CounterpartyFactory(workspace=owner.workspace, name="Never checked Ltd")

    page = owner.client.get(reverse("crm:counterparty_list")).content.decode()
    assert page.count("Last attempt failed") == 2 + 1  # two badges and the filter's option

    found = owner.client.get(reverse("crm:counterparty_list"), {"status": vocabulary.ATTEMPT_FAILED})
    assert {cp.pk for cp in found.context["counterparties"]} == {outage.pk, ours.pk}
    unchecked = owner.client.get(reverse("crm:counterparty_list"), {"status": vocabulary.NOT_CHECKED})
    assert {cp.name for cp in unchecked.context["counterparties"]} == {"Our fault SA", "Never checked Ltd"}


def test_the_status_filter_offers_only_what_a_counterparty_can_be(owner):
    response = owner.client.get(reverse("crm:counterparty_list"))
    offered = [value for value, _ in response.context["filter"].form.fields["status"].choices if value]
    assert offered == ["valid", "invalid", "unchecked", "attempt_failed"]


def test_a_failed_check_digit_shows_as_a_failure_of_the_format_service(owner):
    counterparty = _with_last_check(owner.workspace, status="valid", last="valid")
    CheckResultFactory(check_run=counterparty.last_check, service="format", status="invalid", error_code="CHECKSUM")
    CheckResultFactory(check_run=counterparty.last_check, service="vies", status="valid")
    page = owner.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    assert "Check digit failed" in page


def test_not_disclosed_only_when_the_registry_withholds_it(owner):
    withheld = _with_last_check(owner.workspace, status="valid", last="valid", registered_name=None)
    unknown = _with_last_check(owner.workspace, status="invalid", last="invalid", registered_name=None)
    withheld_page = owner.client.get(reverse("crm:counterparty_detail", args=[withheld.pk])).content.decode()
    unknown_page = owner.client.get(reverse("crm:counterparty_detail", args=[unknown.pk])).content.decode()
    assert "not disclosed by the registry" in withheld_page
    assert "not disclosed" not in unknown_page


def test_people_by_name_or_email_never_a_user(owner):
    counterparty = CounterpartyFactory(workspace=owner.workspace)
    named = UserFactory(first_name="Ada", last_name="Lovelace")
    VerificationCheckFactory(counterparty=counterparty, trigger=CheckTrigger.USER, triggered_by=named)
    VerificationCheckFactory(counterparty=counterparty, trigger=CheckTrigger.USER, triggered_by=owner.user)
    VerificationCheckFactory(counterparty=counterparty, trigger=CheckTrigger.USER, triggered_by=None)
    page = owner.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    assert "Ada Lovelace" in page and owner.user.email in page and "A former member" in page
    assert "A user" not in page


def test_every_time_carries_its_zone():
    moment = datetime(2026, 12, 4, 2, 0, 30, tzinfo=UTC)
    assert vocabulary.when(moment) == "4 Dec 2026, 02:00 UTC"
    assert vocabulary.when(moment, seconds=True) == "4 Dec 2026, 02:00:30 UTC"
    with timezone.override("Europe/Berlin"):
        assert vocabulary.when(moment) == "4 Dec 2026, 03:00 CET"
    assert vocabulary.when(None) == ""


def test_every_status_has_a_label_and_an_explanation():
    for status in [*CheckStatus.values, None]:
        word = vocabulary.status_word(status)
        assert str(word.label) and len(str(word.explanation)) > 20
