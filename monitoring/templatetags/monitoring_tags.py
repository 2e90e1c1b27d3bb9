"""`{% monitoring_card counterparty %}`: the monitoring card on crm's counterparty page (static/js/app.js)."""

from __future__ import annotations

from django import template

from crm.models import Counterparty

from ..selectors import monitoring_card as build_card

register = template.Library()


@register.inclusion_tag("monitoring/_card.html", takes_context=True)
def monitoring_card(context: template.Context, counterparty: Counterparty) -> dict:
    # The card renders in its own context: hand it what its form needs from the page's.
    return {
        "card": build_card(counterparty),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
        "can_change": context.get("can_change"),  # a viewer sees the card without its switches
    }
