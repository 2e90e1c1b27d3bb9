"""Phone width and accessibility: the pages at 360 px (the menu folds, nothing runs off the screen), checked
with the axe-core engine; and the emails (alert, digest, invitation, incomplete run, allauth's account
emails), rendered in the browser as a mail client would show them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By

from crm.models import Alert, AlertKind, Role, Severity
from crm.services.workspaces import invitation_email_send
from dashboard.services import alerts_acknowledge
from monitoring.models import MonitoringRun, Recheck, RecheckOutcome
from monitoring.services import run_owners_tell
from notifications.models import DeliveryMode
from notifications.services import deliveries_for_alerts, deliveries_send, digests_send
from tests.factories import (
    AlertFactory,
    CheckResultFactory,
    CounterpartyFactory,
    InvitationFactory,
    UserFactory,
    VerificationCheckFactory,
)
from tests.notifications.factories import NotificationPreferenceFactory

from .conftest import accessibility_violations

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = (360, 780), (1280, 1000)


@pytest.fixture
def phone(signed_in_browser):
    signed_in_browser.set_window_size(*PHONE)
    yield signed_in_browser
    signed_in_browser.set_window_size(*DESKTOP)


def _overflow(driver) -> int:
    """How many pixels the page is wider than the window (0: nothing runs off the screen)."""
    return driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth;")


def test_the_counterparty_list_at_phone_width(phone, live_server, owner, axe_source):
    for n in range(8):
        CounterpartyFactory(workspace=owner.workspace, name=f"Spedition Nordwest Logistik GmbH & Co. KG {n}")
    phone.get(live_server.url + reverse("crm:counterparty_list"))
    assert _overflow(phone) <= 0
    nav = phone.find_element(By.CSS_SELECTOR, "header.top nav")
    assert not nav.is_displayed(), "the menu is folded at phone width"
    phone.find_element(By.CSS_SELECTOR, "label.menu-button").click()
    assert nav.is_displayed() and _overflow(phone) <= 0
    assert accessibility_violations(phone, axe_source) == []


@pytest.mark.parametrize(
    "url_name", ["crm:counterparty_list", "crm:verify", "monitoring:overview", "notifications:index"]
)
def test_pages_pass_the_accessibility_engine(signed_in_browser, live_server, owner, axe_source, url_name):
    CounterpartyFactory(workspace=owner.workspace, status="valid")
    signed_in_browser.get(live_server.url + reverse(url_name))
    assert accessibility_violations(signed_in_browser, axe_source) == []


def _dashboard_rows(owner) -> dict[str, int]:
    """Figures for every chart and table of the dashboard's pages, and the ids their URLs take."""
    workspace = owner.workspace
    CounterpartyFactory.create_batch(2, workspace=workspace, status="valid", monitoring="daily")
    counterparty = CounterpartyFactory(workspace=workspace, name="Bolt Logistics B.V.", status="invalid")
    valid = VerificationCheckFactory(
        counterparty=counterparty, consultation_number="WAPIAAAAY1234567", started_at=timezone.now() - timedelta(1)
    )
    CheckResultFactory(check_run=valid, country_code="NL", consultation_number="WAPIAAAAY1234567")
    invalid = VerificationCheckFactory(counterparty=counterparty, overall_status="invalid")
    CheckResultFactory(check_run=invalid, country_code="NL", status="invalid")
    alert = AlertFactory(
        check_run=invalid, previous_check=valid, kind=AlertKind.VALIDITY_LOST, severity=Severity.CRITICAL
    )
    acknowledged = AlertFactory(check_run=invalid, kind=AlertKind.NAME_CHANGED, severity=Severity.WARNING)
    alerts_acknowledge(workspace=workspace, user=owner.user, alert_ids=[acknowledged.pk], comment="Seen.")
    return {"alert": alert.pk, "check": valid.pk}


DASHBOARD_PAGES = [
    ("dashboard:home", None),
    ("dashboard:alert_list", None),
    ("dashboard:alert_detail", "alert"),
    ("dashboard:check_proof", "check"),
    ("dashboard:audit", None),
]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["360px", "desktop"])
@pytest.mark.parametrize(("url_name", "takes"), DASHBOARD_PAGES)
def test_the_dashboard_pages_at_phone_and_desktop_width(
    signed_in_browser, live_server, owner, axe_source, url_name, takes, size
):
    ids = _dashboard_rows(owner)
    url = reverse(url_name, args=[ids[takes]] if takes else [])
    signed_in_browser.set_window_size(*size)
    try:
        signed_in_browser.get(live_server.url + url)
        assert signed_in_browser.find_element(By.TAG_NAME, "h1").text
        assert _overflow(signed_in_browser) <= 0, f"{url} runs off a {size[0]} px screen"
        assert accessibility_violations(signed_in_browser, axe_source) == []
    finally:
        signed_in_browser.set_window_size(*DESKTOP)


ACCOUNT_PAGES = ["account_login", "account_signup", "account_reset_password", "account_email_verification_sent"]
SIGNED_IN_ACCOUNT_PAGES = ["account_email", "account_change_password", "account_logout"]


@pytest.mark.parametrize("url_name", ACCOUNT_PAGES)
def test_the_account_pages_at_phone_width(browser, live_server, axe_source, db, url_name):
    browser.delete_all_cookies()
    browser.set_window_size(*PHONE)
    try:
        browser.get(live_server.url + reverse(url_name))
        assert browser.find_element(By.CSS_SELECTOR, "header.top")  # the product's layout
        assert _overflow(browser) <= 0
        assert accessibility_violations(browser, axe_source) == []
    finally:
        browser.set_window_size(*DESKTOP)


