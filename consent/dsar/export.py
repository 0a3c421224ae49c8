"""The MyData ZIP (Art. 15, 20), driven only by the personal-data registry.

Rows are streamed: each category's JSON array is written into the ZIP entry by entry from a
``.iterator(chunk_size=2000)`` over ``values_list``, so memory stays flat as the member's data grows.
Other members appear only by their ``export`` pseudonym.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import timezone, translation

from consent import registry
from consent.pseudonyms import pseudonym_for

SCHEMA_VERSION = "1.0"
CHUNK = 2000


def exports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class _Ref:
    """The smallest stand-in for a member that ``pseudonym_for`` accepts (it needs only the pk)."""

    def __init__(self, pk: int):
        self.pk = pk


class _Columns:
    """How one rule's export fields are read (attname for foreign keys) and rendered."""

    def __init__(self, rule: registry.PersonalData):
        model = rule.model_class
        user_model = get_user_model()
        self.names: list[str] = []
        self.columns: list[str] = []
        self.member_refs: set[int] = set()
        for position, name in enumerate(rule.export_fields):
            field = model._meta.get_field(name)
            self.names.append(name)
            if field.is_relation and (field.many_to_one or field.one_to_one):
                self.columns.append(field.attname)
                if field.related_model is user_model:
                    self.member_refs.add(position)
            else:
                self.columns.append(name)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


class ExportWriter:
    """Writes one member's ZIP; ``write`` returns (sha256 of the ZIP, size, rows)."""

    def __init__(self, user, path: Path):
        self.user = user
        self.path = path
        self.hashes: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self._pseudonyms: dict[int, str] = {}

    def _member(self, user_id):
        if user_id is None:
            return None
        if user_id == self.user.pk:
            return "you"
        if user_id not in self._pseudonyms:
            self._pseudonyms[user_id] = pseudonym_for(_Ref(user_id), "export")
        return self._pseudonyms[user_id]

    def _rows(self, rule: registry.PersonalData):
        columns = _Columns(rule)
        model = rule.model_class
        lookup = "pk" if rule.subject == "pk" else rule.subject
        queryset = model._default_manager.filter(**{lookup: self.user.pk}).order_by("pk")
        for values in queryset.values_list(*columns.columns).iterator(chunk_size=CHUNK):
            row = {}
            for position, (name, value) in enumerate(zip(columns.names, values, strict=True)):
                row[name] = self._member(value) if position in columns.member_refs else _plain(value)
            yield row

    def _write_json(self, archive: zipfile.ZipFile, name: str, chunks) -> None:
        digest = hashlib.sha256()
        with archive.open(name, "w") as entry:
            for chunk in chunks:
                data = chunk.encode()
                digest.update(data)
                entry.write(data)
        self.hashes[name] = digest.hexdigest()

    def _category(self, category: str, group: list[registry.PersonalData]):
        count = 0
        yield "[\n"
        for rule in group:
            for row in self._rows(rule):
                yield ("" if count == 0 else ",\n") + json.dumps(
                    {"source": rule.model, **row}, ensure_ascii=False, default=str
                )
                count += 1
        yield "\n]\n"
        self.counts[category] = count

    def _consent_receipts(self):
        from consent.receipts import receipt_for
        from consent.selectors import history_for

        count = 0
        yield "[\n"
        for event in history_for(user=self.user, limit=100_000):
            item = {
                "record_id": str(event.record_id),
                "index": event.index,
                "purpose": event.purpose_code,
                "kind": event.kind,
                "created_at": event.created_at.isoformat(),
                "receipt_jws": receipt_for(event),
            }
            yield ("" if count == 0 else ",\n") + json.dumps(item, ensure_ascii=False)
            count += 1
        yield "\n]\n"
        self.counts["consent_receipts"] = count

    def write(self) -> int:
        groups: dict[str, list[registry.PersonalData]] = defaultdict(list)
        for rule in registry.rules():
            if rule.category and rule.subject and rule.export_fields:
                groups[rule.category].append(rule)
        generated = timezone.now()
        with zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for category in sorted(groups):
                self._write_json(archive, f"{category}.json", self._category(category, groups[category]))
            self._write_json(archive, "consent_receipts.json", self._consent_receipts())
            schema = json_schema(groups)
            self._write_json(archive, "schema.json", [json.dumps(schema, indent=2)])
            with translation.override(self.user.preferred_language or settings.LANGUAGE_CODE):
                index = render_to_string(
                    "dsar/export_index.html",
                    {"member": self.user, "generated_at": generated, "counts": sorted(self.counts.items())},
                )
            self._write_json(archive, "index.html", [index])
            manifest = {
                "schema_version": SCHEMA_VERSION,
                "generated_at": generated.isoformat(),
                "files": [
                    {"name": name, "sha256": sha, "rows": self.counts.get(name[:-5])}
                    for name, sha in self.hashes.items()
                ],
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        return sum(self.counts.values())


def json_schema(groups: dict[str, list[registry.PersonalData]]) -> dict:
    """A JSON Schema (2020-12) describing every category file of the export."""
    defs = {}
    for category, group in groups.items():
        variants = []
        for rule in group:
            properties = {"source": {"const": rule.model}}
            properties.update({name: {} for name in rule.export_fields})
            variants.append({"type": "object", "properties": properties, "required": ["source"]})
        defs[category] = {"type": "array", "items": {"oneOf": variants} if len(variants) > 1 else variants[0]}
    defs["consent_receipts"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "record_id": {"type": "string"},
                "index": {"type": "integer"},
                "purpose": {"type": "string"},
                "kind": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "receipt_jws": {"type": "string"},
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "MyData export",
        "description": "Each file <name>.json holds the array described under $defs/<name>. Other members "
        "appear only as pseudonyms (export_1_...); 'you' is the member the export belongs to.",
        "$defs": defs,
    }
