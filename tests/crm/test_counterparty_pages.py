import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import CheckStatus
from tests.factories import AlertFactory, CheckResultFactory, CounterpartyFactory, VerificationCheckFactory


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(reverse("crm:counterparty_list"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_list_shows_the_workspace_counterparties_with_status_and_last_check(owner, teammate):
    counterparty = CounterpartyFactory(workspace=owner.workspace, name="Bolt Logistics B.V.")
    check = VerificationCheckFactory(counterparty=counterparty, overall_status=CheckStatus.VALID)
    counterparty.status, counterparty.last_check, counterparty.last_checked_at = "valid", check, check.started_at
    counterparty.save()

    for actor in (owner, teammate):  # a teammate sees the same CRM
        response = actor.client.get(reverse("crm:counterparty_list"))
        assert response.status_code == 200
        assert b"Bolt Logistics B.V." in response.content
        assert b"badge valid" in response.content


def test_a_row_links_and_labels_its_counterparty_in_the_readers_language(owner):
    """The row's values are worked out in the view (rows_prepare), not by tags: the same link and words."""
    renamed = CounterpartyFactory(workspace=owner.workspace, name="Bolt <Logistics>", registered_name="BOLT LOG BV")
    same = CounterpartyFactory(workspace=owner.workspace, name="Alpha GmbH", registered_name="Alpha GmbH")
    unnamed = CounterpartyFactory(workspace=owner.workspace, name="", registered_name="Gamma SA")
    check = VerificationCheckFactory(counterparty=renamed, overall_status=CheckStatus.VALID)
    renamed.last_check, renamed.last_checked_at = check, check.started_at
    renamed.save()
    page = owner.client.get(reverse("crm:counterparty_list")).content.decode()
    for counterparty in (renamed, same, unnamed):
        assert f'<a href="{reverse("crm:counterparty_detail", args=[counterparty.pk])}">' in page
    assert 'aria-label="Tick Bolt &lt;Logistics&gt;"' in page and 'aria-label="Tick Gamma SA"' in page
    assert "Registry: BOLT LOG BV" in page
    assert page.count("Registry: ") == 1, "not for a name the registry agrees with, nor one it alone gives"
    assert f'<time datetime="{check.started_at.isoformat()}"' in page

    owner.client.post(reverse("set_language"), {"language": "ru"})
    russian = owner.client.get(reverse("crm:counterparty_list")).content.decode()
    assert 'aria-label="Отметить Bolt &lt;Logistics&gt;"' in russian
    assert "В реестре: BOLT LOG BV" in russian  # noqa: RUF001


def test_the_list_badges_are_the_badge_tags_own(owner):
    """The list renders each kind of badge once per page (rows_prepare): the same HTML as the tag's."""
    failed = CounterpartyFactory(workspace=owner.workspace, name="Failed", status=CheckStatus.VALID)
    failed.last_check = VerificationCheckFactory(counterparty=failed, overall_status=CheckStatus.UNVERIFIED)
    failed.save()
    others = [
        CounterpartyFactory(workspace=owner.workspace, name=f"Other {n}", status=status)
        for n, status in enumerate([CheckStatus.VALID, CheckStatus.INVALID, None, CheckStatus.VALID])
    ]
    page = owner.client.get(reverse("crm:counterparty_list")).content.decode()
    tag = Template("{% load vocabulary %}{% counterparty_badge cp %}")
    for counterparty in [failed, *others]:
        counterparty.refresh_from_db()
        badge = tag.render(Context({"cp": counterparty}))
        row = page.split(f'value="{counterparty.pk}"')[1].split("</tr>")[0]
        assert f"<td>{badge}</td>" in row, counterparty.name
    assert "attempt" in page.split(f'value="{failed.pk}"')[1].split("</tr>")[0]


def test_list_search_and_filters(owner):
    CounterpartyFactory(workspace=owner.workspace, name="Alpha GmbH", vat_number="DE111111111", status="valid")
    CounterpartyFactory(workspace=owner.workspace, name="Beta SA", vat_number="FR22222222222", status="invalid")
    url = reverse("crm:counterparty_list")
    assert b"Beta SA" not in owner.client.get(url, {"q": "alpha"}).content
    assert b"Alpha GmbH" in owner.client.get(url, {"q": "de 111"}).content
    response = owner.client.get(url, {"status": "invalid"})
    assert b"Beta SA" in response.content and b"Alpha GmbH" not in response.content


def test_a_vat_prefix_is_searched_as_a_prefix_and_a_fragment_anywhere(owner):
    french = CounterpartyFactory(workspace=owner.workspace, name="Gamma", vat_number="FR40303265045")
    named = CounterpartyFactory(workspace=owner.workspace, name="Depot FR 4030 Nord", vat_number="DE136695976")
    other = CounterpartyFactory(workspace=owner.workspace, name="Delta", vat_number="FR12303265045")
    url = reverse("crm:counterparty_list")

    def found(q: str) -> set[int]:
        return {c.pk for c in owner.client.get(url, {"q": q}).context["counterparties"]}

    assert found("fr 4030") == {french.pk, named.pk}, "the number by its start, the name by what it contains"
    assert found("303265045") == {french.pk, other.pk}, "digits alone: anywhere in the number"
    assert found("DE136") == {named.pk}


def test_a_vat_prefix_search_asks_for_a_prefix(owner):
    """The form the B-tree of crm migration 0018 answers (LIKE 'FR4030%' on the column itself), not the
    '%FR4030%' the trigram index would serve slowly; the plan at 100,000 rows is in docs/benchmarks.md."""
    with CaptureQueriesContext(connection) as queries:
        owner.client.get(reverse("crm:counterparty_list"), {"q": "fr 4030"})
    [count] = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT COUNT(*)")][:1]
    assert """"crm_counterparty"."vat_number"::text LIKE 'FR4030%'""" in count, count
    assert 'UPPER("crm_counterparty"."vat_number"' not in count


def test_list_paginates(owner):
    CounterpartyFactory.create_batch(55, workspace=owner.workspace)
    response = owner.client.get(reverse("crm:counterparty_list"))
    assert len(response.context["counterparties"]) == 50
    assert b"Page 1 of 2" in response.content


def test_detail_shows_checks_evidence_and_changes(owner):
    result = CheckResultFactory(
        check_run__counterparty__workspace=owner.workspace,
        registered_name=None,
        raw_response="<ns2:checkVatResponse>evidence</ns2:checkVatResponse>",
    )
    counterparty = result.check_run.counterparty
    counterparty.last_checked_at, counterparty.status = result.check_run.started_at, CheckStatus.VALID
    counterparty.save()
    AlertFactory(check_run=result.check_run)
    response = owner.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "&lt;ns2:checkVatResponse&gt;evidence" in content  # raw evidence, escaped
    assert "not disclosed by the registry" in content
    assert "VAT registration no longer valid" in content


@pytest.mark.parametrize("pk", [0, 999999])
def test_missing_counterparty_is_404(owner, pk):
    assert owner.client.get(reverse("crm:counterparty_detail", args=[pk])).status_code == 404
