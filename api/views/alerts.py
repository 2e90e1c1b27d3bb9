"""Alerts of the key's workspace: list (newest first, filterable) and acknowledge."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.models import Alert
from dashboard.services import alerts_acknowledge

from ..filters import AlertFilter
from ..pagination import Cursor
from ..serializers import AcknowledgeSerializer, AlertSerializer
from .base import WorkspaceScoped


class AlertCursor(Cursor):
    ordering = ("-created_at", "-id")


@extend_schema(tags=["alerts"])
class AlertViewSet(WorkspaceScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    model = Alert
    serializer_class = AlertSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AlertFilter
    pagination_class = AlertCursor

    def get_queryset(self):
        return super().get_queryset().select_related("counterparty")

    @extend_schema(request=AcknowledgeSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: int) -> Response:
        """Mark the alert as dealt with, with an optional comment. An acknowledged alert keeps its first one."""
        alert = self.get_object()
        incoming = AcknowledgeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        alerts_acknowledge(
            workspace=self.workspace,
            alert_ids=[alert.pk],
            user=request.user if request.user.is_authenticated else None,
            comment=incoming.validated_data["comment"],
        )
        alert.refresh_from_db()
        return Response(self.get_serializer(alert).data)
