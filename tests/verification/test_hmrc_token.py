"""HMRC's OAuth token against a scripted loopback fake: refused credentials, an unavailable token
endpoint and the cache lifetime, none of which may ever call a number invalid."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from tests.verification.fakes import FakeVies
from verification import hmrc, registry_http
from verification.verdicts import Status

TOKEN = json.dumps({"access_token": "t0k3n", "token_type": "bearer", "expires_in": 14400, "scope": "read:vat"})


@pytest.fixture
def fake() -> FakeVies:
    fake = FakeVies().start()
    yield fake
    fake.stop()


@pytest.fixture
def client(fake: FakeVies) -> hmrc.HmrcClient:
    config = hmrc.HmrcConfig(
        api_url=fake.base_url,
        client_id="id",
        client_secret="secret",
        timeouts=registry_http.Timeouts(connect=1.0, read=1.0),
    )
    cache.delete(config.token_cache_key)
    yield hmrc.HmrcClient(config)
    cache.delete(config.token_cache_key)


def test_refused_credentials_are_our_problem_not_the_numbers(fake: FakeVies, client: hmrc.HmrcClient) -> None:
    fake.reply_once('{"error":"invalid_client","error_description":"invalid client id or secret"}', status=401)
    result = client.lookup("844573897")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "REGISTRY_AUTH_FAILED")
    assert "invalid_client" in result.raw_response and "secret" not in result.raw_request
    body = fake.posts[0].body.decode()
    assert "grant_type=client_credentials" in body and "scope=read%3Avat" in body


def test_an_unavailable_token_endpoint_is_an_outage(fake: FakeVies, client: hmrc.HmrcClient) -> None:
    fake.reply_once("<html>maintenance</html>", status=503, content_type="text/html")
    result = client.lookup("844573897")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "HTTP_503")


def test_the_token_is_cached_for_every_lookup(fake: FakeVies, client: hmrc.HmrcClient) -> None:
    fake.reply_once(TOKEN)
    assert client._token() == client._token() == "t0k3n"
    assert len(fake.posts) == 1


def test_a_token_without_a_lifetime_is_used_once_and_not_cached(fake: FakeVies, client: hmrc.HmrcClient) -> None:
    fake.reply('{"access_token": "once", "token_type": "bearer"}')
    assert client._token() == client._token() == "once"
    assert len(fake.posts) == 2


def test_a_404_without_hmrcs_not_found_is_no_verdict(fake: FakeVies, client: hmrc.HmrcClient) -> None:
    fake.reply(TOKEN)  # the fake answers every POST with a token and every GET with a plain 404
    result = client.lookup("844573897")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "HTTP_404")
