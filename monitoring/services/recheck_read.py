"""The re-check's first statement: everything it reads before the registry call, in one hand-written query.

Why SQL by hand: built through the ORM (select_related over three tables, an Exists and seven Subqueries),
this one statement cost about 8 ms of worker CPU per re-check, half of the whole re-check, to build and
compile the same text every time; issue #13's 150 re-checks/s on two cores leave well under 10 ms for
everything. Here the text is built once per process from the models' own column lists (a column added to
a model is read too), and each row becomes model instances through the fields' own converters, as the ORM
does. Two LATERAL joins replace the seven subqueries: the workspace's requester company (a workspace has
one or two) and the counterparty's last definitive check (an index scan of `check_history`). Other
databases (SQLite, which has no LATERAL) read the same through the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models

from crm.models import CheckStatus, Company, Counterparty, VerificationCheck, Workspace

from ..models import MonitoringRun, Recheck

# What the re-check needs of the requester company and of the last definitive check.
COMPANY_FIELDS = ("id", "name", "vat_number", "requester_rejected_at")
PREVIOUS_FIELDS = ("id", "started_at", "overall_status")


@dataclass(frozen=True)
class RecheckContext:
    """The Recheck row with its run, counterparty and workspace attached, and what the re-check compares with."""

    item: Recheck
    already_stored: bool  # this attempt's check exists: a redelivered message
    company: Company | None  # the workspace's requester (unsaved instance of the columns read)
    previous_check: VerificationCheck | None  # the last definitive check (the columns read)


Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Columns:
    """One model's columns in the statement: the SQL list, and the converters of the fields that have any."""

    model: type[models.Model]
    fields: tuple[models.Field, ...]
    sql: str
    converters: tuple[tuple[int, models.Expression, tuple[Converter, ...]], ...]

    @classmethod
    def of(cls, model: type[models.Model], alias: str, names: Sequence[str] | None = None) -> _Columns:
        meta = model._meta
        fields = tuple(meta.concrete_fields if names is None else (meta.get_field(name) for name in names))
        quote = connection.ops.quote_name
        sql = ", ".join(f"{alias}.{quote(field.column)}" for field in fields)
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, column, tuple(found)))
        return cls(model, fields, sql, tuple(converters))

    def values(self, row: Sequence[Any], start: int) -> list[Any]:
        values = list(row[start : start + len(self.fields)])
        for index, column, converters in self.converters:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return values

    def instance(self, row: Sequence[Any], start: int) -> models.Model:
        """A loaded instance (as a queryset makes it) from every concrete column."""
        return self.model.from_db(connection.alias, [field.attname for field in self.fields], self.values(row, start))


@dataclass(frozen=True)
class _Statement:
    sql: str
    recheck: _Columns
    run: _Columns
    counterparty: _Columns
    workspace: _Columns
    company: _Columns
    previous: _Columns


@functools.cache
def _statement() -> _Statement:
    """The statement's text and columns, once per process (the models do not change while it runs)."""
    parts = _Statement(
        sql="",
        recheck=_Columns.of(Recheck, "r"),
        run=_Columns.of(MonitoringRun, "ru"),
        counterparty=_Columns.of(Counterparty, "cp"),
        workspace=_Columns.of(Workspace, "ws"),
        company=_Columns.of(Company, "co", COMPANY_FIELDS),
        previous=_Columns.of(VerificationCheck, "pv", PREVIOUS_FIELDS),
    )
    quote = connection.ops.quote_name
    tables = {model: quote(model._meta.db_table) for model in (Recheck, MonitoringRun, Counterparty, Workspace)}
    company, check = quote(Company._meta.db_table), quote(VerificationCheck._meta.db_table)
    sql = f"""
        SELECT {parts.recheck.sql}, {parts.run.sql}, {parts.counterparty.sql}, {parts.workspace.sql},
               EXISTS (SELECT 1 FROM {check} k WHERE k.idempotency_key = %(key)s),
               {parts.company.sql}, {parts.previous.sql}
        FROM {tables[Recheck]} r
        JOIN {tables[MonitoringRun]} ru ON ru.id = r.run_id
        JOIN {tables[Counterparty]} cp ON cp.id = r.counterparty_id
        JOIN {tables[Workspace]} ws ON ws.id = cp.workspace_id
        LEFT JOIN LATERAL (
            SELECT {", ".join(COMPANY_FIELDS)} FROM {company}
            WHERE workspace_id = r.workspace_id ORDER BY is_default DESC, id LIMIT 1
        ) co ON TRUE
        LEFT JOIN LATERAL (
            SELECT {", ".join(PREVIOUS_FIELDS)} FROM {check}
            WHERE counterparty_id = r.counterparty_id AND overall_status = ANY(%(definitive)s)
            ORDER BY started_at DESC, id DESC LIMIT 1
        ) pv ON TRUE
        WHERE r.run_id = %(run)s AND r.counterparty_id = %(counterparty)s
    """
    return _Statement(**{**parts.__dict__, "sql": " ".join(sql.split())})


