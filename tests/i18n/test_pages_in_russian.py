"""Pages, form errors and the JSON endpoint's messages in the reader's language; codes and keys stay English."""

from __future__ import annotations

import json

from django.urls import reverse

from crm.models import CheckStatus
from tests.factories import CounterpartyFactory

JSON = {"HTTP_ACCEPT": "application/json"}


def test_the_json_endpoint_keeps_its_codes_and_speaks_the_readers_language(russian, outsider):
    response = russian.client.post(reverse("crm:verify"), {"vat_number": "QQ123456"}, **JSON)
    assert response.status_code == 400
    [error] = json.loads(response.content)["errors"]["vat_number"]
    assert error["code"] == "unknown_country"
    assert "не код страны" in error["message"]

    english = outsider.client.post(reverse("crm:verify"), {"vat_number": "QQ123456"}, **JSON)
    [error] = json.loads(english.content)["errors"]["vat_number"]
    assert error["code"] == "unknown_country" and "is not a country code we check" in error["message"]


def test_a_form_error_on_the_verify_page_is_in_russian(russian):
    page = russian.client.post(reverse("crm:verify"), {"vat_number": "DE12"}).content.decode()
    assert "Номера DE — это 9 цифр, например DE136695976." in page
    assert "Проверка номера НДС" in page


def test_the_counterparty_page_and_list_in_russian(russian):
    counterparty = CounterpartyFactory(workspace=russian.workspace, name="Alpenblick", status=CheckStatus.VALID)
    page = russian.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    assert '<html lang="ru">' in page
    for words in ("Реквизиты", "Номер НДС", "Действителен", "Проверок пока нет."):
        assert words in page
    listing = russian.client.get(reverse("crm:counterparty_list")).content.decode()
    assert "Контрагенты" in listing and "Действителен" in listing
