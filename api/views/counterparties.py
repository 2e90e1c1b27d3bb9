"""Counterparties of the key's workspace: list (the CRM page's filters), read, create, update, archive,
monitoring on/off, and their checks."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.filters import CounterpartyFilter
from crm.models import Counterparty, VerificationCheck

from ..idempotency import idempotent
from ..pagination import CounterpartyCursor, Cursor
from ..problems import problem
from ..serializers import (
    CheckSerializer,
    CounterpartyCreateSerializer,
    CounterpartySerializer,
    CounterpartyUpdateSerializer,
    MonitoringSerializer,
)
from ..services.counterparties import (
    AlreadyExists,
    counterparty_archive,
    counterparty_create,
    counterparty_monitoring,
    counterparty_patch,
)
from .base import WorkspaceScoped

ORDERING = OpenApiParameter(
    "ordering",
    str,
    enum=["name", "-name", "vat", "-vat", "checked", "-checked", "status", "-status"],
    description="The CRM list's orders; `-` for descending. Default: name.",
)


def _actor(request: Request):
    return request.user if request.user.is_authenticated else None


@extend_schema(tags=["counterparties"])
class CounterpartyViewSet(
    WorkspaceScoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    model = Counterparty
    serializer_class = CounterpartySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CounterpartyFilter
    pagination_class = CounterpartyCursor

    def get_queryset(self):
        return super().get_queryset().select_related("last_check").prefetch_related("tags")

    @extend_schema(parameters=[ORDERING])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=CounterpartyCreateSerializer, responses={201: CounterpartySerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        incoming = CounterpartyCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        vat, tags = data.pop("vat_number"), data.pop("tags", ())
        try:
            counterparty = counterparty_create(
                workspace=self.workspace, vat=vat, fields=data, tags=tags, actor=_actor(request)
            )
        except AlreadyExists as exists:
            return problem(
                409,
                kind="counterparty_exists",
                detail=_("The workspace already has a counterparty with this VAT number."),
                counterparty_id=exists.counterparty.pk,
            )
        return Response(self.get_serializer(counterparty).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CounterpartyUpdateSerializer, responses={200: CounterpartySerializer})
    def partial_update(self, request: Request, pk: int) -> Response:
        counterparty = self.get_object()
        incoming = CounterpartyUpdateSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        counterparty = counterparty_patch(
            counterparty=counterparty, fields=dict(incoming.validated_data), actor=_actor(request)
        )
        return Response(self.get_serializer(counterparty).data)

    @extend_schema(request=None, responses={200: CounterpartySerializer})
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: int) -> Response:
        """Archive: monitoring stops and the list hides it; its checks stay as evidence. Twice is harmless."""
        counterparty = counterparty_archive(counterparty=self.get_object(), archived=True, actor=_actor(request))
        return Response(self.get_serializer(counterparty).data)

    @extend_schema(request=None, responses={200: CounterpartySerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: int) -> Response:
        counterparty = counterparty_archive(counterparty=self.get_object(), archived=False, actor=_actor(request))
        return Response(self.get_serializer(counterparty).data)

    @extend_schema(request=MonitoringSerializer, responses={200: CounterpartySerializer})
    @action(detail=True, methods=["put"])
    def monitoring(self, request: Request, pk: int) -> Response:
        """Monitoring `off`, `daily` or `weekly`. Turning it on makes the counterparty due at the next run."""
        counterparty = self.get_object()
        incoming = MonitoringSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        if counterparty.archived_at is not None and incoming.validated_data["monitoring"] != "off":
            return problem(
                409, kind="counterparty_archived", detail=_("Restore the counterparty before monitoring it.")
            )
        counterparty = counterparty_monitoring(
            counterparty=counterparty, frequency=incoming.validated_data["monitoring"], actor=_actor(request)
        )
        return Response(self.get_serializer(counterparty).data)

    @extend_schema(responses={200: CheckSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=Cursor, filter_backends=[])
    def checks(self, request: Request, pk: int) -> Response:
        """The counterparty's checks, newest first, each with its evidence."""
        counterparty = self.get_object()
        checks = (
            VerificationCheck.objects.filter(workspace=self.workspace, counterparty=counterparty)
            .select_related("counterparty")
            .prefetch_related("results")
        )
        page = self.paginate_queryset(checks)
        return self.get_paginated_response(CheckSerializer(page, many=True).data)