@pytest.mark.parametrize("url_name", SIGNED_IN_ACCOUNT_PAGES)
def test_the_signed_in_account_pages_at_phone_width(phone, live_server, axe_source, url_name):
    phone.get(live_server.url + reverse(url_name))
    assert phone.find_element(By.CSS_SELECTOR, "nav.account-nav")
    assert _overflow(phone) <= 0
    assert accessibility_violations(phone, axe_source) == []


def test_the_chat_channel_form_passes_the_accessibility_engine(phone, live_server, axe_source):
    phone.get(live_server.url + reverse("notifications:channel_add"))
    assert _overflow(phone) <= 0
    assert accessibility_violations(phone, axe_source) == []


def _reads_well(browser, axe_source: str, html: str, tmp_path, *words: str) -> None:
    """The email's HTML at phone and desktop width: nothing runs off the screen, the words are there, and the
    accessibility engine finds nothing."""
    page = tmp_path / "email.html"
    page.write_text(html, encoding="utf-8")
    try:
        for size in (PHONE, DESKTOP):
            browser.set_window_size(*size)
            browser.get(page.as_uri())
            assert _overflow(browser) <= 0, f"the email runs off a {size[0]} px screen"
            body = browser.find_element(By.TAG_NAME, "body").text
            assert "vatcrm" in body  # the product, named in the common frame's header
            for word in words:
                assert word in body
            assert accessibility_violations(browser, axe_source) == []
    finally:
        browser.set_window_size(*DESKTOP)


def test_the_alert_email_reads_well_at_phone_and_desktop_width(browser, owner, axe_source, tmp_path):
    counterparty = CounterpartyFactory(workspace=owner.workspace, name="Bolt Logistics B.V.", status="invalid")
    valid = VerificationCheckFactory(
        counterparty=counterparty, consultation_number="WAPIAAAAY1234567", started_at=timezone.now() - timedelta(1)
    )
    invalid = VerificationCheckFactory(counterparty=counterparty, overall_status="invalid")
    alert = AlertFactory(
        check_run=invalid, previous_check=valid, kind=AlertKind.VALIDITY_LOST, severity=Severity.CRITICAL
    )
    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()
    [message] = mail.outbox
    _reads_well(
        browser, axe_source, message.alternatives[0][0], tmp_path, "What to do next", "Proof of the last valid check"
    )


@pytest.mark.parametrize("role", [Role.OWNER, Role.MEMBER, Role.VIEWER])
def test_the_invitation_email_says_the_role_and_who_invites(browser, owner, axe_source, tmp_path, role):
    owner.user.first_name, owner.user.last_name = "Ada", "Lovelace"
    owner.user.save()
    invitation = InvitationFactory(workspace=owner.workspace, invited_by=owner.user, role=role)
    invitation_email_send(invitation=invitation)
    [message] = mail.outbox
    role_word = str(Role(role).label)
    for body in (message.body, message.alternatives[0][0]):
        assert "Ada Lovelace" in body and owner.user.email in body and role_word in body
    _reads_well(
        browser, axe_source, message.alternatives[0][0], tmp_path, "Ada Lovelace", role_word, owner.workspace.name
    )


def test_the_run_incomplete_email_reads_well(browser, owner, axe_source, tmp_path):
    run = MonitoringRun.objects.create(
        started_at=timezone.now() - timedelta(hours=21),
        finished_at=timezone.now(),
        missed=2,
        incomplete_reason="The run's window of 20 hours ended.",
    )
    for name in ("Spedition Nordwest Logistik GmbH & Co. KG", "Bolt Logistics B.V."):
        counterparty = CounterpartyFactory(workspace=owner.workspace, name=name, monitoring="daily")
        Recheck.objects.create(
            run=run, counterparty=counterparty, workspace=owner.workspace, outcome=RecheckOutcome.MISSED
        )
    assert run_owners_tell(run_id=run.pk) == 1
    [message] = mail.outbox
    _reads_well(
        browser,
        axe_source,
        message.alternatives[0][0],
        tmp_path,
        "2 counterparties not re-checked",
        "Bolt Logistics B.V.",
    )


def test_the_digest_email_reads_well(browser, owner, teammate, axe_source, tmp_path):
    NotificationPreferenceFactory(
        user=teammate.user, workspace=owner.workspace, mode=DeliveryMode.DIGEST, min_severity=Severity.INFO
    )
    for severity, name in ((Severity.CRITICAL, "Bolt Logistics B.V."), (Severity.INFO, "Spedition Nordwest GmbH")):
        AlertFactory(
            check_run__counterparty__workspace=owner.workspace, check_run__counterparty__name=name, severity=severity
        )
    deliveries_for_alerts(alert_ids=list(Alert.objects.values_list("pk", flat=True)))
    deliveries_send()
    mail.outbox.clear()
    digests_send()
    [digest] = mail.outbox
    _reads_well(browser, axe_source, digest.alternatives[0][0], tmp_path, "Bolt Logistics B.V.")


@pytest.mark.parametrize("which", ["confirmation", "password reset"])
def test_the_account_emails_read_well(browser, client, axe_source, tmp_path, which):
    if which == "confirmation":
        passphrase = "a long unusual passphrase"
        client.post(
            reverse("account_signup"),
            {"email": "new.person@example.com", "password1": passphrase, "password2": passphrase},
        )
        words = ("Confirm your email address",)
    else:
        client.post(reverse("account_reset_password"), {"email": UserFactory().email})
        words = ("Reset your password",)
    [message] = mail.outbox
    _reads_well(browser, axe_source, message.alternatives[0][0], tmp_path, *words)
