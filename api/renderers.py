"""The proof document as application/pdf (dashboard/proof.py draws it; the API serves the same bytes)."""

from __future__ import annotations

import json

from rest_framework.renderers import BaseRenderer


class PdfRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        # An error on this route (404, 429): its problem+json body, under the problem's own content type.
        return json.dumps(data).encode()
