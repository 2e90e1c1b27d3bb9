"""The dashboard: the workspace's figures and charts, from aggregate queries, right before and after rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import CheckStatus, MonitoringFrequency
from dashboard.models import CheckDay, ClosedDay, RegistryDay, StatusSnapshot
from dashboard.services import day_close, rollups_refresh
from monitoring.models import MonitoringRun, Recheck, RecheckOutcome
from tests.factories import AlertFactory, CheckResultFactory, CounterpartyFactory, VerificationCheckFactory
from tests.test_csp_and_caching import InlineCode

NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def _figure(response, name: str) -> str:
    content = response.content.decode()
    start = content.index(f'data-figure="{name}"')
    return content[content.index(">", start) + 1 : content.index("</", start)].strip()


def _check(workspace, *, status=CheckStatus.VALID, at=NOW, country="NL", registry_status=None):
    counterparty = CounterpartyFactory(
        workspace=workspace, vat_number=f"{country}{CounterpartyFactory._meta.model.objects.count():09d}B01"
    )
    check = VerificationCheckFactory(counterparty=counterparty, overall_status=status, started_at=at)
    CheckResultFactory(check_run=check, status=registry_status or status, country_code=country, created_at=at)
    return check


def test_the_home_page_is_the_dashboard_and_signing_in_lands_there(client, owner, settings):
    assert client.get("/").status_code == 302 and "/accounts/login/" in client.get("/")["Location"]
    assert settings.LOGIN_REDIRECT_URL == "dashboard:home"
    response = owner.client.get("/")
    assert response.status_code == 200
    assert b"Dashboard" in response.content
    assert reverse("crm:counterparty_list").encode() in response.content  # the list is its own entry


def test_the_figures_count_the_workspace_only(owner, outsider, now):
    workspace = owner.workspace
    CounterpartyFactory.create_batch(
        3, workspace=workspace, status=CheckStatus.VALID, monitoring=MonitoringFrequency.DAILY
    )
    CounterpartyFactory(workspace=workspace, status=CheckStatus.INVALID)
    CounterpartyFactory(workspace=workspace)  # never checked
    CounterpartyFactory(workspace=workspace, status=CheckStatus.VALID, archived_at=now)  # archived: not counted
    CounterpartyFactory.create_batch(4, workspace=outsider.workspace, status=CheckStatus.INVALID)
    recent = AlertFactory(check_run=_check(workspace), created_at=now - timedelta(days=2))
    AlertFactory(check_run=_check(workspace), created_at=now - timedelta(days=20), acknowledged_at=now)
    AlertFactory(check_run=_check(workspace), created_at=now - timedelta(days=45))
    AlertFactory(check_run=_check(outsider.workspace), created_at=now)

    response = owner.client.get(reverse("dashboard:home"))

    # The alerts' checks came with three counterparties of their own, never checked (no status).
    assert _figure(response, "valid") == "3"
    assert _figure(response, "invalid") == "1"
    assert _figure(response, "unchecked") == "4"
    assert _figure(response, "monitored-share") == "38 %"  # 3 of 8 active
    assert _figure(response, "open-alerts") == "2"
    assert _figure(response, "changes-7") == "1"
    assert _figure(response, "changes-30") == "2"
    assert recent.pk


def test_next_run_and_the_last_runs_outcome(owner, now):
    counterparty = CounterpartyFactory(workspace=owner.workspace)
    run = MonitoringRun.objects.create(started_at=now - timedelta(hours=10), finished_at=now - timedelta(hours=9))
    Recheck.objects.create(
        run=run, counterparty=counterparty, workspace=owner.workspace, outcome=RecheckOutcome.CHECKED
    )

    response = owner.client.get(reverse("dashboard:home"))

    assert "18 Jun 2026, 02:00 UTC" in _figure(response, "next-run")  # the daily run of the data migration
    last = response.content.decode().split('data-figure="last-run"')[1].split("</dd>")[0]
    assert "17 Jun 2026, 02:00 UTC" in last and "1 of 1 answered" in last and "Done" in last


def test_charts_are_svg_with_no_inline_code_and_their_figures_as_a_table(owner, now):
    _check(owner.workspace, status=CheckStatus.VALID)
    _check(owner.workspace, status=CheckStatus.UNVERIFIED, registry_status=CheckStatus.UNVERIFIED, country="DE")
    AlertFactory(check_run=_check(owner.workspace), created_at=now)

    response = owner.client.get(reverse("dashboard:home"))
    content = response.content.decode()

    assert content.count("<svg") == 4
    parser = InlineCode()
    parser.feed(content)
    assert parser.found == []
    # Every series has a pattern of its own, painted by attribute, and its name in the legend.
    assert 'fill="url(#chart-checks-2)"' in content and "Unverified (registry unavailable)" in content
    assert 'role="img"' in content and 'aria-label="Checks per day by result, last 30 days"' in content
    de = '<tr data-availability="DE"><th scope="row">Germany <span class="muted">DE</span></th>'
    nl = '<tr data-availability="NL"><th scope="row">Netherlands <span class="muted">NL</span></th>'
    assert f"{de}<td>0 %</td><td>100 %</td></tr>" in content
    assert f"{nl}<td>100 %</td><td>0 %</td></tr>" in content
    # The chart's axis keeps the code, its tooltip names the member state.
    assert "DE<title>Germany (DE)</title>" in content and "<title>Netherlands (NL): Answered 100 %</title>" in content


def _checks_table(owner) -> dict[str, list[str]]:
    """The checks chart's table: day -> the four counts."""
    content = owner.client.get(reverse("dashboard:home")).content.decode()
    table = content.split('id="chart-checks"')[1].split("</table>")[0]
    rows = {}
    for row in table.split("<tr>")[2:]:
        label = row.split('<th scope="row">')[1].split("<")[0]
        rows[label] = [cell.split("<")[0] for cell in row.split("<td>")[1:]]
    return rows


