"""What a person does: sign in, verify a number, find the counterparty in the CRM."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.factories import PASSWORD, CompanyFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_email(browser, live_server, owner):
    browser.delete_all_cookies()
    browser.get(live_server.url + "/crm/")
    browser.find_element(By.NAME, "login").send_keys(owner.user.email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_to_be(live_server.url + "/crm/"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Counterparties"


def test_verify_a_number_and_find_it_in_the_crm(signed_in_browser, live_server, owner, vies_settings):
    CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V", name="Requester Ltd")
    browser = signed_in_browser
    browser.get(live_server.url + "/verify/")
    assert browser.find_element(By.NAME, "requester_vat_number").get_attribute("value") == "IE6388047V"
    browser.find_element(By.NAME, "vat_number").send_keys("atu 7294 3648")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("/crm/counterparty/"))

    assert "Alpenblick Holzbau GmbH" in browser.find_element(By.TAG_NAME, "main").text
    assert "consultation number" in browser.page_source

    browser.get(live_server.url + "/crm/")
    row = browser.find_element(By.XPATH, "//tr[contains(., 'ATU72943648')]")
    assert "Valid" in row.text
