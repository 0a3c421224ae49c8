"""The JSON Schema (draft 2020-12) of the MyData ZIP, derived from the model fields the registry exports.

Every property is typed from its model field, so a member's program can rely on the types; the manifest
and the consent receipts, which do not come from the registry, are described by hand next to them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models

from consent import registry

DRAFT = "https://json-schema.org/draft/2020-12/schema"
PSEUDONYM_OR_YOU = r"^(you|export_[0-9]+_[a-z2-7]{20})$"
SHA256 = r"^[0-9a-f]{64}$"

MEDIA_JSON = "application/json"
MEDIA_CSV = "text/csv; charset=utf-8; header=present"
MEDIA_HTML = "text/html; charset=utf-8"

RECEIPT_COLUMNS = ("record_id", "index", "purpose", "kind", "created_at", "receipt_jws")


def is_free_text(field) -> bool:
    """Text anyone may have typed (a title, a post, a payload): other members' names are replaced in it."""
    if isinstance(field, models.JSONField):
        return True
    return isinstance(field, models.CharField | models.TextField) and not field.choices


def is_scalar(field) -> bool:
    """A value that fits one spreadsheet cell."""
    return not isinstance(field, models.JSONField | models.BinaryField)


def _nullable(schema: dict) -> dict:
    kind = schema["type"]
    schema["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _json_field(field) -> dict:
    default = field.default() if callable(field.default) else field.default
    if isinstance(default, dict):
        return {"type": "object"}
    if isinstance(default, list):
        return {"type": "array"}
    return {"type": ["object", "array"]}


def _plain_field(field) -> dict:
    """The exported form of a non-relation field (see ``export._plain``: dates as ISO 8601, decimals as text)."""
    if isinstance(field, models.BooleanField):
        return {"type": "boolean"}
    if isinstance(field, models.DateTimeField):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, models.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, models.IntegerField | models.AutoField):
        schema = {"type": "integer"}
        if isinstance(field, models.fields.PositiveIntegerRelDbTypeMixin):
            schema["minimum"] = 0
        return schema
    if isinstance(field, models.FloatField):
        return {"type": "number"}
    if isinstance(field, models.UUIDField):
        return {"type": "string", "format": "uuid"}
    if isinstance(field, models.JSONField):
        return _json_field(field)
    if isinstance(field, models.BinaryField):
        return {"type": "null", "$comment": "Binary values are left out of the export."}
    if isinstance(field, models.FileField):
        return {
            "type": "string",
            "$comment": "The file's path inside this ZIP (files/<category>/<name>), empty when there is none.",
        }
    if is_free_text(field):
        return {
            "type": "string",
            "$comment": f"Stored with at most {field.max_length} characters; other members' names are replaced "
            "by export pseudonyms, which may lengthen it."
            if field.max_length
            else "Other members' names are replaced by export pseudonyms.",
        }
    # Decimals, durations, addresses and the like are written as text (``json.dumps(default=str)``).
    schema = {"type": "string"}
    if getattr(field, "max_length", None):
        schema["maxLength"] = field.max_length
    return schema


def field_schema(field) -> dict:
    """The schema of one exported field: its JSON type, format and bounds, null where the column allows it."""
    if field.is_relation:
        if field.related_model is get_user_model():
            schema = {"type": "string", "pattern": PSEUDONYM_OR_YOU}
        else:
            # The related row's key, as ``values_list`` gives it (through parent links down to the integer).
            schema = {key: value for key, value in field_schema(field.target_field).items() if key != "$comment"}
        return _nullable(schema) if field.null else schema
    schema = _plain_field(field)
    if field.choices and "type" in schema and schema["type"] != "null":
        keys = [key for key, _label in field.flatchoices]
        if field.blank and "" not in keys and schema["type"] == "string":
            keys.append("")
        schema["enum"] = keys
    return _nullable(schema) if field.null else schema


def row_schema(rule: registry.PersonalData) -> dict:
    """One row of a category file as the export writes it: the source, then every export field."""
    model = rule.model_class
    properties = {"source": {"const": rule.model}}
    for name in rule.export_fields:
        properties[name] = field_schema(model._meta.get_field(name))
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def category_schema(group: list[registry.PersonalData]) -> dict:
    variants = [row_schema(rule) for rule in group]
    if len(variants) == 1:
        items = variants[0]
    elif len({rule.model for rule in group}) == len(group):
        items = {"oneOf": variants}
    else:
        # Two rules of one model in one category may describe the same row: either may match.
        items = {"anyOf": variants}
    return {"type": "array", "items": items}


def _receipts_schema() -> dict:
    properties = {
        "record_id": {"type": "string", "format": "uuid"},
        "index": {"type": "integer", "minimum": 0},
        "purpose": {"type": "string"},
        "kind": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "receipt_jws": {"type": "string", "pattern": r"^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$"},
    }
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        },
    }


def _manifest_schema(version: str) -> dict:
    entry = {
        "type": "object",
        "properties": {
            # Stored files the member gave (a profile picture) are under files/<category>/, as they were stored.
            "name": {"type": "string", "pattern": r"^([a-z0-9_]+\.(json|csv|html)|files/[a-z0-9_]+/[A-Za-z0-9_.-]+)$"},
            "sha256": {"type": "string", "pattern": SHA256},
            "rows": {"type": ["integer", "null"], "minimum": 0},
            "media_type": {
                "anyOf": [{"enum": [MEDIA_JSON, MEDIA_CSV, MEDIA_HTML]}, {"pattern": "^[a-z]+/[a-z0-9.+-]+$"}]
            },
            "delimiter": {"enum": [",", ";"]},
        },
        "required": ["name", "sha256", "rows", "media_type"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "schema_version": {"const": version},
            "generated_at": {"type": "string", "format": "date-time"},
            "files": {"type": "array", "items": entry},
        },
        "required": ["schema_version", "generated_at", "files"],
        "additionalProperties": False,
    }


def json_schema(groups: dict[str, list[registry.PersonalData]], *, version: str) -> dict:
    """A JSON Schema (2020-12) describing every JSON file of the export: categories, receipts, manifest."""
    defs = {category: category_schema(group) for category, group in groups.items()}
    defs["consent_receipts"] = _receipts_schema()
    defs["manifest"] = _manifest_schema(version)
    return {
        "$schema": DRAFT,
        "title": "MyData export",
        "description": "Each file <name>.json holds the value described under $defs/<name> (manifest.json: "
        "$defs/manifest). A <name>.csv next to it holds the same rows as a table (UTF-8 with byte order mark, "
        "a header row; the delimiter is named in the manifest). Other members appear only as pseudonyms "
        "(export_1_...); 'you' is the member the export belongs to.",
        "$defs": defs,
    }
