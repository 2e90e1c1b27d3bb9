"""The project's own labels in the admin are written for translation, and the admin reads them in Russian.

What the admin shows of a model comes from the model (its verbose names, help texts and choices) and from
its ModelAdmin (columns, filters, actions, fieldsets). A label Django makes up from a field's name
("created at") or a plain string cannot be translated: every one of ours must be a lazy translation.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from crm.models import Export
from monitoring.models import MonitoringRun
from notifications.models import Delivery, DeliveryStatus
from notifications.services import deliveries_for_alerts
from tests.factories import AlertFactory, UserFactory, VerificationCheckFactory

APPS = ("accounts", "crm", "monitoring", "notifications", "dashboard", "imports", "api")
# Labels that are names in every language: formats, the API, commands an operator types, and the
# languages, each written in itself (the switch shows them so).
NAMES = {"CSV", "API", "run_monitoring", "run_monitoring --sync", *(name for _code, name in settings.LANGUAGES)}


def _translatable(value: object) -> bool:
    return isinstance(value, Promise)


def _models():
    for label in APPS:
        yield from apps.get_app_config(label).get_models()


@pytest.mark.parametrize("label", APPS)
def test_every_app_is_named_for_translation(label):
    assert _translatable(apps.get_app_config(label).verbose_name)


def test_every_model_field_and_choice_of_ours_is_named_for_translation():
    untranslated = []
    for model in _models():
        options = model._meta
        for attribute in ("verbose_name", "verbose_name_plural"):
            if not _translatable(options.original_attrs.get(attribute)):
                untranslated.append(f"{options.label}.Meta.{attribute}")
        for field in options.get_fields():
            if field.auto_created:
                continue
            if not _translatable(field.verbose_name):
                untranslated.append(f"{options.label}.{field.name}")
            if field.help_text and not _translatable(field.help_text):
                untranslated.append(f"{options.label}.{field.name}.help_text")
            for value, text in field.flatchoices if field.choices else ():
                if not _translatable(text) and text not in NAMES:
                    untranslated.append(f"{options.label}.{field.name}={value}")
    assert untranslated == []


def test_every_column_filter_action_and_fieldset_of_our_admin_is_named_for_translation():
    untranslated = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        names = [*model_admin.list_display, *model_admin.readonly_fields]
        for name in names:
            if name in ("__str__", "action_checkbox") or (name == model._meta.pk.name and model._meta.pk.auto_created):
                continue  # the object itself, the tick box, Django's own "ID"
            # A field's verbose name, a column's description, or else a label made up from the name.
            if not _translatable(label_for_field(name, model, model_admin)):
                untranslated.append(f"{model.__name__}Admin.{name}")
        for list_filter in model_admin.list_filter:
            if isinstance(list_filter, type) and not _translatable(list_filter.title):
                untranslated.append(f"{model.__name__}Admin filter {list_filter.__name__}")
        for action in model_admin.actions or ():
            function = getattr(model_admin, action) if isinstance(action, str) else action
            if not _translatable(getattr(function, "short_description", None)):
                untranslated.append(f"{model.__name__}Admin action {action}")
        for title, _options in model_admin.fieldsets or ():
            if title is not None and not _translatable(title):
                untranslated.append(f"{model.__name__}Admin fieldset {title}")
    assert untranslated == []


@pytest.fixture
def staff(db) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(reverse("set_language"), {"language": "ru", "next": "/admin/"})
    return client


def test_the_admin_in_russian(staff):
    index = staff.get(reverse("admin:index")).content.decode()
    for words in ("Мониторинг", "Запуски мониторинга", "Оповещения", "Изменения контрагентов", "Доставки"):
        assert words in index
    counterparties = staff.get(reverse("admin:crm_counterparty_changelist")).content.decode()
    assert "Германия (DE)" in counterparties and "Греция (EL)" in counterparties  # the country filter, by name
    MonitoringRun.objects.create()
    runs = staff.get(reverse("admin:monitoring_monitoringrun_changelist")).content.decode()
    assert "Ожидают" in runs  # the column of pending re-checks


def test_an_admin_action_speaks_russian_with_its_plural(staff, owner, teammate):
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    deliveries_for_alerts(alert_ids=[alert.pk])
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2
    response = staff.post(
        reverse("admin:notifications_delivery_changelist"),
        {"action": "send_again_now", "_selected_action": list(Delivery.objects.values_list("pk", flat=True))},
        follow=True,
    )
    assert "2 доставки поставлены в очередь" in response.content.decode()


def test_an_objects_name_in_the_admin_is_in_russian(staff):
    check = VerificationCheckFactory(
        started_at=datetime(2026, 12, 8, 2, 0, tzinfo=UTC), counterparty__vat_number="DE136695976"
    )
    page = staff.get(reverse("admin:crm_verificationcheck_change", args=[check.pk])).content.decode()
    assert "Проверка DE136695976 от 8 декабря 2026 г., 02:00 UTC: Действителен" in page  # noqa: RUF001


def test_the_names_of_runs_and_exports_in_russian():
    with translation.override("ru"):
        assert str(Export(pk=5, file_format="xlsx", state="done")) == "Выгрузка 5 (Excel (XLSX), Готово)"
        run = MonitoringRun(pk=3, started_at=datetime(2026, 12, 8, 2, 0, tzinfo=UTC))
        assert str(run).startswith("Запуск мониторинга 3 от 8 декабря 2026")
