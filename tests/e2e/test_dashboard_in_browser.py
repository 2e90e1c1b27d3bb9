"""The dashboard, acknowledging an alert and downloading the proof of a check, in Chromium."""

from __future__ import annotations

import io
import time

import pytest
from django.urls import reverse
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from crm.models import Alert, CheckStatus
from tests.factories import AlertFactory, CheckResultFactory, CounterpartyFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_shows_its_figures_and_charts(signed_in_browser, live_server, owner):
    CounterpartyFactory.create_batch(2, workspace=owner.workspace, status=CheckStatus.VALID, monitoring="daily")
    result = CheckResultFactory(check_run__counterparty__workspace=owner.workspace, country_code="NL")
    AlertFactory(check_run=result.check_run)
    browser = signed_in_browser

    browser.get(live_server.url + "/")

    assert browser.find_element(By.CSS_SELECTOR, '[data-figure="open-alerts"]').text == "1"
    assert browser.find_element(By.CSS_SELECTOR, "[data-open-alerts]").text == "1 open"
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 4
    for chart in charts:
        # Drawn at a real size, with its words: the legend's labels are text, not colour alone.
        assert chart.size["width"] > 200 and chart.size["height"] > 100
        assert chart.find_elements(By.CSS_SELECTOR, ".legends text")
    bar = browser.find_element(By.CSS_SELECTOR, "#chart-checks svg .series.serie-0")
    assert bar.get_attribute("fill") == "url(#chart-checks-0)"
    # The table of figures opens without a script.
    browser.find_element(By.CSS_SELECTOR, "#chart-registries details summary").click()
    assert browser.find_element(By.CSS_SELECTOR, '[data-availability="NL"]').is_displayed()


def test_acknowledging_an_alert_with_a_comment(signed_in_browser, live_server, owner):
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    other = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    browser = signed_in_browser

    browser.get(live_server.url + reverse("dashboard:alert_detail", args=[alert.pk]))
    browser.find_element(By.ID, "id_comment").send_keys("Customer confirmed its new number by phone.")
    browser.find_element(By.CSS_SELECTOR, "#acknowledgement button[type=submit]").click()

    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "[data-acknowledged-by]"))
    assert browser.find_element(By.CSS_SELECTOR, "[data-acknowledged-by]").text == owner.user.email
    alert.refresh_from_db()
    assert alert.acknowledged_by == owner.user
    assert alert.acknowledgement_comment == "Customer confirmed its new number by phone."
    assert browser.find_element(By.CSS_SELECTOR, "[data-open-alerts]").text == "1 open"

    # The rest in bulk from the inbox: tick all, acknowledge.
    browser.get(live_server.url + reverse("dashboard:alert_list") + "?state=open")
    browser.find_element(By.CSS_SELECTOR, "input[data-tick-all]").click()
    browser.find_element(By.CSS_SELECTOR, "#bulk-acknowledge button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda driver: not driver.find_elements(By.CSS_SELECTOR, "[data-open-alerts]"))
    assert Alert.objects.get(pk=other.pk).acknowledged_by == owner.user


def test_downloading_the_proof_of_a_check_as_pdf(signed_in_browser, live_server, owner, tmp_path):
    result = CheckResultFactory(
        check_run__counterparty__workspace=owner.workspace,
        check_run__consultation_number="WAPIAAAAW9z8y7x6",
        consultation_number="WAPIAAAAW9z8y7x6",
        raw_response="<env:Envelope>proof</env:Envelope>",
    )
    browser = signed_in_browser
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})

    browser.get(live_server.url + reverse("dashboard:check_proof", args=[result.check_run_id]))
    assert "WAPIAAAAW9z8y7x6" in browser.find_element(By.CSS_SELECTOR, '[data-proof="consultation"]').text
    browser.find_element(By.CSS_SELECTOR, "a[download]").click()

    deadline = time.monotonic() + 15
    while not (done := [path for path in tmp_path.glob("*.pdf")]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done, "no PDF was downloaded"
    content = done[0].read_bytes()
    assert content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "WAPIAAAAW9z8y7x6" in text
