"""Model fields that keep what identifies a person privately (e-mail, real name, chat lines) encrypted at rest.

A value is sealed with ``portal.field_crypto`` (AES-256-GCM, ``FIELD_ENCRYPTION_KEY`` with key versions)
and stored as ``v<version>:<base64url>``; its associated data names the column
(``"<app_label>.<model>.<field>"``), so a value copied into another column or row kind does not open
there. An empty value stays empty (it reveals nothing), NULL stays NULL.

The database cannot compare sealed values, so an encrypted field refuses every lookup except
``isnull``: a stray ``filter(email=...)`` fails loudly instead of silently matching nothing. Values
that are looked up get a keyed blind index next to them (``BlindIndexField``): HMAC-SHA256 under
``BLIND_INDEX_KEY`` over the normalised value (stripped, lower-cased), kept in ``<field>_index`` with
the uniqueness the clear column had; ``blind_index(Model, "email", value)`` gives what to filter on.

The blind index key is not versioned: ``manage.py rotate_field_keys --blind-indexes`` recomputes every
index after it changed (look-ups by address fail for the rows not yet recomputed).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core import validators
from django.core.exceptions import FieldError
from django.db import migrations, models

from portal import field_crypto
from portal.keys import parse_blind_index_key

INDEX_LENGTH = 64  # hex of a SHA-256 HMAC


class UndecryptableValue(Exception):
    """A stored value does not open: another key under the same version, an edited byte, or a copied value."""


def column_aad(model, field_name: str) -> bytes:
    """What a value of this column is bound to: ``"<app_label>.<model>.<field>"``."""
    meta = model._meta
    return f"{meta.app_label}.{meta.model_name}.{field_name}".encode()


def seal(value: str, *, aad: bytes) -> str:
    """The stored form of a clear value (``""`` stays ``""``)."""
    return field_crypto.encrypt_text(value.encode(), aad=aad) if value else value


def unseal(stored: str, *, aad: bytes) -> str:
    """The clear value of a stored one; a value that does not open raises ``UndecryptableValue`` naming the column."""
    if not stored:
        return stored
    try:
        return field_crypto.decrypt_text(stored, aad=aad).decode()
    except InvalidTag:
        version = stored.partition(":")[0]
        raise UndecryptableValue(
            f"a value of {aad.decode()} does not open under FIELD_ENCRYPTION_KEY {version or '(no version mark)'}: "
            "the key of that version is not the one it was sealed with, the value was edited, or it was copied "
            "from another column"
        ) from None


class EncryptedTextField(models.TextField):
    """Free text stored sealed under ``FIELD_ENCRYPTION_KEY``; only ``isnull`` can be asked of it in a query.

    ``max_length`` limits the clear value (forms and model validation); the column is unbounded text
    because the sealed form is longer.
    """

    description = "Text encrypted at rest (AES-256-GCM)"
    encrypted = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    @property
    def aad(self) -> bytes:
        return column_aad(self.model, self.name)

    def from_db_value(self, value, expression, connection):
        return value if value is None else unseal(value, aad=self.aad)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return value if value is None else seal(value, aad=self.aad)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(self._refusal(f"the lookup '{lookup_name}'"))

    def get_transform(self, lookup_name):
        raise FieldError(self._refusal(f"the transform '{lookup_name}'"))

    def _refusal(self, what: str) -> str:
        label = f"{self.model._meta.label}.{self.name}"
        hint = (
            f" Filter on {self.name}_index with portal.encrypted_fields.blind_index(...) instead."
            if any(isinstance(f, BlindIndexField) and f.source == self.name for f in self.model._meta.concrete_fields)
            else ""
        )
        return f"{label} is encrypted at rest: the database cannot apply {what} to it; only isnull works.{hint}"


class EncryptedCharField(EncryptedTextField):
    """A one-line encrypted value (a name): a text input in forms, ``max_length`` checked on the clear value."""

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class EncryptedEmailField(EncryptedCharField):
    """An e-mail address stored sealed; find it through its blind index."""

    default_validators = [validators.validate_email]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"form_class": forms.EmailField, "widget": forms.EmailInput, **kwargs})


@lru_cache(maxsize=4)
def _index_key(value: str) -> bytes:
    return parse_blind_index_key(value)


def normalised(value: str) -> str:
    """What a blind index is computed over: the value stripped and lower-cased (addresses match case-insensitively)."""
    return (value or "").strip().lower()


def index_value(aad: bytes, value: str) -> str:
    """HMAC-SHA256 under BLIND_INDEX_KEY of the column's name and the normalised value; ``""`` for an empty value."""
    clear = normalised(value)
    if not clear:
        return ""
    return hmac.new(_index_key(settings.BLIND_INDEX_KEY), aad + b"\x00" + clear.encode(), hashlib.sha256).hexdigest()


