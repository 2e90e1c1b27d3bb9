"""One check with its evidence, and its proof document (the PDF of the web application's proof page)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from crm.models import VerificationCheck
from dashboard.proof import proof_for, proof_pdf

from ..renderers import PdfRenderer
from ..serializers import CheckSerializer
from .base import WorkspaceScoped


@extend_schema(tags=["checks"])
class CheckViewSet(WorkspaceScoped, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    model = VerificationCheck
    serializer_class = CheckSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("counterparty", "triggered_by").prefetch_related("results")

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The proof document."),
            (200, "application/json"): CheckSerializer,
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[PdfRenderer, JSONRenderer])
    def proof(self, request: Request, pk: int) -> Response:
        """The proof of the check as a PDF (who asked, when, what the registry answered, its consultation
        number, a SHA-256 of the raw answer kept); with `Accept: application/json`, the check and its evidence."""
        check = self.get_object()
        if request.accepted_renderer.format != PdfRenderer.format:
            return Response(self.get_serializer(check).data)
        filename = f"proof-{check.counterparty.vat_number}-{check.started_at:%Y%m%d-%H%M%S}-{check.pk}.pdf"
        content = proof_pdf(proof_for(check), workspace_name=self.workspace.name)
        return Response(content, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
