"""The API's documentation page in a real browser: Swagger UI, from our own static files, renders every
operation of the OpenAPI description under the enforced Content-Security-Policy, loads nothing from
another origin, and logs no error."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from selenium.webdriver.support.wait import WebDriverWait

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

METHODS = {"get", "put", "post", "patch", "delete"}
RENDERED = """
return Array.from(document.querySelectorAll('#swagger-ui .opblock')).map(block => [
  block.querySelector('.opblock-summary-method').textContent.trim().toLowerCase(),
  block.querySelector('.opblock-summary-path').dataset.path,
]);
"""
OTHER_ORIGINS = """
return performance.getEntriesByType('resource').map(entry => entry.name)
  .filter(name => !name.startsWith(window.location.origin + '/') && !name.startsWith('data:'));
"""


def _described() -> set[tuple[str, str]]:
    schema = Client().get(reverse("api:schema"), {"format": "json"}).json()
    return {(method, path) for path, item in schema["paths"].items() for method in item if method in METHODS}


def test_the_docs_page_renders_every_operation_under_the_policy(browser, live_server):
    assert settings.SECURE_CSP and not settings.SECURE_CSP_REPORT_ONLY, "the production policy, enforced"
    page = Client().get(reverse("api:docs"))
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "img-src 'self' data:" in policy, "Swagger UI's icons are data: images"

    described = _described()
    assert ("post", "/api/v1/verify/") in described and len(described) > 10
    browser.get(live_server.url + reverse("api:docs"))
    WebDriverWait(browser, 30).until(lambda driver: len(driver.execute_script(RENDERED)) >= len(described))
    assert {tuple(operation) for operation in browser.execute_script(RENDERED)} == described
    assert "vatcrm API" in browser.find_element("css selector", "#swagger-ui .info .title").text

    assert browser.execute_script(OTHER_ORIGINS) == [], "no CDN, no third party"
    # On any host but localhost Swagger UI would fetch a badge from validator.swagger.io: switched off.
    assert browser.execute_script("return window.ui.getConfigs().validatorUrl") is None
    logged = browser.get_log("browser")
    errors = [entry["message"] for entry in logged if entry["level"] == "SEVERE"]
    violations = [entry["message"] for entry in logged if "Content Security Policy" in entry["message"]]
    assert not violations and not errors, "\n".join(violations + errors)
