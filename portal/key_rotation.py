"""Re-sealing every value kept encrypted in the database under the current ``FIELD_ENCRYPTION_KEY`` version.

The columns are every ``EncryptedTextField`` of an installed model (found by type) and the columns
apps seal themselves with ``portal.field_crypto`` (CRM credentials, webhook secrets, mailbox passwords,
wrapped member keys), which each app names with ``register_sealed_column``. ``manage.py
rotate_field_keys`` walks them in primary-key batches and rewrites a row only while it still holds
the value that was read, so the portal keeps running: a concurrent write seals under the current
version anyway and wins. Both key versions open while it runs, so a run stopped half-way leaves
every value readable and the next run goes on where it is needed.

Blind indexes (``BLIND_INDEX_KEY``) are not versioned; ``blind_indexes_recompute`` rewrites them all
after that key changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

from portal import field_crypto
from portal.encrypted_fields import blind_index_fields, column_aad, encrypted_fields, index_value

BATCH_SIZE = 500


@dataclass(frozen=True)
class SealedColumn:
    """One database column holding values sealed with ``field_crypto``, and the AAD they were sealed with."""

    model: str  # app label and model name, "crm.CrmConnection"
    field: str
    aad: bytes
    binary: bool = False  # sealed with ``field_crypto.encrypt`` (a BinaryField), else ``encrypt_text``

    @property
    def label(self) -> str:
        return f"{self.model}.{self.field}"

    @property
    def model_class(self):
        return apps.get_model(self.model)


_registered: dict[tuple[str, str], SealedColumn] = {}


def register_sealed_column(model: str, field: str, *, aad: bytes, binary: bool = False) -> None:
    """Name a column an app seals itself with ``field_crypto``, so the rotation re-seals it too."""
    _registered[(model, field)] = SealedColumn(model=model, field=field, aad=aad, binary=binary)


def sealed_columns() -> list[SealedColumn]:
    """Every sealed column: the registered ones and every encrypted model field."""
    found = dict(_registered)
    for model in apps.get_models():
        for field in encrypted_fields(model):
            key = (model._meta.label, field.name)
            found[key] = SealedColumn(model=model._meta.label, field=field.name, aad=column_aad(model, field.name))
    return [found[key] for key in sorted(found)]


def _names(column: SealedColumn) -> tuple[str, str, str]:
    model = column.model_class
    quote = connection.ops.quote_name
    return (
        quote(model._meta.db_table),
        quote(model._meta.pk.column),
        quote(model._meta.get_field(column.field).column),
    )


def _batches(column: SealedColumn, *, batch_size: int) -> Iterator[list[tuple]]:
    """(pk, stored value) of the rows that may be sealed under an older version, in primary-key order."""
    table, pk, col = _names(column)
    current = field_crypto.current_version()
    if column.binary:
        condition = f"{col} IS NOT NULL"
        params: list = []
    else:
        # Text names its version: skip what the current key sealed (and empty values) in the database.
        condition = f"{col} LIKE %s AND {col} NOT LIKE %s"
        params = ["v%", f"v{current}:%"]
    last = None
    while True:
        after = "" if last is None else f" AND {pk} > %s"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {col} FROM {table} WHERE {condition}{after} ORDER BY {pk} LIMIT %s",  # noqa: S608 (quoted names)
                [*params, *([] if last is None else [last]), batch_size],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _outdated(column: SealedColumn, stored) -> bool:
    current = field_crypto.current_version()
    if column.binary:
        return field_crypto.blob_version(stored, aad=column.aad) != current
    return field_crypto.text_version(stored) not in (None, current)


def _resealed(column: SealedColumn, stored):
    if column.binary:
        return field_crypto.encrypt(field_crypto.decrypt(stored, aad=column.aad), aad=column.aad)
    return field_crypto.encrypt_text(field_crypto.decrypt_text(stored, aad=column.aad), aad=column.aad)


def remaining(column: SealedColumn, *, batch_size: int = BATCH_SIZE) -> int:
    """How many values of the column are still sealed under an older key version."""
    return sum(
        1 for rows in _batches(column, batch_size=batch_size) for _pk, stored in rows if _outdated(column, stored)
    )


def rotate(column: SealedColumn, *, batch_size: int = BATCH_SIZE) -> int:
    """Re-seal every value of the column that an older key version sealed; returns how many were rewritten."""
    table, pk, col = _names(column)
    rewritten = 0
    for rows in _batches(column, batch_size=batch_size):
        with transaction.atomic(), connection.cursor() as cursor:
            for pk_value, stored in rows:
                if not _outdated(column, stored):
                    continue
                stored = bytes(stored) if column.binary else stored
                cursor.execute(
                    f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s",  # noqa: S608 (quoted names)
                    [_resealed(column, stored), pk_value, stored],
                )
                rewritten += cursor.rowcount
    return rewritten


def blind_index_models() -> list:
    """The models that keep a blind index."""
    return [model for model in apps.get_models() if blind_index_fields(model)]


def blind_indexes_recompute(model, *, batch_size: int = BATCH_SIZE) -> int:
    """Recompute every blind index of the model under the current BLIND_INDEX_KEY; returns how many changed."""
    pairs = [(f.source, f.attname) for f in blind_index_fields(model)]
    names = [name for pair in pairs for name in pair]
    changed = 0
    last = None
    while True:
        rows = model._base_manager.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        batch = list(rows.values("pk", *names)[:batch_size])
        if not batch:
            return changed
        with transaction.atomic():
            for row in batch:
                update = {
                    index: value
                    for source, index in pairs
                    if (value := index_value(column_aad(model, source), row[source] or "")) != row[index]
                }
                if update:
                    # Only while the row still holds what was read: a concurrent save wrote a fresh index itself.
                    unchanged = {index: row[index] for index in update}
                    changed += model._base_manager.filter(pk=row["pk"], **unchanged).update(**update)
        last = batch[-1]["pk"]
