"""Beat entries that data migrations create: a django-celery-beat PeriodicTask row each, editable in the admin.

A data migration rather than CELERY_BEAT_SCHEDULE: the database scheduler writes a settings dict into its
tables at every beat start, which would undo an operator's edit. Created once, the row is the admin's to
change from then on, and a migration run again leaves an existing row as the operator left it.

`expire_seconds` is sent as each message's `expires`: a little under the period, so that after a beat or
broker backlog stale ticks are dropped instead of running back to back.

Migrations import this module: once released, what `beat_entry` does must not change. A new need is a new
keyword whose default keeps the old behaviour.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone


def beat_entry(
    *,
    name: str,
    task: str,
    description: str,
    expire_seconds: int,
    every: tuple[int, str] | None = None,
    crontab: dict[str, str] | None = None,
) -> migrations.RunPython:
    """The operation that creates the entry (and, reversed, deletes it): `every=(60, "seconds")` for an
    interval, or `crontab={"minute": "30", "hour": "3"}` for a time of day in UTC, "*" for the fields not given.
    """
    if (every is None) == (crontab is None):
        raise ValueError("a beat entry has an interval or a crontab, not both")

    def create(apps: Any, schema_editor: Any) -> None:
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        if PeriodicTask.objects.filter(name=name).exists():
            return
        schedule: dict[str, Any] = {}
        if every is not None:
            IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(every=every[0], period=every[1])
        else:
            CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
            fields = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
            times = {field: crontab.get(field, "*") for field in fields}
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(**times, timezone="UTC")
        PeriodicTask.objects.create(
            name=name, task=task, expire_seconds=expire_seconds, enabled=True, description=description, **schedule
        )
        # Historical models send no signals: tell a running beat that its schedule changed.
        PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})

    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
