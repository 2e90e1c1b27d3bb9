"""VAT number verification: normalisation, registry clients, the shared registry rate limit, verdicts.

Knows registries and verdicts, nothing about users, workspaces or tables. The public entry point is
``verification.service.verify_vat``; the verdict types live in ``verification.verdicts``.
"""
