"""Every error under /api/ is application/problem+json, also where no DRF view answers: an unknown path, a
missing slash, a method a plain view refuses, a crash, a URL or host refused before any view."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.views.alerts import AlertViewSet
from api.views.docs import ApiDocsView

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM, response["Content-Type"]
    body = response.json()
    assert body["type"] == f"urn:vatcrm:problem:{kind}" and body["status"] == status
    assert body["title"] and body["detail"]
    assert "<" not in response.content.decode(), "no HTML inside"
    # What the middlewares outside it add still reaches the client.
    assert "no-store" in response["Cache-Control"] and "Content-Security-Policy" in response
    return body


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/counterparties/1/nothing/", "/api/", "/api/v2/x/"])
def test_an_unknown_path_is_a_404_problem_with_a_key_or_without(api, path):
    assert_problem(api.client.get(path), 404, "not_found")
    assert_problem(Client().post(path, data="{}", content_type="application/json"), 404, "not_found")


def test_a_missing_slash_is_a_404_problem_that_names_the_path_not_a_redirect(api):
    for response in (
        api.client.get("/api/v1/alerts"),
        api.client.post("/api/v1/verify", {"vat_number": "ATU72943648"}, format="json"),
    ):
        body = assert_problem(response, 404, "not_found")
        assert body["detail"].endswith(response.wsgi_request.path + "/")
    # The site's pages still get their slash added.
    assert Client().get(reverse("crm:counterparty_list").rstrip("/")).status_code == 301


def test_the_docs_page_answers_another_method_with_a_405_problem():
    for method in ("post", "put", "delete"):
        response = getattr(Client(), method)(reverse("api:docs"))
        body = assert_problem(response, 405, "method_not_allowed")
        assert method.upper() in body["detail"]
        assert "GET" in response["Allow"]
    assert Client().get(reverse("api:docs"))["Content-Type"].startswith("text/html")


def test_a_crash_in_an_api_view_or_a_plain_view_is_a_500_problem_and_is_logged(api, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(AlertViewSet, "list", boom)
    monkeypatch.setattr(ApiDocsView, "get", boom)
    crashing = APIClient(raise_request_exception=False)
    crashing.credentials(HTTP_AUTHORIZATION=f"Bearer {api.plaintext}")
    with caplog.at_level(logging.ERROR, logger="django.request"):
        for response in (crashing.get(reverse("api:alert-list")), crashing.get(reverse("api:docs"))):
            body = assert_problem(response, 500, "server_error")
            assert "secret internals" not in body["detail"]
    assert sum("secret internals" in str(record.exc_info) for record in caplog.records) == 2


def test_a_url_or_host_refused_before_any_view_is_a_400_problem(api):
    body = assert_problem(api.client.get("/api/v1/alerts/", {"kind": "a\x00b"}), 400, "bad_request")
    assert "NUL" in body["detail"], "crm's own reason is kept"
    assert_problem(api.client.get("/api/v1/alerts/", HTTP_HOST="evil.example"), 400, "bad_request")


def test_outside_the_api_errors_stay_pages():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    response = Client().get("/crm/", {"q": "a\x00b"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
