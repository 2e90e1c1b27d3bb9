"""The API's JSON shapes. A check is crm's `check_payload` (the answer of /verify/) plus its evidence."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.models import (
    Alert,
    CheckResult,
    CheckStatus,
    Counterparty,
    MonitoringFrequency,
    VerificationCheck,
)
from crm.serializers import check_payload
from crm.services.counterparties import MAX_TAGS
from verification.vat import InvalidVatNumber, NormalisedVat, normalise_vat

from .models.batches import MAX_ITEMS, BatchItem, BatchStatus


class VatNumberField(serializers.CharField):
    """A VAT number as typed (spaces, dots, a repeated prefix); validated and normalised like the form's."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> NormalisedVat:
        text = super().run_validation(data)  # text, its length and characters checked first
        try:
            return normalise_vat(text)
        except InvalidVatNumber as exc:
            raise serializers.ValidationError(str(exc), code=exc.code) from exc

    def to_representation(self, value: Any) -> str:
        return value.vat_number if isinstance(value, NormalisedVat) else str(value)


class ResultSummarySerializer(serializers.Serializer):
    service = serializers.CharField()
    status = serializers.ChoiceField(choices=CheckStatus.choices)
    status_label = serializers.CharField()
    name = serializers.CharField(allow_null=True, help_text=_("Null: the registry did not disclose it."))
    address = serializers.CharField(allow_null=True)
    error_code = serializers.CharField()


class EvidenceSerializer(serializers.ModelSerializer):
    """One service's full answer, as kept for the tax authority."""

    class Meta:
        model = CheckResult
        fields = [
            "service",
            "country_code",
            "status",
            "registered_name",
            "registered_address",
            "match_codes",
            "error_code",
            "message",
            "warnings",
            "latency_ms",
            "consultation_number",
            "raw_request",
            "raw_response",
            "created_at",
        ]


class CheckSummarySerializer(serializers.Serializer):
    """The shape of /verify/'s JSON answer (crm.serializers.check_payload), with when and why."""

    check_id = serializers.IntegerField()
    counterparty_id = serializers.IntegerField()
    vat_number = serializers.CharField()
    overall_status = serializers.ChoiceField(choices=CheckStatus.choices)
    overall_status_label = serializers.CharField()
    confidence_score = serializers.IntegerField(min_value=0, max_value=100)
    consultation_number = serializers.CharField(help_text=_("VIES requestIdentifier: the proof of the consultation."))
    results = ResultSummarySerializer(many=True)
    trigger = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    requester_vat_number = serializers.CharField()

    def to_representation(self, instance: VerificationCheck) -> dict[str, Any]:
        moment = serializers.DateTimeField()
        return {
            **check_payload(instance),
            "trigger": instance.trigger,
            "started_at": moment.to_representation(instance.started_at),
            "finished_at": moment.to_representation(instance.finished_at) if instance.finished_at else None,
            "requester_vat_number": instance.requester_vat_number,
        }


class CheckSerializer(CheckSummarySerializer):
    """The summary, with every service's full answer (the evidence) and where the proof document is."""

    evidence = EvidenceSerializer(many=True)
    proof_url = serializers.CharField(help_text=_("The check's proof document."))

    def to_representation(self, instance: VerificationCheck) -> dict[str, Any]:
        return {
            **super().to_representation(instance),
            "evidence": EvidenceSerializer(instance.results.all(), many=True).data,
            "proof_url": reverse("api:check-proof", kwargs={"pk": instance.pk}),
        }


class VerifyRequestSerializer(serializers.Serializer):
    vat_number = VatNumberField(help_text=_("With its country code, e.g. DE136695976."))
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CounterpartySerializer(serializers.ModelSerializer):
    vat_number = VatNumberField()
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    last_check_id = serializers.IntegerField(read_only=True, allow_null=True)
    archived = serializers.SerializerMethodField()

    class Meta:
        model = Counterparty
        fields = [
            "id",
            "vat_number",
            "country_code",
            "name",
            "address",
            "external_reference",
            "notes",
            "tags",
            "registered_name",
            "registered_address",
            "status",
            "status_changed_at",
            "last_check_id",
            "last_checked_at",
            "monitoring",
            "next_check_due_at",
            "archived",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "country_code",
            "registered_name",
            "registered_address",
            "status",
            "status_changed_at",
            "last_checked_at",
            "monitoring",
            "next_check_due_at",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        # Uniqueness per workspace is checked by the view, which knows the workspace.
        validators: list = []

    def get_archived(self, counterparty: Counterparty) -> bool:
        return counterparty.archived_at is not None


class CounterpartyUpdateSerializer(serializers.Serializer):
    """What a client may change of a counterparty: the workspace's own data, never the registry's."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    external_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=MAX_TAGS, required=False, help_text=_("Tag names.")
    )


class CounterpartyCreateSerializer(CounterpartyUpdateSerializer):
    vat_number = VatNumberField()


class MonitoringSerializer(serializers.Serializer):
    monitoring = serializers.ChoiceField(choices=MonitoringFrequency.choices)


class AlertSerializer(serializers.ModelSerializer):
    counterparty_vat_number = serializers.CharField(source="counterparty.vat_number", read_only=True)
    acknowledged = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "severity",
            "counterparty",
            "counterparty_vat_number",
            "before",
            "after",
            "previous_check",
            "check_run",
            "created_at",
            "acknowledged",
            "acknowledged_at",
            "acknowledgement_comment",
        ]
        read_only_fields = fields

    def get_acknowledged(self, alert: Alert) -> bool:
        return alert.acknowledged_at is not None


class AcknowledgeSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BatchItemInputSerializer(serializers.Serializer):
    vat_number = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BatchRequestSerializer(serializers.Serializer):
    items = BatchItemInputSerializer(many=True, min_length=1, max_length=MAX_ITEMS)


class BatchSerializer(serializers.Serializer):
    """Where a batch stands (api.services.batches.batch_progress)."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=BatchStatus.choices)
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    refused = serializers.IntegerField(help_text=_("Numbers that cannot be VAT numbers: no registry was asked."))
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    unverified = serializers.IntegerField()
    error = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    results_url = serializers.CharField()


class BatchResultSerializer(serializers.ModelSerializer):
    check = CheckSummarySerializer(source="check_run", allow_null=True)

    class Meta:
        model = BatchItem
        fields = ["position", "submitted", "vat_number", "name", "refused", "done_at", "check"]
