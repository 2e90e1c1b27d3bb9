"""Every page runs under a strict Content-Security-Policy and holds nothing it would block; no response
Django renders may be kept by a shared cache, while the public static assets keep their long cache life.

The sweep walks the URL configuration for the project's own pages (a new page with an argument that no
builder below covers fails `test_every_page_of_the_project_is_swept`), then the admin (every model's
changelist, add and change form, the login) and every allauth page, signed in and out.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.contrib import admin
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings
from django.urls import get_resolver, reverse

from monitoring.models import MonitoringRun, Recheck
from tests.api.isolation import API_OBJECT_URLS
from tests.crm.test_tenant_isolation import OBJECT_URLS, walk_urlconf
from tests.factories import (
    AlertFactory,
    CheckResultFactory,
    CounterpartyFactory,
    InvitationFactory,
    MembershipFactory,
    UserFactory,
    WorkspaceFactory,
)
from tests.notifications.factories import ChatChannelFactory, DeliveryFactory, NotificationPreferenceFactory

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "vatcrm" / "settings.py"
REQUIRED = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# Sources that would let injected markup run, or load from anywhere.
UNSAFE = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "blob:", "http:", "https:"}
# Where one directive may name one of those, and why: Swagger UI draws its icons as data: SVG images (an
# image runs no code; script-src, style-src and the rest stay as strict as everywhere else).
ALLOWED_EXCEPTIONS = {"/api/v1/docs/": {"img-src": {"data:"}}}
# <script type=...> that browsers do not run: data blocks (json_script, allauth's settings) are allowed.
DATA_BLOCK_TYPES = {"application/json", "application/ld+json"}
# Project URLs whose argument is not a workspace object (OBJECT_URLS builds those): how to build it.
OTHER_ARGUMENTS: dict[str, Callable] = {
    "crm:invitation_accept": lambda ws: {"token": InvitationFactory(workspace=ws).token},
}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


class InlineCode(HTMLParser):
    """What a strict policy refuses: inline <script> and <style>, style="" and on*="" attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        inline_script = tag == "script" and "src" not in named and named.get("type") not in DATA_BLOCK_TYPES
        attribute = any(name == "style" or name.startswith("on") for name in named)
        script_url = any((value or "").strip().lower().startswith("javascript:") for value in named.values())
        if tag == "style" or inline_script or attribute or script_url:
            self.found.append(self.get_starttag_text())


def problems(response, where: str) -> list[str]:
    """Everything wrong with one response's headers and body, each line naming the page."""
    found = []
    policy = directives(response.get("Content-Security-Policy", ""))
    if not policy:
        found.append(f"{where}: no Content-Security-Policy header")
    for name, values in REQUIRED.items():
        if policy and policy.get(name) != values:
            found.append(f"{where}: {name} is {policy.get(name)}, not {values}")
    request = getattr(response, "wsgi_request", None)
    allowed = ALLOWED_EXCEPTIONS.get(request.path if request else "", {})
    sources = {value for name, values in policy.items() for value in values if value not in allowed.get(name, ())}
    if unsafe := UNSAFE.intersection(sources):
        found.append(f"{where}: the policy allows {sorted(unsafe)}")
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    if not {"private", "no-store"} <= cache_control:
        found.append(f"{where}: Cache-Control is {response.get('Cache-Control')!r}")
    if response.get("Content-Type", "").startswith("text/html"):
        parser = InlineCode()
        parser.feed(response.content.decode())
        found += [f"{where}: inline code {tag}" for tag in parser.found]
    return found


def project_urls(workspace) -> Iterator[tuple[str, str]]:
    """(name, url) of every named project URL: the admin and allauth are swept by their own tests."""
    for name, pattern in walk_urlconf(get_resolver()):
        if name.startswith(("admin:", "account_")):
            continue
        if not pattern.pattern.converters and not pattern.pattern.regex.groups:
            yield name, reverse(name)
        elif builder := ({**OBJECT_URLS, **API_OBJECT_URLS}.get(name, (None, None))[1] or OTHER_ARGUMENTS.get(name)):
            yield name, reverse(name, kwargs=builder(workspace))
        else:
            yield name, ""


@pytest.fixture
def busy_owner(owner):
    """The owner of a workspace where every page has something to show, with a second workspace to switch to."""
    workspace = owner.workspace
    counterparty = CounterpartyFactory(workspace=workspace, status="valid", monitoring="daily")
    check = CheckResultFactory(check_run__counterparty=counterparty).check_run
    alert = AlertFactory(check_run=check)
    DeliveryFactory(alert=alert, recipient=owner.user, status="failed")
    ChatChannelFactory(workspace=workspace)
    NotificationPreferenceFactory(workspace=workspace, user=owner.user)
    InvitationFactory(workspace=workspace)
    run = MonitoringRun.objects.create()
    Recheck.objects.create(run=run, counterparty=counterparty, workspace=workspace)
    MembershipFactory(user=owner.user, workspace=WorkspaceFactory(name="Second Ltd"))
    return owner


