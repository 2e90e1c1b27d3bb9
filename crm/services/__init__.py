"""Writes that span several CRM models: one function each, keyword-only arguments, one transaction."""

from .verification import CounterpartyInput, requester_for, run_verification, verdict_store
from .workspaces import (
    company_set_requester,
    invitation_accept,
    invitation_accept_pending_for,
    invitation_create,
    workspace_create_for_user,
)

__all__ = [
    "CounterpartyInput",
    "company_set_requester",
    "invitation_accept",
    "invitation_accept_pending_for",
    "invitation_create",
    "requester_for",
    "run_verification",
    "verdict_store",
    "workspace_create_for_user",
]
