"""The words the product uses for a status, said once: badges, filters, exports, emails and JSON read them here.

A counterparty's `status` is the last *definitive* answer (valid or invalid), or none yet; an outage never
overwrites it. Its last *attempt* may still have failed (the registry could not answer: unverified; or a
fault on our side: error). Both are shown, in the same words everywhere, so that a badge saying "last
attempt failed" and the filter of that name find the same counterparties.

Results of the format service have one word of their own: a check digit that does not match is a failure
of that service ("Check digit failed"), although the registry, asked anyway, decides the overall status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import CheckStatus, CheckTrigger

if TYPE_CHECKING:
    from .models import Alert, CheckResult, Counterparty, VerificationCheck

NOT_CHECKED = "unchecked"
CHECK_DIGIT_FAILED = "checksum"
# The status filter's word for "the last attempt failed": not a status a counterparty has, but the one
# thing users look for after an outage.
ATTEMPT_FAILED = "attempt_failed"
FAILED_ATTEMPT_STATUSES = (CheckStatus.UNVERIFIED, CheckStatus.ERROR)


@dataclass(frozen=True)
class StatusWord:
    code: str
    label: str | Promise
    explanation: str | Promise
    tone: str  # the badge's CSS class: the colour repeats the word, never replaces it

    def __str__(self) -> str:
        return str(self.label)


WORDS: dict[str, StatusWord] = {
    word.code: word
    for word in (
        StatusWord(
            CheckStatus.VALID,
            _("Valid"),
            _("The registry confirmed that the VAT number is registered and valid for intra-EU trade."),
            "valid",
        ),
        StatusWord(
            CheckStatus.INVALID,
            _("Invalid"),
            _(
                "The registry says the number is not valid for intra-EU trade: not registered, deregistered, "
                "or not enabled for intra-Community supplies; or the number cannot exist."
            ),
            "invalid",
        ),
        StatusWord(
            CheckStatus.UNVERIFIED,
            _("Unverified"),
            _(
                "The registry could not answer (down, slow or busy). Nothing is known about the number from "
                "this attempt; it is asked again, and the last definitive status stands."
            ),
            "unverified",
        ),
        StatusWord(
            CheckStatus.ERROR,
            _("Error"),
            _("A fault on our side stopped the check; it has been logged. The check can be made again."),
            "error",
        ),
        StatusWord(NOT_CHECKED, _("Not checked"), _("No check has given a definitive answer yet."), "none"),
        StatusWord(
            CHECK_DIGIT_FAILED,
            _("Check digit failed"),
            _(
                "The number is well-formed but its check digit does not match. Check-digit rules lag behind "
                "numbers really issued, so the registry is asked anyway and decides."
            ),
            "invalid",
        ),
        StatusWord(
            ATTEMPT_FAILED,
            _("Last attempt failed"),
            _(
                "The last check got no definitive answer (the registry could not answer, or a fault on our "
                "side). The status shown is the last definitive one."
            ),
            "unverified",
        ),
    )
}


def status_word(status: str | StatusWord | None) -> StatusWord:
    """The word for a check's (or a counterparty's) status; None or an unknown value is "Not checked"."""
    if isinstance(status, StatusWord):
        return status
    return WORDS.get(status or NOT_CHECKED, WORDS[NOT_CHECKED])


def result_word(result: CheckResult) -> StatusWord:
    """The word for one service's result: a failed check digit is its own failure, not "Valid"."""
    if result.error_code == "CHECKSUM":
        return WORDS[CHECK_DIGIT_FAILED]
    return status_word(result.status)


def last_attempt_failed(counterparty: Counterparty) -> bool:
    check = counterparty.last_check
    return check is not None and check.overall_status in FAILED_ATTEMPT_STATUSES


def last_attempt_failed_q() -> Q:
    """The same rule as `last_attempt_failed`, for a queryset of counterparties."""
    return Q(last_check__overall_status__in=FAILED_ATTEMPT_STATUSES)


def status_filter_choices() -> list[tuple[str, str | Promise]]:
    """What the list's status filter offers: the statuses a counterparty can have, and "last attempt failed"."""
    codes = (CheckStatus.VALID, CheckStatus.INVALID, NOT_CHECKED, ATTEMPT_FAILED)
    return [(code, WORDS[code].label) for code in codes]


def person(user: object | None) -> str:
    """A person as the team knows them: their full name, else their email address."""
    if user is None:
        return ""
    full_name = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return full_name or getattr(user, "email", "") or str(user)


TRIGGER_WORDS: dict[str, str | Promise] = {
    "monitoring": _("Monitoring"),
    "import": _("An import"),
    "retry": _("A retry after an outage"),
    "shell": _("An operator's command"),
}


def checked_by(check: VerificationCheck) -> str:
    """Who or what made a check: a person by name or email; a former member once their account is gone."""
    if check.triggered_by_id is not None:
        return person(check.triggered_by)
    if check.trigger == CheckTrigger.USER:
        return str(_("A former member"))
    return str(TRIGGER_WORDS.get(check.trigger, check.get_trigger_display()))


# How monitoring records an outage streak in an alert's `after` (monitoring/services/recheck.py): kept as
# written, since webhooks and the API hand it on, and said in the reader's words when shown.
_UNREACHABLE = re.compile(r"registry unreachable since (?P<moment>\d{4}-\d\d-\d\d \d\d:\d\d) UTC")
_STATUS_KINDS = ("validity_lost", "validity_regained", "unverifiable")


def alert_value(alert: Alert, which: str) -> str:
    """An alert's `before` or `after` as the reader should see it: a status by its word, an outage streak
    with its moment in their language; a name or an address as the registry gave it."""
    value = getattr(alert, which) or ""
    if alert.kind not in _STATUS_KINDS:
        return value
    if match := _UNREACHABLE.fullmatch(value):
        moment = datetime.fromisoformat(match["moment"]).replace(tzinfo=UTC)
        return gettext("registry unreachable since %(when)s") % {"when": when(moment)}
    return str(WORDS[value].label) if value in WORDS else value


# Not Django's format names: ours, in vatcrm/formats/<locale>/formats.py for every language we offer.
SECONDS_FORMAT = "DATETIME_SECONDS_FORMAT"
DAY_MONTH_FORMAT = "DAY_MONTH_FORMAT"


def _our_format(name: str, fallback: str) -> str:
    # get_format answers an unknown name with the name itself: a language without a module of ours.
    pattern = formats.get_format(name)
    return fallback if pattern == name else pattern


def when(moment: datetime | None, *, seconds: bool = False) -> str:
    """A moment as the product writes it everywhere, in the active language and always with its zone:
    "4 Dec 2026, 02:00 UTC", and in Russian "4 декабря 2026", the year's abbreviation, "02:00 UTC" (the
    formats are vatcrm/formats/)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    pattern = _our_format(SECONDS_FORMAT, "DATETIME_FORMAT") if seconds else "DATETIME_FORMAT"
    return f"{formats.date_format(local, pattern)} {zone_name(local)}"


def day_and_month(day: date) -> str:
    """A day without its year where space is short (a chart's axis), as the reader writes it: "14/06",
    "14.06"."""
    return formats.date_format(day, _our_format(DAY_MONTH_FORMAT, "d.m"))


def zone_name(moment: datetime | None = None) -> str:
    """The zone times are shown in (the current time zone, UTC by default), as its abbreviation."""
    return timezone.localtime(moment).tzname() or str(timezone.get_current_timezone())
