"""The monitoring card switches in place: no page reload, the badge and the button follow."""

import pytest
from django.urls import reverse
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from crm.models import Counterparty
from tests.factories import CounterpartyFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _wait(browser):
    # The card is replaced while we look at it: an element found a moment ago may be gone; look again.
    return WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,))


def test_turning_monitoring_on_and_off_updates_the_card_without_a_reload(signed_in_browser, live_server, owner):
    counterparty = CounterpartyFactory(workspace=owner.workspace, status="valid")
    browser = signed_in_browser
    browser.get(live_server.url + reverse("crm:counterparty_detail", args=[counterparty.pk]))
    browser.execute_script("window.notReloaded = true;")

    def badge_state(driver):
        return driver.find_element(By.CSS_SELECTOR, "#monitoring-card h2 .badge").get_attribute("data-state")

    assert badge_state(browser) == "off"
    browser.find_element(By.CSS_SELECTOR, "#monitoring-card form[data-monitoring-form] button").click()
    _wait(browser).until(lambda driver: badge_state(driver) == "on")
    counterparty.refresh_from_db()
    assert counterparty.monitoring == "daily" and counterparty.next_check_due_at is not None

    _wait(browser).until(
        lambda driver: (
            driver.find_element(By.XPATH, "//button[normalize-space()='Turn monitoring off']").click() or True
        )
    )
    _wait(browser).until(lambda driver: badge_state(driver) == "off")
    assert browser.execute_script("return window.notReloaded === true;")  # the page itself never reloaded
    assert Counterparty.objects.get(pk=counterparty.pk).monitoring == "off"
