"""The re-check's first read: one statement on PostgreSQL, four ORM queries elsewhere, the same context."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import CheckStatus
from monitoring.models import Recheck
from monitoring.services import run_fan_out, run_start
from monitoring.services.recheck import recheck_key
from monitoring.services.recheck_read import _read_through_the_orm, recheck_context_read
from tests.factories import CompanyFactory, CounterpartyFactory, VerificationCheckFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="compares PostgreSQL's statement")


def context_fields(context):
    return {
        "recheck": context.item.pk,
        "run": context.item.run.pk,
        "counterparty": (context.item.counterparty.pk, context.item.counterparty.status),
        "workspace": context.item.counterparty.workspace.pk,
        "stored": context.already_stored,
        "company": context.company and (context.company.pk, context.company.vat_number, context.company.name),
        "previous": context.previous_check and (context.previous_check.pk, context.previous_check.overall_status),
    }


@pytest.mark.parametrize("with_history", [False, True])
def test_both_reads_give_the_same_context(owner, django_capture_on_commit_callbacks, with_history):
    CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V", name="Requester Ltd")
    counterparty = CounterpartyFactory(workspace=owner.workspace, monitoring="daily", next_check_due_at=timezone.now())
    if with_history:
        VerificationCheckFactory(counterparty=counterparty, workspace=owner.workspace, overall_status=CheckStatus.VALID)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_fan_out(run=run_start(), dispatch=lambda run, ids: None)
    key = recheck_key(run.pk, counterparty.pk, 0)
    arguments = {"run_id": run.pk, "counterparty_id": counterparty.pk, "key": key}
    by_sql, by_orm = recheck_context_read(**arguments), _read_through_the_orm(**arguments)
    assert context_fields(by_sql) == context_fields(by_orm)
    assert (by_sql.previous_check is not None) == with_history and by_sql.company is not None
    assert by_sql.item.pk == Recheck.objects.get(run=run).pk
    assert recheck_context_read(run_id=run.pk, counterparty_id=counterparty.pk + 1000, key=key) is None
    assert _read_through_the_orm(run_id=run.pk, counterparty_id=counterparty.pk + 1000, key=key) is None
