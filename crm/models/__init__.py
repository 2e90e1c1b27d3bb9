"""The CRM's data: tenants and their people, the businesses they check, the checks, the alerts."""

from .alerts import Alert, AlertKind, Severity
from .checks import CheckResult, CheckStatus, CheckTrigger, VerificationCheck
from .counterparties import Company, Counterparty, MonitoringFrequency, Tag
from .exports import Export, ExportFormat, ExportKind, ExportState
from .history import ChangeAction, ChangeSource, CounterpartyChange
from .workspaces import Addressee, Invitation, Membership, Role, Workspace

__all__ = [
    "Addressee",
    "Alert",
    "AlertKind",
    "ChangeAction",
    "ChangeSource",
    "CheckResult",
    "CheckStatus",
    "CheckTrigger",
    "Company",
    "Counterparty",
    "CounterpartyChange",
    "Export",
    "ExportFormat",
    "ExportKind",
    "ExportState",
    "Invitation",
    "Membership",
    "MonitoringFrequency",
    "Role",
    "Severity",
    "Tag",
    "VerificationCheck",
    "Workspace",
]