class BlindIndexField(models.CharField):
    """The keyed blind index of an encrypted column, kept up to date whenever the row is saved.

    Declared as ``<field>_index = BlindIndexField(source="<field>")``; a ``save(update_fields=...)`` that
    names the source must name the index too (``index_fields(Model, ...)`` adds it).
    """

    description = "Keyed blind index of an encrypted column"

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", INDEX_LENGTH)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if kwargs.get("max_length") == INDEX_LENGTH:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = index_value(column_aad(type(model_instance), self.source), getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class BlindIndexQuerySet(models.QuerySet):
    """A queryset whose ``update(email=...)`` writes the blind index with the value (``save`` does it in pre_save)."""

    def update(self, **kwargs):
        for field in blind_index_fields(self.model):
            if field.source in kwargs and field.name not in kwargs and isinstance(kwargs[field.source], str):
                kwargs[field.name] = blind_index(self.model, field.source, kwargs[field.source])
        return super().update(**kwargs)


def blind_index(model, field_name: str, value: str) -> str:
    """The blind index a row of ``model`` holds in ``<field_name>_index`` when ``field_name`` is ``value``."""
    return index_value(column_aad(model, field_name), value)


def index_fields(model, *names: str) -> list[str]:
    """``update_fields`` for these changed columns, each followed by its blind index where it has one."""
    indexed = {f.source: f.name for f in blind_index_fields(model)}
    return [name for field in names for name in (field, indexed.get(field)) if name]


def encrypted_fields(model) -> list[EncryptedTextField]:
    """The encrypted columns of a model."""
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField) and f.model is model]


def blind_index_fields(model) -> list[BlindIndexField]:
    """The blind-index columns of a model."""
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


# --- Migrations ---------------------------------------------------------------------------------------


def _encrypt_rows(app_label: str, model_name: str, field_names: tuple[str, ...]):
    def forward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        columns = [model._meta.get_field(name).column for name in field_names]
        indexes = {f.source: f.attname for f in blind_index_fields(model)}
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        last = None
        while True:
            with connection.cursor() as cursor:
                where = "" if last is None else f" WHERE {pk} > %s"
                cursor.execute(
                    f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {table}{where} ORDER BY {pk} LIMIT 500",  # noqa: S608 (quoted names)
                    [] if last is None else [last],
                )
                rows = cursor.fetchall()
            if not rows:
                return
            for pk_value, *values in rows:
                changes = {}
                for name, value in zip(field_names, values, strict=True):
                    if value is None or value == "":
                        clear = value
                    else:
                        clear = _clear_or_sealed(value, aad=column_aad(model, name))
                    changes[name] = clear
                    if name in indexes:
                        changes[indexes[name]] = index_value(column_aad(model, name), clear or "")
                model._base_manager.filter(pk=pk_value).update(**changes)
            last = rows[-1][0]

    def backward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        for row in model._base_manager.values("pk", *field_names).iterator(chunk_size=500):
            assignments = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in field_names)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608 (quoted names)
                    [*(row[name] for name in field_names), row["pk"]],
                )

    return forward, backward


def _clear_or_sealed(value: str, *, aad: bytes) -> str:
    """A clear value as it is; a value some earlier run sealed already, opened (so re-running never seals twice)."""
    if field_crypto.looks_sealed(value):
        try:
            return field_crypto.decrypt_text(value, aad=aad).decode()
        except (InvalidTag, field_crypto.UnknownKeyVersion):
            return value
    return value


def encrypt_columns(app_label: str, model_name: str, *field_names: str) -> migrations.RunPython:
    """A data migration sealing the clear values of these (now encrypted) columns and filling their blind indexes.

    Runs after the ``AlterField`` that made them encrypted; its reverse writes the clear values back before
    the reverse ``AlterField`` (raw SQL both ways: the clear values cannot pass through the encrypted field).
    """
    forward, backward = _encrypt_rows(app_label, model_name, tuple(field_names))
    return migrations.RunPython(forward, backward, elidable=False)
