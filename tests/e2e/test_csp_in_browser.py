"""The behaviours moved out of inline scripts still work under the enforced policy, in the product, the admin
and allauth's pages; the `browser` fixture fails each test on any violation the browser logs."""

import pytest
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.factories import CounterpartyFactory, MembershipFactory, WorkspaceFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_guard_sees_a_violation(browser, live_server):
    """Without this, a guard that read nothing would pass every test."""
    browser.get(live_server.url + reverse("account_login"))
    browser.execute_script("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>');")
    WebDriverWait(browser, 5).until(
        lambda driver: any("Content Security Policy" in entry["message"] for entry in driver.get_log("browser"))
    )


def test_ticking_all_and_switching_workspace(signed_in_browser, live_server, owner):
    CounterpartyFactory.create_batch(2, workspace=owner.workspace)
    other = WorkspaceFactory(name="Second Ltd")
    MembershipFactory(user=owner.user, workspace=other)
    browser = signed_in_browser
    browser.get(live_server.url + reverse("crm:counterparty_list"))
    browser.find_element(By.CSS_SELECTOR, "input[data-tick-all]").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "input[form=bulk][name=counterparty]")
    assert len(rows) == 2 and all(box.is_selected() for box in rows)

    Select(browser.find_element(By.CSS_SELECTOR, "select[data-submit-to-value]")).select_by_visible_text("Second Ltd")
    WebDriverWait(browser, 10).until(lambda driver: "No counterparties yet in Second Ltd" in driver.page_source)


def test_the_channel_form_shows_the_fields_of_its_kind(signed_in_browser, live_server):
    browser = signed_in_browser
    browser.get(live_server.url + reverse("notifications:channel_add") + "?kind=slack")
    assert browser.find_element(By.NAME, "url").is_displayed()
    assert not browser.find_element(By.NAME, "bot_token").is_displayed()
    Select(browser.find_element(By.NAME, "kind")).select_by_value("telegram")
    assert browser.find_element(By.NAME, "bot_token").is_displayed()
    assert not browser.find_element(By.NAME, "url").is_displayed()


def test_the_admin_works_under_the_policy(signed_in_browser, live_server, owner):
    owner.user.is_staff = owner.user.is_superuser = True
    owner.user.save()
    counterparty = CounterpartyFactory(workspace=owner.workspace)
    browser = signed_in_browser
    browser.get(live_server.url + reverse("admin:crm_counterparty_changelist"))
    browser.find_element(By.CSS_SELECTOR, "input.action-select").click()
    assert "1 of 1 selected" in browser.find_element(By.CSS_SELECTOR, ".action-counter").text  # actions.js

    browser.get(live_server.url + reverse("admin:crm_counterparty_change", args=[counterparty.pk]))
    browser.find_element(By.CSS_SELECTOR, ".field-workspace .select2-selection").click()  # autocomplete
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".select2-results__option"))

    # django-celery-beat's form: its script, moved to a static file, says the chosen crontab in words.
    daily = CrontabSchedule.objects.create(minute="0", hour="2")
    weekly = CrontabSchedule.objects.create(minute="30", hour="3", day_of_week="1")
    task = PeriodicTask.objects.create(name="a schedule", task="monitoring.tasks.run_monitoring", crontab=daily)
    browser.get(live_server.url + reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]))
    help_text = browser.find_element(By.ID, "id_crontab_helptext")
    assert f"In words: {daily.human_readable}" in help_text.text
    Select(browser.find_element(By.ID, "id_crontab")).select_by_value(str(weekly.pk))
    assert f"In words: {weekly.human_readable}" in help_text.text
    assert not browser.find_element(By.CSS_SELECTOR, ".field-crontab_translation").is_displayed()
    browser.find_element(By.ID, "calendarlink0").click()  # DateTimeShortcuts.js and calendar.js
    assert browser.find_element(By.ID, "calendarbox0").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#calendarbox0 .calendar-cancel a").click()
    browser.find_element(By.NAME, "_save").click()  # form-action 'self' lets the admin's forms post
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".messagelist .success"))
    task.refresh_from_db()
    assert task.crontab == weekly


def test_allauth_pages_under_the_policy(browser, live_server):
    browser.delete_all_cookies()
    for name in ("account_login", "account_signup", "account_reset_password"):
        browser.get(live_server.url + reverse(name))
        assert browser.find_element(By.CSS_SELECTOR, "main form")
