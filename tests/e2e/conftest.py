"""A headless Chromium driven by Selenium against pytest-django's live server.

The browser is Debian's chromium with its chromedriver. Where it is missing, these tests skip, except
under .ci/run (VATCRM_TEST_REQUIRE_BROWSER=1), which installs it and fails if it cannot start.

Every test that uses the browser also fails if a page broke the Content-Security-Policy: Chromium logs
each violation (blocked or, in report-only mode, reported) to the console, which `browser` reads after
the test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def chromium() -> Iterator[webdriver.Chrome]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        message = "needs Debian's chromium and chromium-driver"
        pytest.fail(message) if os.environ.get("VATCRM_TEST_REQUIRE_BROWSER") == "1" else pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # No network but loopback here: keep Chromium from reaching out at start.
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium) -> Iterator[webdriver.Chrome]:
    """The session's browser, for one test that fails on any CSP violation the browser logs meanwhile."""
    chromium.get_log("browser")  # what earlier tests left in the log is theirs
    yield chromium
    violations = [
        entry["message"] for entry in chromium.get_log("browser") if "Content Security Policy" in entry["message"]
    ]
    assert not violations, "the browser logged Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def signed_in_browser(browser, live_server, owner) -> webdriver.Chrome:
    """The browser with the owner's session cookie (signing in through the form is tested elsewhere)."""
    browser.delete_all_cookies()
    browser.get(live_server.url + "/healthz")
    browser.add_cookie(
        {"name": settings.SESSION_COOKIE_NAME, "value": owner.client.cookies[settings.SESSION_COOKIE_NAME].value}
    )
    return browser


AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core, installed from npm by `make test` (package-lock.json); injected by the tests, never served."""
    if not AXE.exists():
        message = "needs axe-core: run `npm ci` (make test does)"
        pytest.fail(message) if os.environ.get("VATCRM_TEST_REQUIRE_BROWSER") == "1" else pytest.skip(message)
    return AXE.read_text()


def accessibility_violations(driver: webdriver.Chrome, source: str) -> list[str]:
    """What axe-core finds on the page the driver shows (WCAG 2.1 A and AA rules), one line per violation."""
    driver.execute_script(source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then((r) => done(r.violations.map((v) => v.id + ': ' + v.help + ' at '"
        " + v.nodes.map((n) => n.target.join(' ')).join(', '))))"
        ".catch((e) => done(['axe failed: ' + e]));"
    )
    return list(result)