def test_every_page_of_the_project_is_swept(busy_owner):
    found = []
    for name, url in project_urls(busy_owner.workspace):
        if not url:
            found.append(f"{name}: no way to build its arguments; add it to OTHER_ARGUMENTS")
            continue
        found += problems(busy_owner.client.get(url), f"GET {url} ({name})")
    assert not found, "\n".join(found)


def test_pages_rendered_after_a_post_are_clean_too(busy_owner):
    """A form with errors, and the monitoring card that the page swaps in after a fetch."""
    client = busy_owner.client
    counterparty = CounterpartyFactory(workspace=busy_owner.workspace)
    card_url = reverse("monitoring:counterparty_monitoring", args=[counterparty.pk])
    responses = {
        "verify, invalid": client.post(reverse("crm:verify"), {"vat_number": "not a number"}),
        "verify, JSON": client.post(reverse("crm:verify"), {"vat_number": ""}, headers={"accept": "application/json"}),
        "monitoring card": client.post(card_url, {"monitoring": "daily"}, headers={"x-requested-with": "fetch"}),
        "channel form, invalid": client.post(reverse("notifications:channel_add"), {"kind": "slack"}),
    }
    found = [line for where, response in responses.items() for line in problems(response, where)]
    assert not found, "\n".join(found)
    assert b"data-monitoring-card" in responses["monitoring card"].content


def test_the_admin_is_swept(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    AlertFactory(check_run=CheckResultFactory().check_run)
    DeliveryFactory(status="failed")
    ChatChannelFactory()
    InvitationFactory()
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        if instance := model._default_manager.first():
            urls.append(reverse(f"{prefix}_change", args=[instance.pk]))
    # django-celery-beat's form ends in an inline script, which templates/admin/djcelery/ replaces.
    assert any("/periodictask/" in url and url.endswith("/change/") for url in urls)
    found = []
    for url in urls:
        response = client.get(url)
        assert response.status_code in {200, 403}, url
        found += problems(response, f"GET {url}")
    login = Client().get(reverse("admin:login"), follow=True)
    assert login.redirect_chain and login.status_code == 200
    found += problems(login, "admin login (allauth's)")
    assert not found, "\n".join(found)


def test_allauth_pages_are_swept(owner, db):
    """Every allauth page, anonymous and signed in, with real keys so that the forms behind them render."""
    unconfirmed = EmailAddress.objects.create(user=owner.user, email="second@example.com", verified=False)
    keys = {
        "account_confirm_email": {"key": EmailConfirmationHMAC(unconfirmed).key},
        "account_reset_password_from_key": {
            "uidb36": user_pk_to_url_str(owner.user),
            "key": default_token_generator.make_token(owner.user),
        },
    }
    found = []
    for name, _pattern in walk_urlconf(get_resolver()):
        if not name.startswith("account_") or name == "account_logout":
            continue
        url = reverse(name, kwargs=keys.get(name))
        for who, client in (("anonymous", Client()), ("signed in", owner.client)):
            response = client.get(url, follow=True)
            assert response.status_code == 200, f"{who} GET {url}"
            found += problems(response, f"{who} GET {url} ({name})")
    found += problems(owner.client.get(reverse("account_logout")), "the sign-out page")
    assert not found, "\n".join(found)


def test_static_assets_keep_their_long_public_cache_headers(tmp_path, db, settings):
    """WhiteNoise answers before the private-cache middleware: hashed assets stay public and immutable."""
    manifest = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES={**settings.STORAGES, "staticfiles": manifest}):
        call_command("collectstatic", interactive=False, verbosity=0)
        response = Client().get(static("js/app.js"))
        page = Client().get(reverse("account_login"))
    assert response.status_code == 200
    assert {"public", "immutable"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert "private" not in response["Cache-Control"] and "no-store" not in response["Cache-Control"]
    assert "no-store" in page["Cache-Control"]


@pytest.mark.parametrize(
    ("environment", "enforced", "reported"),
    [
        ({}, True, False),
        ({"CSP_REPORT_ONLY": "1"}, False, True),
    ],
)
def test_report_only_mode_sends_the_same_policy_without_enforcing_it(
    monkeypatch, client, db, environment, enforced, reported
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CSP_REPORT_URI", "https://reports.example.com/csp")
    loaded = runpy.run_path(str(SETTINGS_FILE))
    with override_settings(SECURE_CSP=loaded["SECURE_CSP"], SECURE_CSP_REPORT_ONLY=loaded["SECURE_CSP_REPORT_ONLY"]):
        response = client.get(reverse("account_login"))
    assert ("Content-Security-Policy" in response) is enforced
    assert ("Content-Security-Policy-Report-Only" in response) is reported
    header = response.get("Content-Security-Policy") or response["Content-Security-Policy-Report-Only"]
    policy = directives(header)
    assert {name: policy[name] for name in REQUIRED} == REQUIRED
    assert policy["report-uri"] == ["https://reports.example.com/csp"]
