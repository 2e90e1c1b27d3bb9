"""The daily run's schedule (a django-celery-beat PeriodicTask edited in the admin) and the due-time rule.

A counterparty re-checked by a run is due again one period after the run started, minus a tolerance, so
that tomorrow's run finds it due even if it starts a little earlier than today's did (a backlog delayed
today's fan-out, the crontab was moved). That alone would let an off-schedule run (an operator's
`run_monitoring` at 20:00, a fan-out resumed late) push a daily counterparty past tomorrow's 02:00 run
to the day after. So the due time is also never later than the first scheduled run after the period's
last day has begun: whatever run re-checked it, the next scheduled one re-checks it again. When that
scheduled run comes within the tolerance of the run (an operator's run at 00:30, the schedule at 02:00), the
due time is a few minutes before it rather than right after the run: the scheduled run still re-checks the
counterparty, and a second run in between (another operator's run, a duplicated message) finds nobody due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from crm.models import Counterparty, MonitoringFrequency

DAILY_RUN_TASK = "monitoring: daily run"  # the PeriodicTask created by migration 0002
# A due time is always after the run's start: the fan-out claims what is due at its start, and a
# claimed row that stayed due would be claimed again.
MINIMUM_GAP = timedelta(seconds=1)
# A scheduled run starts at its crontab time or later; earlier only by the clock skew between beat's host and
# the worker's.
SCHEDULED_START_MARGIN = timedelta(minutes=5)


def daily_run_task() -> PeriodicTask | None:
    return PeriodicTask.objects.select_related("crontab").filter(name=DAILY_RUN_TASK).first()


def next_run_at(after: datetime, task: PeriodicTask | None = None) -> datetime | None:
    """When the daily run next fires at or after `after`; None when it is disabled or not a crontab."""
    task = task or daily_run_task()
    if task is None or not task.enabled or task.crontab is None:
        return None
    schedule = task.crontab.schedule
    # remaining_delta gives the first fire time strictly after its argument; a second earlier includes `after`.
    start, delta, _ = schedule.remaining_delta(after - timedelta(seconds=1))
    return start + delta


def next_due_after(started_at: datetime, frequency: str, task: PeriodicTask | None = None) -> datetime | None:
    """When a counterparty of `frequency` re-checked by a run that started at `started_at` is due again."""
    interval = MonitoringFrequency(frequency).interval
    if interval is None:
        return None
    natural = started_at + interval
    # The first scheduled run strictly after the start of the period's last day (for daily: after this run).
    scheduled = next_run_at(natural - timedelta(days=1) + timedelta(seconds=1), task)
    due = min(natural, scheduled) if scheduled is not None else natural
    tolerance = settings.MONITORING_SCHEDULE_TOLERANCE
    early = due - tolerance
    if early <= started_at and scheduled is not None and scheduled <= natural:
        early = scheduled - min(SCHEDULED_START_MARGIN, tolerance)
    return max(early, started_at + MINIMUM_GAP)


def next_check_at(counterparty: Counterparty, task: PeriodicTask | None = None) -> datetime | None:
    """When a monitored counterparty is next re-checked: the first scheduled run at or after its due time
    (or now, if it is due already). The monitoring card and the exports both say this time."""
    return next_check_times(task)(counterparty)


def next_check_times(task: PeriodicTask | None = None) -> Callable[[Counterparty], datetime | None]:
    """`next_check_at` for many counterparties (an export): the schedule read once, each due time once."""
    task = task or daily_run_task()
    now = timezone.now()

    @lru_cache(maxsize=4096)  # a run gives every counterparty it re-checked the same due time
    def scheduled(due: datetime | None) -> datetime | None:
        return next_run_at(max(due or now, now), task)

    def at(counterparty: Counterparty) -> datetime | None:
        return scheduled(counterparty.next_check_due_at) if counterparty.is_monitored else None

    return at


def schedule_in_words(task: PeriodicTask | None) -> str:
    """The daily run's schedule as a person says it: "every day at 02:00 UTC"; the crontab where it has no
    simple reading. Operators edit the schedule in the admin (django-celery-beat); users read this."""
    if task is None or not task.enabled:
        return _("paused")
    if task.crontab is None:
        return _("on a schedule an operator set in the admin")
    cron = task.crontab
    zone = "UTC" if str(cron.timezone) in ("UTC", "Etc/UTC") else str(cron.timezone)
    try:
        return _crontab_in_words(cron, zone)
    except ValueError:  # a range, a step, a list of hours: said as the crontab it is
        spec = f"{cron.minute} {cron.hour} {cron.day_of_month} {cron.month_of_year} {cron.day_of_week}"
        return _("on the crontab “%(spec)s” (%(zone)s)") % {"spec": spec, "zone": zone}


def _crontab_in_words(cron: CrontabSchedule, zone: str) -> str:
    if cron.month_of_year.strip() != "*":
        raise ValueError(cron.month_of_year)
    at = {"time": f"{_single(cron.hour, 23):02d}:{_single(cron.minute, 59):02d}", "zone": zone}
    days = _days_of_week(cron.day_of_week)
    if cron.day_of_month.strip() != "*":
        if days is not None:
            raise ValueError(cron.day_of_week)
        return _("on day %(day)s of every month at %(time)s %(zone)s") % {"day": _single(cron.day_of_month, 31), **at}
    if days is None:
        return _("every day at %(time)s %(zone)s") % at
    if days == [1, 2, 3, 4, 5]:
        return _("every weekday (Monday to Friday) at %(time)s %(zone)s") % at
    names = [str(_DAY_NAMES[day]) for day in days]
    listed = (
        names[0] if len(names) == 1 else _("%(list)s and %(last)s") % {"list": ", ".join(names[:-1]), "last": names[-1]}
    )
    return _("every %(days)s at %(time)s %(zone)s") % {"days": listed, **at}


_DAY_NAMES = {
    0: gettext_lazy("Sunday"),
    1: gettext_lazy("Monday"),
    2: gettext_lazy("Tuesday"),
    3: gettext_lazy("Wednesday"),
    4: gettext_lazy("Thursday"),
    5: gettext_lazy("Friday"),
    6: gettext_lazy("Saturday"),
}
_DAY_NUMBERS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


def _single(field: str, top: int) -> int:
    """The one value a crontab field names ("2", "02"); ValueError for anything else."""
    text = field.strip()
    if not text.isdigit() or int(text) > top:
        raise ValueError(field)
    return int(text)


def _days_of_week(field: str) -> list[int] | None:
    """The days a day-of-week field names, Sunday = 0 ("1-5", "mon,thu", "0,6"); None for every day."""
    text = field.strip().lower()
    if text == "*":
        return None
    days: set[int] = set()
    for part in text.split(","):
        low, _sep, high = part.partition("-")
        start, end = _day(low), _day(high or low)
        if end < start:
            raise ValueError(field)
        days.update(day % 7 for day in range(start, end + 1))
    return None if days == set(range(7)) else sorted(days)


def _day(text: str) -> int:
    text = text.strip()
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text[:3] in _DAY_NUMBERS:
        return _DAY_NUMBERS[text[:3]]
    raise ValueError(text)
