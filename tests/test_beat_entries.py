"""vatcrm/beat_entries.py: the beat entries the migrations create, and the helper they use."""

from __future__ import annotations

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from vatcrm.beat_entries import beat_entry
from vatcrm.celery import app

pytestmark = pytest.mark.django_db


def test_every_entry_the_migrations_made_names_a_task_the_workers_know():
    app.loader.import_default_modules()
    entries = {entry.name: entry for entry in PeriodicTask.objects.select_related("interval", "crontab")}
    assert {"imports: reconcile", "dashboard: refresh rollups", "crm: purge checks past their retention"} <= set(
        entries
    )
    for entry in entries.values():
        assert entry.task in app.tasks, f"{entry.name}: {entry.task} is not a registered task"
    assert (entries["imports: reconcile"].interval.every, entries["imports: reconcile"].expire_seconds) == (60, 50)
    purge = entries["crm: purge checks past their retention"].crontab
    assert (purge.minute, purge.hour, purge.day_of_week, str(purge.timezone)) == ("30", "3", "*", "UTC")


def test_an_entry_already_there_stays_as_the_operator_left_it_and_reversing_deletes_it():
    operation = beat_entry(name="test: tick", task="crm.purge_expired_checks", description="", expire_seconds=5,
                           every=(7, "seconds"))  # fmt: skip
    operation.code(apps, None)
    PeriodicTask.objects.filter(name="test: tick").update(enabled=False)
    operation.code(apps, None)
    assert PeriodicTask.objects.get(name="test: tick").enabled is False
    operation.reverse_code(apps, None)
    assert not PeriodicTask.objects.filter(name="test: tick").exists()


def test_an_entry_has_an_interval_or_a_crontab():
    with pytest.raises(ValueError):
        beat_entry(name="x", task="y", description="", expire_seconds=1)
    with pytest.raises(ValueError):
        beat_entry(name="x", task="y", description="", expire_seconds=1, every=(1, "seconds"), crontab={})
