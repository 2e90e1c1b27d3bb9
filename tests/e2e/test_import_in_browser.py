"""What a person does to bring a book in: upload a file, read the preview, confirm, watch the progress, get the report.

The file is read and the new counterparties verified by a real Celery worker against the simulator (slowed
down a little), so the page's figures move while the browser watches; the page polls its JSON endpoint from
static/js/imports.js.
"""

from __future__ import annotations

import csv
import io

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.factories import CompanyFactory
from tests.imports.factories import csv_bytes
from tests.monitoring.conftest import belgian_vat

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
COUNT = 12


def test_upload_preview_confirm_progress_and_report(
    signed_in_browser, live_server, owner, vies_settings, celery_worker_live, settings, tmp_path
):
    settings.IMPORT_VERIFY_CHUNK_SIZE = 3
    vies_settings.set_latency(150)
    CompanyFactory(workspace=owner.workspace)
    for n in range(COUNT):
        vies_settings.registry.add(belgian_vat(n), f"Supplier {n} NV", "Rue du Commerce 1\n1000 Bruxelles")
    book = tmp_path / "book.csv"
    rows = [[belgian_vat(n), f"Supplier {n}", "", "", f"ERP-{n}", "supplier", ""] for n in range(COUNT)]
    book.write_bytes(csv_bytes([*rows, ["DE12345", "Too short", "", "", "", "", ""]], delimiter=";"))
    browser = signed_in_browser

    browser.get(live_server.url + "/imports/")
    browser.find_element(By.NAME, "file").send_keys(str(book))
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_matches(r"/imports/\d+/$"))
    # The upload answered at once; the worker reads the file and the page turns into the preview by itself.
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[data-count]")))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Preview: nothing is saved yet" in main
    assert "DE numbers are 9 digits" in main
    assert browser.find_element(By.CSS_SELECTOR, "[data-count=new]").text == str(COUNT)

    browser.find_element(By.XPATH, f"//button[normalize-space()='Import {COUNT} rows']").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[data-import-progress]"))
    )
    section = browser.find_element(By.CSS_SELECTOR, "[data-import-progress]")
    WebDriverWait(browser, 60).until(lambda _: section.get_attribute("data-finished") == "true")
    assert section.find_element(By.CSS_SELECTOR, "[data-field=valid]").text == str(COUNT)
    assert section.find_element(By.CSS_SELECTOR, "[data-field=left]").text == "0"
    assert section.find_element(By.CSS_SELECTOR, "[data-field=state]").text == "Finished."

    link = section.find_element(By.LINK_TEXT, "CSV").get_attribute("href")
    report = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then((r) => r.text()).then(done);",
        link,
    )
    header, *lines = csv.reader(io.StringIO(report.lstrip("\ufeff")))
    assert len(lines) == COUNT + 1  # every row of the file
    verification, consultation = header.index("Verification"), header.index("Consultation number")
    assert all(line[verification] == "Valid" and line[consultation] for line in lines[:COUNT])
    assert lines[-1][header.index("Outcome")] == "Refused"