def test_checks_per_day_read_the_same_from_the_checks_and_from_the_closed_days(owner, outsider, now):
    for status in (CheckStatus.VALID, CheckStatus.VALID, CheckStatus.INVALID):
        _check(owner.workspace, status=status, at=now - timedelta(days=3))
    _check(owner.workspace, status=CheckStatus.ERROR, at=now)
    _check(outsider.workspace, status=CheckStatus.VALID, at=now - timedelta(days=3))
    live = _checks_table(owner)
    assert live["14/06"] == ["2", "1", "0", "0"] and live["17/06"] == ["0", "0", "0", "1"]

    closed = rollups_refresh(now=now)

    assert len(closed) == 31 and not ClosedDay.objects.filter(day=now.date()).exists()
    assert CheckDay.objects.filter(workspace=owner.workspace).count() == 2
    # A check stored in a closed day afterwards would not count: the rows, not the checks, are read now.
    CheckDay.objects.filter(workspace=owner.workspace, status=CheckStatus.VALID).update(checks=5)
    assert _checks_table(owner)["14/06"] == ["5", "1", "0", "0"]
    assert _checks_table(owner)["17/06"] == ["0", "0", "0", "1"]  # today is always counted live


def test_a_day_closes_once_and_only_an_hour_after_it_ended(owner, now):
    rollups_refresh(now=datetime(2026, 6, 17, 0, 30, tzinfo=UTC))
    assert not ClosedDay.objects.filter(day="2026-06-16").exists()  # a check of 23:59 may still be running
    rollups_refresh(now=datetime(2026, 6, 17, 1, 5, tzinfo=UTC))
    assert ClosedDay.objects.filter(day="2026-06-16").exists()
    assert day_close(day=datetime(2026, 6, 16).date()) is False  # closed already: nothing written twice


def test_registry_availability_counts_registries_not_the_format_rules(owner, now):
    check = _check(owner.workspace, status=CheckStatus.UNVERIFIED, country="ES", at=now - timedelta(days=2))
    CheckResultFactory(check_run=check, service="format", status=CheckStatus.VALID, country_code="ES")
    _check(owner.workspace, status=CheckStatus.VALID, country="ES", at=now - timedelta(days=2))

    rollups_refresh(now=now)

    assert list(RegistryDay.objects.values_list("country_code", "answers", "outages")) == [("ES", 1, 1)]
    content = owner.client.get(reverse("dashboard:home")).content.decode()
    assert '<th scope="row">Spain <span class="muted">ES</span></th><td>50 %</td><td>50 %</td></tr>' in content


def test_status_over_time_is_the_days_snapshots_and_today_live(owner, now, time_machine):
    CounterpartyFactory(workspace=owner.workspace, status=CheckStatus.VALID)
    rollups_refresh(now=now - timedelta(days=1))
    assert StatusSnapshot.objects.get(workspace=owner.workspace, day="2026-06-16").valid == 1
    CounterpartyFactory.create_batch(2, workspace=owner.workspace, status=CheckStatus.INVALID)

    content = owner.client.get(reverse("dashboard:home")).content.decode()
    table = content.split('id="chart-status"')[1].split("</table>")[0]

    assert '<th scope="row">16/06</th><td>1</td><td>0</td><td>0</td>' in table
    assert '<th scope="row">17/06</th><td>1</td><td>2</td><td>0</td>' in table
    assert '<th scope="row">15/06</th><td>—</td><td>—</td><td>—</td>' in table  # no snapshot: no data


def test_the_dashboard_reads_aggregates_its_queries_do_not_grow_with_the_rows(owner, now):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.client.get(reverse("dashboard:home")).status_code == 200
        return len(captured)

    _check(owner.workspace)
    few = queries()
    for offset in range(20):
        AlertFactory(check_run=_check(owner.workspace, at=now - timedelta(days=offset % 10)), created_at=now)
    assert queries() == few
