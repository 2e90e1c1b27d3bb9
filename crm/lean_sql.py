"""INSERTs and UPDATEs whose SQL is built once per process: the writes of monitoring's nightly re-check.

Why: a re-check writes the same few statements a hundred thousand times a night, and Django builds and
compiles each one again every time (resolving the fields, the lookups and the expressions): about 3 ms of
a re-check's CPU for five short statements, when issue #13 leaves well under 10 ms for all of it. These
helpers keep what the ORM does to the values (each field's `pre_save` and `get_db_prep_save`: defaults,
`auto_now`, JSON, the compressed evidence) and the signals `save()` sends, and cache only the text. Every
column name comes from the models' metadata, so a renamed or added field is followed.

Only what the re-check needs: an INSERT of whole rows with a serial primary key, and an UPDATE of one row
by equality (None meaning IS NULL) that sets values and adds to counters.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import NOT_PROVIDED
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save

__all__ = ["insert_one", "insert_rows", "update_where"]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _insert_statement(model: type[models.Model], rows: int) -> tuple[str, tuple[models.Field, ...]]:
    meta = model._meta
    pk = meta.pk
    if not isinstance(pk, AutoFieldMixin):
        raise TypeError(f"{meta.label}: lean inserts need a serial primary key")
    fields = tuple(field for field in meta.concrete_fields if field is not pk)
    if any(field.db_default is not NOT_PROVIDED for field in fields):  # the ORM would leave these to the database
        raise TypeError(f"{meta.label}: lean inserts do not support db_default")
    columns = ", ".join(_quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {_quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * rows)} "
        f"RETURNING {_quote(pk.column)}"
    )
    return sql, fields


def insert_rows(objs: Sequence[models.Model]) -> None:
    """INSERT new instances of one model in one statement, as bulk_create does (no signals); sets their pks."""
    if not objs:
        return
    model = type(objs[0])
    sql, fields = _insert_statement(model, len(objs))
    params: list[Any] = []
    for obj in objs:
        params.extend(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_one(obj: models.Model) -> None:
    """obj.save(force_insert=True) of a new instance, with its pre_save and post_save signals."""
    model = type(obj)
    pre_save.send(sender=model, instance=obj, raw=False, using=connection.alias, update_fields=None)
    insert_rows([obj])
    post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=connection.alias)


@functools.cache
def _update_statement(
    model: type[models.Model], where: tuple[tuple[str, bool], ...], assign: tuple[str, ...], add: tuple[str, ...]
) -> str:
    def column(attname: str) -> str:
        return _quote(_field(model, attname).column)

    sets = [f"{column(name)} = %s" for name in assign] + [f"{column(name)} = {column(name)} + %s" for name in add]
    conditions = [f"{column(name)} IS NULL" if is_null else f"{column(name)} = %s" for name, is_null in where]
    return f"UPDATE {_quote(model._meta.db_table)} SET {', '.join(sets)} WHERE {' AND '.join(conditions)}"


@functools.cache
def _columns(model: type[models.Model]) -> dict[str, models.Field]:
    return {"pk": model._meta.pk, **{field.attname: field for field in model._meta.concrete_fields}}


def _field(model: type[models.Model], attname: str) -> models.Field:
    field = _columns(model).get(attname)
    if field is None:
        raise ValueError(f"{model._meta.label} has no column {attname!r}")
    return field


def update_where(
    model: type[models.Model],
    *,
    where: dict[str, Any],
    values: dict[str, Any] | None = None,
    add: dict[str, int] | None = None,
) -> int:
    """UPDATE the rows matching `where` (attnames: equality, None is IS NULL); returns how many were updated.

    `values` are set as they are (prepared by their fields, as QuerySet.update does; no auto_now), `add`
    is added to integer columns (F(name) + n).
    """
    values, add = values or {}, add or {}
    if not where or not (values or add):
        raise ValueError("update_where needs a condition and something to set")
    shape = tuple((name, value is None) for name, value in where.items())
    sql = _update_statement(model, shape, tuple(values), tuple(add))
    params = [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]
    params += list(add.values())
    params += _prepared(model, ((name, value) for name, value in where.items() if value is not None))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _prepared(model: type[models.Model], pairs: Iterable[tuple[str, Any]]) -> list[Any]:
    return [_field(model, name).get_db_prep_value(value, connection, prepared=False) for name, value in pairs]
