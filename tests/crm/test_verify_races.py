"""Two checks of the same new number at once, made to meet on purpose (PostgreSQL, one connection per thread).

verdict_store takes no savepoint: the check that loses the race to insert the counterparty (or to store the
same idempotency key) is rolled back whole and stored again by run_verification, which then finds the
winner's row. Both threads pass the "is it there?" lookup before either inserts, so the test proves the
guard instead of hoping to hit the window.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.db import connections

from crm.models import ChangeAction, CheckTrigger, Counterparty, CounterpartyChange, VerificationCheck
from crm.services import CounterpartyInput, run_verification
from verification.vat import normalise_vat

pytestmark = [pytest.mark.usefixtures("vies_settings", "require_postgres"), pytest.mark.django_db(transaction=True)]

VALID_AT = "ATU72943648"  # in the simulator's demo registry


def both_at_once(workspace, **options) -> list[VerificationCheck]:
    """run_verification twice in parallel, each held just before it inserts the new counterparty."""
    barrier = threading.Barrier(2, timeout=10)
    create = Counterparty.objects.create

    def held_create(**fields):
        barrier.wait()  # both lookups found nothing
        return create(**fields)

    def verify(name: str) -> VerificationCheck:
        try:
            return run_verification(
                workspace=workspace, vat=normalise_vat(VALID_AT), entered=CounterpartyInput(name=name), **options
            )
        finally:
            connections.close_all()

    with mock.patch.object(Counterparty.objects, "create", held_create), ThreadPoolExecutor(2) as pool:
        return list(pool.map(verify, ["First GmbH", "Second GmbH"]))


def test_the_same_new_number_twice_at_once_is_one_counterparty_with_two_checks(owner):
    checks = both_at_once(owner.workspace)
    counterparty = Counterparty.objects.get(workspace=owner.workspace)
    assert {check.counterparty_id for check in checks} == {counterparty.pk}
    assert counterparty.checks.count() == 2
    assert counterparty.last_check_id in {check.pk for check in checks}
    # The winner records the creation; the other, stored again, what it typed differently.
    actions = sorted(CounterpartyChange.objects.filter(counterparty=counterparty).values_list("action", flat=True))
    assert actions == sorted([ChangeAction.CREATED, ChangeAction.EDITED])


def test_the_same_idempotency_key_twice_at_once_stores_one_check(owner):
    checks = both_at_once(owner.workspace, trigger=CheckTrigger.IMPORT, idempotency_key="import:1:1")
    assert checks[0].pk == checks[1].pk
    assert VerificationCheck.objects.count() == 1
    assert Counterparty.objects.filter(workspace=owner.workspace).count() == 1
