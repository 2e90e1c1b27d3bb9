"""allauth's per-client login limits behind the reverse proxy: one client's bad logins lock out only that client.

Every request here comes from the proxy's address (REMOTE_ADDR); clients differ only in what the proxy tells.
"""

import pytest
from allauth.account.adapter import get_adapter
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.2"
LIMIT = 10  # ACCOUNT_RATE_LIMITS["login_failed"]: 10 a minute per client address
LOCKED = b"Too many failed login attempts"


def _login(client, email: str, password: str, **headers: str):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=PROXY, **headers)


def _fail_logins(client, headers_of_attempt) -> None:
    """LIMIT failed logins, each for another address, so that only the per-client limit is reached."""
    for attempt in range(LIMIT):
        response = _login(client, f"nobody{attempt}@example.com", "wrong", **headers_of_attempt(attempt))
        assert LOCKED not in response.content


@pytest.fixture
def user(db):
    return UserFactory()


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(client, user, settings):
    """A client cannot dodge the limit by sending another X-Forwarded-For each time (REMOTE_ADDR counts)."""
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0  # the default
    _fail_logins(client, lambda attempt: {"HTTP_X_FORWARDED_FOR": f"203.0.113.{attempt}"})
    assert LOCKED in _login(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.200").content


def test_behind_a_trusted_proxy_two_clients_have_separate_limits(client, user, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    _fail_logins(client, lambda attempt: {"HTTP_X_FORWARDED_FOR": "198.51.100.7"})
    assert LOCKED in _login(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").content
    other_client = _login(client.__class__(), user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other_client.status_code == 302  # signed in


def test_the_address_taken_is_the_one_the_proxy_appended(client, user, settings, rf):
    """The proxy appends the address it saw; whatever the client put before it is not the client's address."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7")
    assert get_adapter(request).get_client_ip(request) == "198.51.100.7"
    _fail_logins(client, lambda attempt: {"HTTP_X_FORWARDED_FOR": f"203.0.113.{attempt}, 198.51.100.7"})
    assert LOCKED in _login(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7").content


def test_a_proxy_s_own_client_ip_header_can_be_trusted_instead(client, user, settings):
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    _fail_logins(
        client, lambda attempt: {"HTTP_X_REAL_IP": "198.51.100.7", "HTTP_X_FORWARDED_FOR": f"203.0.113.{attempt}"}
    )
    assert LOCKED in _login(client, user.email, PASSWORD, HTTP_X_REAL_IP="198.51.100.7").content
    assert _login(client.__class__(), user.email, PASSWORD, HTTP_X_REAL_IP="198.51.100.8").status_code == 302
