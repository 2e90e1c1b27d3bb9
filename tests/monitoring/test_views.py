"""The monitoring card, the switches and the monitoring pages, as the owner, a teammate and an outsider see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import Counterparty, MonitoringFrequency
from monitoring.models import MonitoringRun, Recheck, RecheckOutcome
from tests.factories import AlertFactory, CounterpartyFactory, VerificationCheckFactory

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def switch_url(counterparty: Counterparty) -> str:
    return reverse("monitoring:counterparty_monitoring", args=[counterparty.pk])


@pytest.fixture
def counterparty(owner) -> Counterparty:
    return CounterpartyFactory(workspace=owner.workspace, name="Brouwerij NV")


def test_the_counterparty_page_has_the_monitoring_card(owner, counterparty):
    AlertFactory(check_run=VerificationCheckFactory(counterparty=counterparty), before="valid", after="invalid")
    page = owner.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    assert 'id="monitoring-card"' in page and 'data-state="off"' in page
    assert f'action="{switch_url(counterparty)}"' in page and "csrfmiddlewaretoken" in page
    assert "Turn on" in page and ">Daily<" in page and ">Weekly<" in page
    assert "VAT registration no longer valid" in page and "Valid → Invalid" in page  # the history of changes
    assert f'src="{static("js/app.js")}"' in page  # which switches the card in place (no inline script)


def test_turning_monitoring_on_with_fetch_answers_the_new_card(owner, counterparty):
    response = owner.client.post(switch_url(counterparty), {"monitoring": "weekly"}, **FETCH)
    assert response.status_code == 200
    card = response.content.decode()
    assert card.lstrip().startswith('<section class="card" id="monitoring-card"')  # a fragment, not a page
    assert "<html" not in card and 'data-state="on"' in card and "Weekly" in card
    assert "Next check" in card and "UTC" in card and "Turn monitoring off" in card
    counterparty.refresh_from_db()
    assert counterparty.monitoring == MonitoringFrequency.WEEKLY
    assert counterparty.next_check_due_at <= timezone.now()  # due now: the next run checks it


def test_without_javascript_the_switch_redirects_back(owner, counterparty):
    response = owner.client.post(switch_url(counterparty), {"monitoring": "daily"})
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:counterparty_detail", args=[counterparty.pk])


def test_turning_off_clears_the_due_time(owner, counterparty):
    owner.client.post(switch_url(counterparty), {"monitoring": "daily"}, **FETCH)
    card = owner.client.post(switch_url(counterparty), {"monitoring": "off"}, **FETCH).content.decode()
    assert 'data-state="off"' in card
    counterparty.refresh_from_db()
    assert (counterparty.monitoring, counterparty.next_check_due_at) == ("off", None)


def test_a_shorter_frequency_brings_the_next_check_closer_and_a_longer_one_keeps_it(owner, counterparty):
    in_six_days = timezone.now() + timedelta(days=6)
    Counterparty.objects.filter(pk=counterparty.pk).update(monitoring="weekly", next_check_due_at=in_six_days)
    owner.client.post(switch_url(counterparty), {"monitoring": "daily"})
    counterparty.refresh_from_db()
    assert counterparty.next_check_due_at <= timezone.now() + timedelta(days=1)
    owner.client.post(switch_url(counterparty), {"monitoring": "weekly"})
    assert Counterparty.objects.get(pk=counterparty.pk).next_check_due_at == counterparty.next_check_due_at


def test_a_bare_post_toggles(owner, counterparty):
    owner.client.post(switch_url(counterparty))
    assert Counterparty.objects.get(pk=counterparty.pk).monitoring == "daily"
    owner.client.post(switch_url(counterparty))
    assert Counterparty.objects.get(pk=counterparty.pk).monitoring == "off"


def test_a_teammate_may_switch_too(teammate, counterparty):
    assert teammate.client.post(switch_url(counterparty), {"monitoring": "daily"}, **FETCH).status_code == 200


def test_the_switch_needs_csrf_post_and_a_known_frequency(owner, counterparty):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner.user)
    assert strict.post(switch_url(counterparty), {"monitoring": "daily"}, **FETCH).status_code == 403
    assert owner.client.get(switch_url(counterparty)).status_code == 405
    assert owner.client.post(switch_url(counterparty), {"monitoring": "hourly"}).status_code == 400
    counterparty.refresh_from_db()
    assert counterparty.monitoring == "off"


def test_an_outsider_cannot_switch(outsider, counterparty):
    assert outsider.client.post(switch_url(counterparty), {"monitoring": "daily"}, **FETCH).status_code == 404
    counterparty.refresh_from_db()
    assert counterparty.monitoring == "off"


def test_a_new_counterparty_is_monitored_only_if_the_workspace_says_so(owner, sim, requester):
    from crm.services import run_verification
    from verification.vat import normalise_vat

    first = run_verification(workspace=owner.workspace, vat=normalise_vat("ATU72943648")).counterparty
    assert first.monitoring == MonitoringFrequency.OFF  # the default
    owner.workspace.monitor_new_counterparties = True
    owner.workspace.save()
    second = run_verification(workspace=owner.workspace, vat=normalise_vat("BE0106411968")).counterparty
    assert second.monitoring == MonitoringFrequency.DAILY and second.next_check_due_at is not None


def test_the_list_switches_many_at_once_and_only_the_workspaces_own(owner, outsider):
    mine = CounterpartyFactory.create_batch(3, workspace=owner.workspace)
    theirs = CounterpartyFactory(workspace=outsider.workspace)
    page = owner.client.get(reverse("crm:counterparty_list")).content.decode()
    assert f'action="{reverse("monitoring:bulk_monitoring")}"' in page
    assert f'name="counterparty" value="{mine[0].pk}" form="bulk"' in page

    ticked = [mine[0].pk, mine[1].pk, theirs.pk]
    response = owner.client.post(
        reverse("monitoring:bulk_monitoring"),
        {"counterparty": ticked, "monitoring": "weekly", "next": "/crm/?q=x"},
    )
    assert response.status_code == 302 and response["Location"] == "/crm/?q=x"
    monitoring = dict(Counterparty.objects.values_list("pk", "monitoring"))
    assert [monitoring[c.pk] for c in mine] == ["weekly", "weekly", "off"]
    assert monitoring[theirs.pk] == "off"

    owner.client.post(reverse("monitoring:bulk_monitoring"), {"counterparty": ticked, "monitoring": "off"})
    assert not Counterparty.objects.monitored().exists()


def test_the_bulk_switch_refuses_to_redirect_elsewhere(owner):
    counterparty = CounterpartyFactory(workspace=owner.workspace)
    response = owner.client.post(
        reverse("monitoring:bulk_monitoring"),
        {"counterparty": [counterparty.pk], "monitoring": "daily", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("crm:counterparty_list")


def make_run(workspace, **outcomes: int) -> MonitoringRun:
    run = MonitoringRun.objects.create(due=99, enqueued=99, checked=98, finished_at=timezone.now())
    for outcome, count in outcomes.items():
        for _ in range(count):
            counterparty = CounterpartyFactory(workspace=workspace)
            Recheck.objects.create(
                run=run,
                counterparty=counterparty,
                workspace=workspace,
                outcome=outcome,
                finished_at=timezone.now(),
                changed=outcome == RecheckOutcome.CHECKED,
                alerts=1 if outcome == RecheckOutcome.CHECKED else 0,
            )
    return run


def test_the_monitoring_page_shows_the_workspaces_share_of_its_runs_only(owner, outsider):
    mine = make_run(owner.workspace, checked=2, unverified=1)
    make_run(outsider.workspace, checked=5)
    CounterpartyFactory(workspace=owner.workspace, monitoring="daily", next_check_due_at=timezone.now())
    response = owner.client.get(reverse("monitoring:overview"))
    assert response.status_code == 200
    [share] = response.context["shares"]
    assert share.run == mine
    assert (share.rechecked, share.checked, share.unverified, share.changed, share.alerts) == (3, 2, 1, 2, 2)
    page = response.content.decode()
    assert "<td>99</td>" not in page  # the global totals are the operators', not a workspace's
    assert response.context["due_now"] == 1 and response.context["monitored_daily"] == 1
    assert "Every day at 02:00 UTC" in page  # the schedule the admin has, in words


def test_the_run_page_lists_the_workspaces_rechecks_and_404s_for_others(owner, outsider):
    run = make_run(owner.workspace, checked=1)
    url = reverse("monitoring:run_detail", args=[run.pk])
    response = owner.client.get(url)
    assert response.status_code == 200 and len(response.context["rechecks"]) == 1
    assert outsider.client.get(url).status_code == 404


def test_the_pages_need_a_login(counterparty):
    anonymous = Client()
    assert anonymous.get(reverse("monitoring:overview")).status_code == 302
    assert anonymous.post(switch_url(counterparty), {"monitoring": "daily"}).status_code == 302
    assert Counterparty.objects.get(pk=counterparty.pk).monitoring == "off"


def test_the_nav_links_to_monitoring(owner):
    page = owner.client.get(reverse("crm:counterparty_list")).content.decode()
    assert f'href="{reverse("monitoring:overview")}"' in page
