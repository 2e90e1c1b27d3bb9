"""Batches of up to 10,000 numbers: accepted at once (202 with the job), verified in the background."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..idempotency import idempotent
from ..models.batches import Batch, BatchItem
from ..pagination import Cursor
from ..serializers import BatchRequestSerializer, BatchResultSerializer, BatchSerializer
from ..services.batches import batch_create, batch_progress
from .base import WorkspaceScoped


class ResultCursor(Cursor):
    ordering = ("position",)


@extend_schema(tags=["batches"])
class BatchViewSet(WorkspaceScoped, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    model = Batch
    serializer_class = BatchSerializer

    def _shown(self, batch: Batch) -> dict:
        return {**batch_progress(batch), "results_url": reverse("api:batch-results", args=[batch.pk])}

    @extend_schema(request=BatchRequestSerializer, responses={202: BatchSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        """Up to 10,000 numbers (`{"items": [{"vat_number", "name"?}, ...]}`), verified in the background at
        the shared registry limit, behind people's own checks. Numbers that cannot be VAT numbers are
        refused at once (no registry asked). Follow `GET /batches/{id}/` and page through its results."""
        incoming = BatchRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        batch = batch_create(api_key=request.auth, items=incoming.validated_data["items"])
        return Response(self._shown(batch), status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: BatchSerializer})
    def retrieve(self, request: Request, pk: int) -> Response:
        return Response(self._shown(self.get_object()))

    @extend_schema(responses={200: BatchResultSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=ResultCursor)
    def results(self, request: Request, pk: int) -> Response:
        """Every item in submission order: the number as sent and normalised, why it was refused, or its check
        (null until it is verified)."""
        items = BatchItem.objects.filter(batch=self.get_object()).select_related("check_run__counterparty")
        items = items.prefetch_related("check_run__results")
        page = self.paginate_queryset(items)
        return self.get_paginated_response(BatchResultSerializer(page, many=True).data)
