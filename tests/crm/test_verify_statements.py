"""What `POST /verify/` (the JSON form) costs the database: at most ten statements for a number already in
the workspace's book, counted as PostgreSQL receives them (CaptureQueriesContext: BEGIN and COMMIT included).

Committed for real (transaction=True), so the transaction's BEGIN and COMMIT are the request's own, as in
production, not savepoints of a test's wrapping transaction. What the ten are: the session, the user, the
workspace with the user's role in it, its requester company; then BEGIN, the counterparty locked, the check,
its results, the counterparty's new state, COMMIT.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import CheckResult, CheckStatus, Counterparty, CounterpartyChange, VerificationCheck
from tests.factories import CompanyFactory

pytestmark = [pytest.mark.usefixtures("vies_settings"), pytest.mark.django_db(transaction=True)]

MAX_STATEMENTS = 10
VALID_AT = "ATU72943648"  # in the simulator's demo registry


@pytest.fixture
def requester(owner):
    return CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V", name="Requester Ltd")


def post_json(actor, vat_number: str, **fields) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = actor.client.post(
            reverse("crm:verify"), {"vat_number": vat_number, **fields}, HTTP_ACCEPT="application/json"
        )
    assert response.status_code == 201, response.content
    return response.json(), [query["sql"] for query in queries.captured_queries]


def test_verifying_a_known_number_is_at_most_ten_statements(owner, requester):
    post_json(owner, VALID_AT, name="Alpenblick")
    body, statements = post_json(owner, VALID_AT)
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert statements.count("BEGIN") == statements.count("COMMIT") == 1
    assert not [sql for sql in statements if "SAVEPOINT" in sql]
    # Nothing of the answer was left out to get there: the check, its evidence, the counterparty's state.
    check = VerificationCheck.objects.get(pk=body["check_id"])
    assert check.overall_status == CheckStatus.VALID and check.consultation_number
    assert check.triggered_by_id == owner.user.pk and check.requester_vat_number == "IE6388047V"
    assert CheckResult.objects.get(check_run=check, service="vies").raw_response
    assert [result["service"] for result in body["results"]] == ["format", "vies"]
    assert Counterparty.objects.get(pk=body["counterparty_id"]).last_check_id == check.pk


def test_a_new_number_adds_only_its_counterparty_and_the_audit_row(owner, requester):
    post_json(owner, VALID_AT)  # warm: the WSDL, the registry's connection
    body, statements = post_json(owner, "BE0106411968", name="Brouwerij")
    inserts = [sql.split('"')[1] for sql in statements if sql.startswith("INSERT")]
    assert inserts == ["crm_counterparty", "crm_counterpartychange", "crm_verificationcheck", "crm_checkresult"]
    assert len(statements) <= MAX_STATEMENTS + 2, "\n".join(statements)
    assert CounterpartyChange.objects.get(counterparty_id=body["counterparty_id"]).action == "created"


def test_a_viewer_is_refused_before_any_write(viewer, requester):
    with CaptureQueriesContext(connection) as queries:
        response = viewer.client.post(reverse("crm:verify"), {"vat_number": VALID_AT}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert not [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("SELECT")]
    assert not VerificationCheck.objects.exists()
