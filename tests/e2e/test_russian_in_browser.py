"""A person switches the interface to Russian, verifies a number and reads the result in Russian."""

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from accounts.language import language_of
from tests.factories import CompanyFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_switch_to_russian_verify_a_number_and_read_the_result(signed_in_browser, live_server, owner, vies_settings):
    CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V", name="Requester Ltd")
    browser = signed_in_browser
    browser.get(live_server.url + "/verify/")
    assert browser.find_element(By.TAG_NAME, "html").get_dom_attribute("lang") == "en-gb"

    browser.find_element(By.CSS_SELECTOR, "form.language-switch button[value=ru]").click()
    # The old page's <html> goes stale while the new one loads: read again, do not fail.
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda page: page.find_element(By.TAG_NAME, "html").get_dom_attribute("lang") == "ru"
    )
    assert browser.current_url == live_server.url + "/verify/"  # back where the switch was pressed
    assert "Проверить" in browser.find_element(By.CSS_SELECTOR, "header nav").text
    assert language_of(owner.user) == "ru"

    browser.find_element(By.NAME, "vat_number").send_keys("atu 7294 3648")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("/crm/counterparty/"))

    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Alpenblick Holzbau GmbH" in main
    assert "Действителен" in main
    assert "Реквизиты" in main and "Номер НДС" in main and "Проверки" in main

    browser.get(live_server.url + "/crm/")
    row = browser.find_element(By.XPATH, "//tr[contains(., 'ATU72943648')]")
    assert "Действителен" in row.text