def recheck_context_read(*, run_id: int, counterparty_id: int, key: str) -> RecheckContext | None:
    """The Recheck row of (run, counterparty) and everything the re-check reads: one statement, or None.

    The company and the last definitive check are read again under the lock only if the counterparty took
    another check meanwhile (monitoring/services/recheck.py).
    """
    if connection.vendor != "postgresql":
        return _read_through_the_orm(run_id=run_id, counterparty_id=counterparty_id, key=key)
    statement = _statement()
    params = {
        "key": key,
        "definitive": list(CheckStatus.definitive()),
        "run": run_id,
        "counterparty": counterparty_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    at = 0
    loaded = []
    for columns in (statement.recheck, statement.run, statement.counterparty, statement.workspace):
        loaded.append(columns.instance(row, at))
        at += len(columns.fields)
    item, run, counterparty, workspace = loaded
    # As select_related leaves them: the relations are cached, so that nothing below queries them again.
    Counterparty.workspace.field.set_cached_value(counterparty, workspace)
    Recheck.run.field.set_cached_value(item, run)
    Recheck.counterparty.field.set_cached_value(item, counterparty)
    already_stored = bool(row[at])
    at += 1
    company_values = statement.company.values(row, at)
    previous_values = statement.previous.values(row, at + len(COMPANY_FIELDS))
    company = previous = None
    if company_values[0] is not None:
        company = Company(**dict(zip(COMPANY_FIELDS, company_values, strict=True)), workspace_id=item.workspace_id)
    if previous_values[0] is not None:
        previous = VerificationCheck(
            **dict(zip(PREVIOUS_FIELDS, previous_values, strict=True)),
            workspace_id=item.workspace_id,
            counterparty_id=item.counterparty_id,
        )
    return RecheckContext(item=item, already_stored=already_stored, company=company, previous_check=previous)


def _read_through_the_orm(*, run_id: int, counterparty_id: int, key: str) -> RecheckContext | None:
    """The same reads in four ORM queries, for databases without LATERAL (SQLite under `make run`)."""
    item = (
        Recheck.objects.select_related("run", "counterparty__workspace")
        .filter(run_id=run_id, counterparty_id=counterparty_id)
        .first()
    )
    if item is None:
        return None
    company = (
        Company.objects.filter(workspace_id=item.workspace_id)
        .order_by("-is_default", "id")
        .only(*COMPANY_FIELDS)
        .first()
    )
    previous = (
        VerificationCheck.objects.filter(counterparty_id=counterparty_id, overall_status__in=CheckStatus.definitive())
        .order_by("-started_at", "-id")
        .only(*PREVIOUS_FIELDS, "workspace_id", "counterparty_id")
        .first()
    )
    return RecheckContext(
        item=item,
        already_stored=VerificationCheck.objects.filter(idempotency_key=key).exists(),
        company=company,
        previous_check=previous,
    )
