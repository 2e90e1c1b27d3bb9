"""What a notification says: alert and digest emails (templates/emails/) and chat messages.

Links are absolute (settings.PUBLIC_BASE_URL): a Celery worker has no request to take the host from.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.language import in_language_of
from crm.advice import alert_advice, last_valid_check, proof_path
from crm.models import Alert, Severity, Workspace
from crm.vocabulary import alert_value

from .models import ChatChannel, Delivery
from .transports import ChatMessage

ALERT_HEADER = "X-Vatcrm-Alert"
DELIVERY_HEADER = "X-Vatcrm-Delivery"


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL + path


def in_workspace(path: str, workspace_id: int) -> str:
    # The workspace in every link: the reader may be looking at another of their workspaces in the browser,
    # where the alert's counterparty is a 404. crm's CurrentWorkspaceMiddleware switches the session to
    # the workspace a link names when the reader is one of its members (and ignores it otherwise).
    return absolute(path) + f"?workspace={workspace_id}"


def counterparty_url(alert: Alert) -> str:
    return in_workspace(reverse("crm:counterparty_detail", args=[alert.counterparty_id]), alert.workspace_id)


def alert_url(alert: Alert) -> str:
    """The alert in the workspace's inbox, where it is acknowledged."""
    return in_workspace(reverse("dashboard:alert_detail", args=[alert.pk]), alert.workspace_id)


def preferences_url(workspace: Workspace) -> str:
    return in_workspace(reverse("notifications:index"), workspace.pk)


def message_id(key: str) -> str:
    """A Message-ID that is the same for every attempt of one delivery (make_msgid would be random):
    if a resend follows an ambiguous failure, the receiving side can see it is the same message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "vatcrm.localhost"
    return f"<{key}@{domain}>"


def one_line(text: str) -> str:
    # Names typed by users may hold newlines, which a Subject header must not.
    return " ".join(text.split())


def alert_subject(alert: Alert) -> str:
    counterparty = alert.counterparty
    return one_line(
        _("[vatcrm] %(severity)s: %(kind)s — %(name)s (%(vat)s)")
        % {
            "severity": alert.get_severity_display(),
            "kind": alert.get_kind_display(),
            "name": counterparty.display_name,
            "vat": counterparty.vat_number,
        }
    )


def alert_context(alert: Alert) -> dict:
    """What every channel says of an alert, the advice included (crm/advice.py): call it in the reader's
    language, since the advice is text."""
    proof = last_valid_check(alert)
    return {
        "alert": alert,
        "counterparty": alert.counterparty,
        "workspace": alert.workspace,
        "counterparty_url": counterparty_url(alert),
        "alert_url": alert_url(alert),
        "advice": alert_advice(alert),
        "proof_check": proof,
        "proof_url": in_workspace(proof_path(proof), alert.workspace_id) if proof else None,
    }


def _headers(key: str, **extra: str) -> dict[str, str]:
    # Auto-Submitted stops out-of-office robots from answering every alert (RFC 3834).
    return {"Message-ID": message_id(key), "Auto-Submitted": "auto-generated", DELIVERY_HEADER: key, **extra}


def alert_email(delivery: Delivery) -> EmailMultiAlternatives:
    """The alert's email, in the recipient's language (accounts/language.py)."""
    alert = delivery.alert
    with in_language_of(delivery.recipient):
        context = {**alert_context(alert), "preferences_url": preferences_url(alert.workspace)}
        message = EmailMultiAlternatives(
            subject=alert_subject(alert),
            body=render_to_string("emails/alert.txt", context),
            to=[delivery.address],
            headers=_headers(str(delivery.key), **{ALERT_HEADER: str(alert.pk)}),
        )
        message.attach_alternative(render_to_string("emails/alert.html", context), "text/html")
    return message


def digest_email(
    *, recipient: object, address: str, workspace: Workspace, alerts: Sequence[Alert], key: str
) -> EmailMultiAlternatives:
    """One email with several alerts, the most severe first, in the recipient's language."""
    ordered = sorted(alerts, key=lambda alert: (-Severity(alert.severity).rank, alert.created_at, alert.pk))
    with in_language_of(recipient):
        context = {
            "workspace": workspace,
            "items": [alert_context(alert) for alert in ordered],
            "count": len(ordered),
            "critical": sum(1 for alert in ordered if alert.severity == Severity.CRITICAL),
            "preferences_url": preferences_url(workspace),
        }
        subject = ngettext(
            "[vatcrm] Daily digest: %(count)d alert in %(workspace)s",
            "[vatcrm] Daily digest: %(count)d alerts in %(workspace)s",
            len(ordered),
        ) % {"count": len(ordered), "workspace": workspace.name}
        message = EmailMultiAlternatives(
            subject=one_line(subject),
            body=render_to_string("emails/digest.txt", context),
            to=[address],
            headers=_headers(key),
        )
        message.attach_alternative(render_to_string("emails/digest.html", context), "text/html")
    return message


def alert_chat_message(delivery: Delivery) -> ChatMessage:
    alert = delivery.alert
    counterparty = alert.counterparty
    context = alert_context(alert)
    advice = context["advice"]
    before, after = alert_value(alert, "before"), alert_value(alert, "after")
    change = f"{before or '—'} → {after or '—'}" if (before or after) else ""
    where = _("Workspace %(workspace)s.") % {"workspace": alert.workspace.name}
    proof_url = context["proof_url"]
    lines = [
        f"{where} {change}".strip(),
        advice.meaning,
        _("What to do next: %(action)s") % {"action": advice.action},
        _("Proof of the last valid check: %(url)s") % {"url": proof_url} if proof_url else "",
    ]
    return ChatMessage(
        key=str(delivery.key),
        event="alert",
        title=alert_subject(alert).removeprefix("[vatcrm] "),
        text="\n".join(line for line in lines if line),
        url=context["alert_url"],
        severity=alert.severity,
        data={
            "alert_id": alert.pk,
            "kind": alert.kind,
            "before": alert.before,
            "after": alert.after,
            "created_at": alert.created_at.isoformat(),
            "workspace": alert.workspace.name,
            "counterparty": {
                "id": counterparty.pk,
                "name": counterparty.display_name,
                "vat_number": counterparty.vat_number,
            },
        },
    )


def channel_test_message(channel: ChatChannel, *, key: str) -> ChatMessage:
    return ChatMessage(
        key=key,
        event="test",
        title=_("Test message from vatcrm"),
        text=_("The channel “%(channel)s” of %(workspace)s works: alerts will arrive here.")
        % {"channel": channel.name, "workspace": channel.workspace.name},
        url=in_workspace(reverse("notifications:index"), channel.workspace_id),
        severity=Severity.INFO,
        data={"channel": channel.name},
    )
