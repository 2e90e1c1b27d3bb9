"""POST /api/v1/verify/: one number, verified now, answered as /verify/ answers, with the evidence."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.services import CounterpartyInput, run_verification

from ..idempotency import idempotent
from ..serializers import CheckSerializer, VerifyRequestSerializer
from ..throttling import KeyRateThrottle, VerifyRateThrottle
from .base import StrictBody


class VerifyView(StrictBody, APIView):
    throttle_classes = [KeyRateThrottle, VerifyRateThrottle]

    @extend_schema(
        request=VerifyRequestSerializer,
        responses={201: CheckSerializer},
        summary="Verify one VAT number now",
        description=(
            "Asks the registry synchronously and stores the check, creating the counterparty if it is new. "
            "A registry outage answers 201 with `overall_status: unverified` (never invalid); the check is "
            "retried in the background."
        ),
    )
    @idempotent
    def post(self, request: Request) -> Response:
        incoming = VerifyRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        check = run_verification(
            workspace=request.auth.workspace,
            vat=data["vat_number"],
            entered=CounterpartyInput(name=data["name"].strip(), address=data["address"].strip()),
            user=request.user if request.user.is_authenticated else None,
        )
        return Response(CheckSerializer(check).data, status=status.HTTP_201_CREATED)
