"""The CRM list's bulk actions on the ticked counterparties: each recorded, bounded, scoped to the workspace."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.forms import BulkActionForm
from crm.models import ChangeAction, CheckTrigger, CounterpartyChange, VerificationCheck
from tests.factories import CounterpartyFactory

BULK = reverse("crm:counterparty_bulk")
VALID_AT = "ATU72943648"


def _post(actor, action, counterparties, **extra):
    return actor.client.post(BULK, {"action": action, "counterparty": [cp.pk for cp in counterparties], **extra})


def test_the_list_offers_the_actions_on_the_ticked_rows(teammate):
    counterparty = CounterpartyFactory(workspace=teammate.workspace)
    page = teammate.client.get(reverse("crm:counterparty_list")).content.decode()
    assert f'action="{BULK}"' in page and f'value="{counterparty.pk}" form="bulk"' in page
    assert 'data-tick-all="input[form=bulk][name=counterparty]"' in page  # select all on the page
    for action in ("reverify", "tag_add", "tag_remove", "archive", "export_csv", "export_xlsx"):
        assert f'value="{action}"' in page
    assert f'formaction="{reverse("monitoring:bulk_monitoring")}"' in page


def test_tags_are_added_and_removed_and_recorded(teammate):
    ticked = [CounterpartyFactory(workspace=teammate.workspace) for _ in range(2)]
    _post(teammate, "tag_add", ticked, tag=" Key  account ")
    _post(teammate, "tag_add", ticked, tag="key account")  # already there: nothing changes, nothing recorded
    assert [list(cp.tags.values_list("name", flat=True)) for cp in ticked] == [["Key account"], ["Key account"]]
    _post(teammate, "tag_remove", ticked[:1], tag="KEY ACCOUNT")
    assert not ticked[0].tags.exists() and ticked[1].tags.exists()
    changes = CounterpartyChange.objects.filter(action=ChangeAction.TAGGED)
    assert changes.count() == 3
    assert changes.filter(counterparty=ticked[0]).first().changes == {"tags": [["Key account"], []]}


def test_a_tag_action_needs_one_tag(teammate):
    counterparty = CounterpartyFactory(workspace=teammate.workspace)
    assert _post(teammate, "tag_add", [counterparty], tag="a, b").status_code == 400
    assert _post(teammate, "tag_add", [counterparty], tag="").status_code == 400
    assert not counterparty.tags.exists()


def test_archive_and_restore_in_bulk(teammate):
    ticked = [CounterpartyFactory(workspace=teammate.workspace, monitoring="weekly") for _ in range(3)]
    _post(teammate, "archive", ticked)
    assert all(cp.archived_at for cp in (cp.__class__.objects.get(pk=cp.pk) for cp in ticked))
    _post(teammate, "restore", ticked[:2])
    assert [cp.__class__.objects.get(pk=cp.pk).archived_at is None for cp in ticked] == [True, True, False]
    assert CounterpartyChange.objects.filter(action=ChangeAction.ARCHIVED).count() == 3
    assert CounterpartyChange.objects.filter(action=ChangeAction.RESTORED).count() == 2


def test_monitoring_in_bulk_is_recorded(teammate):
    ticked = [CounterpartyFactory(workspace=teammate.workspace) for _ in range(2)]
    ids = [cp.pk for cp in ticked]
    teammate.client.post(reverse("monitoring:bulk_monitoring"), {"monitoring": "daily", "counterparty": ids})
    change = CounterpartyChange.objects.filter(action=ChangeAction.MONITORING).first()
    assert CounterpartyChange.objects.filter(action=ChangeAction.MONITORING).count() == 2
    assert change.changes == {"monitoring": ["off", "daily"]} and change.actor == teammate.user


def test_verify_again_goes_through_the_verification_task(teammate, vies_settings, django_capture_on_commit_callbacks):
    ticked = CounterpartyFactory(workspace=teammate.workspace, vat_number=VALID_AT, country_code="AT")
    archived = CounterpartyFactory(workspace=teammate.workspace, archived_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(teammate, "reverify", [ticked, archived])
    assert response.status_code == 302
    assert len(callbacks) == 1  # the archived one is not checked
    check = VerificationCheck.objects.get()
    assert (check.counterparty, check.trigger, check.triggered_by) == (ticked, CheckTrigger.USER, teammate.user)
    assert check.overall_status == "valid"


def test_the_selection_is_bounded(teammate):
    too_many = [str(n) for n in range(1, BulkActionForm.LIMIT + 2)]
    response = teammate.client.post(BULK, {"action": "archive", "counterparty": too_many})
    assert response.status_code == 400


def test_nothing_ticked_is_a_warning_not_an_error(teammate):
    response = teammate.client.post(BULK, {"action": "archive"}, follow=True)
    assert response.status_code == 200 and b"Tick at least one counterparty" in response.content


@pytest.mark.parametrize("action", ["archive", "tag_add", "reverify"])
def test_another_workspaces_ids_do_nothing(action, teammate, outsider, django_capture_on_commit_callbacks):
    theirs = CounterpartyFactory(workspace=outsider.workspace)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _post(teammate, action, [theirs], tag="x")
    theirs.refresh_from_db()
    assert theirs.archived_at is None and not theirs.tags.exists() and not callbacks
    assert not CounterpartyChange.objects.exists()


def test_the_selection_is_exported(teammate, outsider):
    ticked = CounterpartyFactory(workspace=teammate.workspace, name="Ticked GmbH")
    CounterpartyFactory(workspace=teammate.workspace, name="Left GmbH")
    theirs = CounterpartyFactory(workspace=outsider.workspace, name="Theirs GmbH")
    csv = b"".join(_post(teammate, "export_csv", [ticked, theirs]).streaming_content).decode("utf-8-sig")
    assert "Ticked GmbH" in csv and "Left GmbH" not in csv and "Theirs GmbH" not in csv
    response = _post(teammate, "export_xlsx", [ticked])
    sheet = load_workbook(BytesIO(response.content)).active
    assert "Ticked GmbH" in [cell.value for row in sheet.iter_rows() for cell in row]
