"""Idempotency keys, rate limits, problem answers, and keys kept out of the logs."""

from __future__ import annotations

import logging

import pytest
from rest_framework.test import APIClient

from api.models import IdempotentRequest
from crm.models import Counterparty
from ops.logs import JsonFormatter, PlainFormatter

CREATE = "/api/v1/counterparties/"


def test_the_same_key_and_body_replay_the_first_answer(api):
    first = api.client.post(CREATE, {"vat_number": "NL123456789B01"}, HTTP_IDEMPOTENCY_KEY="order-1")
    again = api.client.post(CREATE, {"vat_number": "NL123456789B01"}, HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Counterparty.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(api):
    api.client.post(CREATE, {"vat_number": "NL123456789B01"}, HTTP_IDEMPOTENCY_KEY="order-1")
    other = api.client.post(CREATE, {"vat_number": "NL999999999B01"}, HTTP_IDEMPOTENCY_KEY="order-1")
    assert other.status_code == 422 and other.json()["type"] == "urn:vatcrm:problem:idempotency_key_reused"
    assert Counterparty.objects.count() == 1


def test_a_key_still_being_answered_is_a_409(api):
    IdempotentRequest.objects.create(workspace=api.workspace, key="order-1", fingerprint="x" * 64)
    response = api.client.post(CREATE, {"vat_number": "NL123456789B01"}, HTTP_IDEMPOTENCY_KEY="order-1")
    assert response.status_code in {409, 422}
    assert not Counterparty.objects.exists()


def test_an_error_releases_the_key(api):
    refused = api.client.post(CREATE, {"vat_number": "XX1"}, HTTP_IDEMPOTENCY_KEY="order-1")
    assert refused.status_code == 400
    corrected = api.client.post(CREATE, {"vat_number": "NL123456789B01"}, HTTP_IDEMPOTENCY_KEY="order-1")
    assert corrected.status_code == 201


def test_keys_are_per_workspace(api, outsider_api):
    api.client.post(CREATE, {"vat_number": "NL123456789B01"}, HTTP_IDEMPOTENCY_KEY="order-1")
    theirs = outsider_api.client.post(CREATE, {"vat_number": "NL123456789B01"}, HTTP_IDEMPOTENCY_KEY="order-1")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Counterparty.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "a\x00b", "tab\there"])
def test_an_unusable_idempotency_key_is_a_400(api, key):
    response = api.client.post(CREATE, {"vat_number": "NL123456789B01"}, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400 and not Counterparty.objects.exists()


def test_over_the_rate_limit_is_a_429_with_retry_after(api, settings):
    settings.API_RATE_LIMIT = "3/minute"
    answers = [api.client.get(CREATE).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    response = api.client.get(CREATE)
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0 and response.json()["type"] == "urn:vatcrm:problem:rate_limited"


def test_limits_are_per_key(api, read_api, settings):
    settings.API_RATE_LIMIT = "1/minute"
    assert api.client.get(CREATE).status_code == 200
    assert read_api.client.get(CREATE).status_code == 200
    assert api.client.get(CREATE).status_code == 429


def test_an_unknown_route_and_method_are_problems(api):
    response = api.client.delete(CREATE)
    assert response.status_code == 405 and response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:vatcrm:problem:method_not_allowed"


def test_a_body_that_is_not_json_is_a_400_problem(api):
    response = api.client.post(CREATE, data=b"{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["type"] == "urn:vatcrm:problem:parse_error"
    response = api.client.post(CREATE, data=b"vat_number=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


@pytest.mark.parametrize("formatter", [PlainFormatter(), JsonFormatter()])
def test_keys_never_reach_the_logs(api, formatter, caplog):
    """Whatever logs a key (a header, a URL with one pasted in), the formatters mask it."""
    client = APIClient()
    with caplog.at_level(logging.INFO):
        client.get(f"{CREATE}?key={api.plaintext}", HTTP_AUTHORIZATION=f"Api-Key {api.plaintext}x")
        logging.getLogger("vatcrm").warning("Authorization: Bearer %s / Api-Key %s", api.plaintext, api.plaintext)
    lines = [formatter.format(record) for record in caplog.records]
    assert lines and not any(api.plaintext in line or api.plaintext[12:] in line for line in lines)
