"""The status vocabulary (crm/vocabulary.py) in templates: badges, people and times with their zone.

{% load vocabulary %}
{% status_badge check.overall_status %}   {% result_badge result %}   {% counterparty_badge cp %}
{{ user|person }}   {{ check|checked_by }}   {{ moment|when }}   {{ moment|when:"seconds" }}
{{ alert|alert_before }} → {{ alert|alert_after }}
{% with advice=alert|advice %}{{ advice.meaning }} {{ advice.action }}{% endwith %}
"""

from __future__ import annotations

from datetime import datetime

from django import template

from .. import advice as advice_module
from .. import vocabulary
from ..vocabulary import StatusWord

register = template.Library()


@register.inclusion_tag("crm/_status.html")
def status_badge(status: str | None) -> dict:
    return {"status": vocabulary.status_word(status)}


@register.inclusion_tag("crm/_status.html")
def result_badge(result) -> dict:
    return {"status": vocabulary.result_word(result)}


@register.inclusion_tag("crm/_status.html")
def counterparty_badge(counterparty) -> dict:
    """The counterparty's status and, when its last attempt got no definitive answer, that too."""
    failed = vocabulary.last_attempt_failed(counterparty)
    return {
        "status": vocabulary.status_word(counterparty.status),
        "attempt": vocabulary.WORDS[vocabulary.ATTEMPT_FAILED] if failed else None,
        "attempt_status": vocabulary.status_word(counterparty.last_check.overall_status) if failed else None,
    }


@register.filter
def status_word(status: str | StatusWord | None) -> StatusWord:
    return vocabulary.status_word(status)


@register.filter
def person(user) -> str:
    return vocabulary.person(user)


@register.filter
def checked_by(check) -> str:
    return vocabulary.checked_by(check)


@register.filter
def when(moment: datetime | None, precision: str = "") -> str:
    return vocabulary.when(moment, seconds=precision == "seconds")


@register.filter
def alert_before(alert) -> str:
    return vocabulary.alert_value(alert, "before")


@register.filter
def alert_after(alert) -> str:
    return vocabulary.alert_value(alert, "after")


@register.filter
def advice(alert) -> advice_module.Advice:
    """What the alert means for the team's invoices and what to do next (crm/advice.py)."""
    return advice_module.alert_advice(alert)


@register.filter
def last_valid_check(alert):
    return advice_module.last_valid_check(alert)


@register.filter
def proof_path(check) -> str:
    return advice_module.proof_path(check)


@register.simple_tag
def zone_name() -> str:
    return vocabulary.zone_name()
