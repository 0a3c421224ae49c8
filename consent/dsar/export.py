"""The MyData ZIP (Art. 15, 20), driven only by the personal-data registry.

Rows are streamed: each category's JSON array is written into the ZIP entry by entry from a
``.iterator(chunk_size=2000)`` over ``values_list``, so memory stays flat as the member's data grows.
The same rows go, as they stream, into the sections of a readable ``index.html`` (a table per
source, labels in the member's language, every value escaped) kept in a temporary file until the
summary on top is known. Categories whose rows are flat tables also go, as they stream, into a CSV
kept in a temporary file and added next to the JSON. Other members appear only by their ``export``
pseudonym: in the columns that link to them and, through ``export_names``, inside every text.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import tempfile
import zipfile
from collections import defaultdict
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import models
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy

from consent import registry
from consent.dsar.export_csv import CsvTable, csv_delimiter, is_tabular
from consent.dsar.export_names import OtherMembers
from consent.dsar.export_schema import (
    MEDIA_CSV,
    MEDIA_HTML,
    MEDIA_JSON,
    RECEIPT_COLUMNS,
    is_free_text,
    json_schema,
)
from consent.pseudonyms import pseudonym_for

SCHEMA_VERSION = "1.0"
CHUNK = 2000
SECTIONS_MARK = "<!-- sections -->"


def exports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class _Ref:
    """The smallest stand-in for a member that ``pseudonym_for`` accepts (it needs only the pk)."""

    def __init__(self, pk: int):
        self.pk = pk


class _Columns:
    """How one rule's export fields are read (attname for foreign keys), labelled and rendered."""

    def __init__(self, rule: registry.PersonalData, exported: set[str]):
        model = rule.model_class
        user_model = get_user_model()
        self.names: list[str] = []
        self.columns: list[str] = []
        self.fields = []
        self.member_refs: set[int] = set()
        self.links: dict[int, str] = {}  # position -> anchor prefix of the exported model it points to
        self.choices: dict[int, dict] = {}  # position -> {stored value: translated label}
        self.texts: set[int] = set()  # positions of free text, where other members' names are replaced
        self.files: set[int] = set()  # positions of stored files, which go into the ZIP under files/
        for position, name in enumerate(rule.export_fields):
            field = model._meta.get_field(name)
            self.names.append(name)
            self.fields.append(field)
            if field.is_relation and (field.many_to_one or field.one_to_one):
                self.columns.append(field.attname)
                if field.related_model is user_model:
                    self.member_refs.add(position)
                elif field.related_model._meta.label_lower in exported:
                    self.links[position] = _anchor_prefix(field.related_model._meta.label_lower)
            else:
                self.columns.append(name)
                # The member's own account row is theirs alone: a neighbour's handle equal to their first
                # name must not change it.
                if is_free_text(field) and rule.subject != "pk":
                    self.texts.add(position)
                if field.choices:
                    self.choices[position] = {key: str(label) for key, label in field.flatchoices}
                if isinstance(field, models.FileField):
                    self.files.add(position)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def _anchor_prefix(label_lower: str) -> str:
    return "row-" + label_lower.replace(".", "-")


# Headings of the index's sections; a category an app adds later falls back to its file name.
CATEGORY_LABELS = {
    "profile": gettext_lazy("Your profile"),
    "threads": gettext_lazy("Your questions (threads)"),
    "posts": gettext_lazy("Your posts"),
    "post_revisions": gettext_lazy("Earlier versions of your posts"),
    "post_edits": gettext_lazy("Posts you edited"),
    "reactions": gettext_lazy("Your reactions"),
    "mentions": gettext_lazy("Mentions"),
    "watches": gettext_lazy("Threads, forums and tags you watch, track or mute"),
    "bookmarks": gettext_lazy("Your bookmarks"),
    "read_positions": gettext_lazy("How far you read each thread"),
    "flags": gettext_lazy("Your reports of posts"),
    "ideas": gettext_lazy("Your ideas"),
    "votes": gettext_lazy("Your votes"),
    "idea_comments": gettext_lazy("Your comments on ideas"),
    "idea_follows": gettext_lazy("Ideas you follow"),
    "chats": gettext_lazy("Your support chats"),
    "chat_messages": gettext_lazy("Messages in your chats"),
    "chat_messages_written": gettext_lazy("Chat messages you wrote"),
    "notifications": gettext_lazy("Your notifications"),
    "notification_preferences": gettext_lazy("Your notification settings"),
    "consents": gettext_lazy("Your consents"),
    "consent_receipts": gettext_lazy("Consent receipts"),
    "pseudonyms": gettext_lazy("Your pseudonyms"),
    "moderation_actions": gettext_lazy("Moderation actions about you"),
    "crm_cards": gettext_lazy("What was sent to our CRM"),
    "crm_deliveries": gettext_lazy("Deliveries to the CRM"),
    "data_access_log": gettext_lazy("Who accessed your data"),
    "data_exports": gettext_lazy("Your data exports"),
    "access_requests": gettext_lazy("Your privacy requests"),
    "access_request_history": gettext_lazy("History of your privacy requests"),
    "processing_restrictions": gettext_lazy("Restrictions of processing"),
    "inactivity_warnings": gettext_lazy("Inactivity warnings"),
}

# Column headings for fields whose model gives no translated label of its own.
FIELD_LABELS = {
    "created_at": gettext_lazy("created"),
    "updated_at": gettext_lazy("updated"),
    "edited_at": gettext_lazy("edited"),
    "body": gettext_lazy("text"),
    "title": gettext_lazy("title"),
    "kind": gettext_lazy("kind"),
    "state": gettext_lazy("state"),
    "status": gettext_lazy("status"),
    "action": gettext_lazy("action"),
    "reason": gettext_lazy("reason"),
    "purpose": gettext_lazy("purpose"),
    "thread": gettext_lazy("thread"),
    "post": gettext_lazy("post"),
    "idea": gettext_lazy("idea"),
    "chat": gettext_lazy("chat"),
    "author": gettext_lazy("author"),
    "email": gettext_lazy("e-mail address"),
    "handle": gettext_lazy("public handle"),
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "date_joined": gettext_lazy("joined"),
    "last_login": gettext_lazy("last sign-in"),
    "url": gettext_lazy("link"),
    "read_at": gettext_lazy("read"),
    "topic": gettext_lazy("topic"),
}


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category) or category.replace("_", " ").capitalize())


def field_label(field) -> str:
    """The model's own (translated) label when it has one, else a translated common name, else the name."""
    default = field.name.replace("_", " ")
    if str(field.verbose_name) != default:
        return str(field.verbose_name)
    return str(FIELD_LABELS.get(field.name, default))


class _Index:
    """The readable index.html: sections are written to a temporary file while the rows stream.

    The head (account, contents, manifest summary) needs the final counts and hashes, so it is
    rendered last and the sections are copied behind it in blocks: memory stays flat.
    """

    def __init__(self, directory: Path):
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", dir=directory)
        self.sections: list[dict] = []

    def write(self, text: str) -> None:
        self.file.write(text)

    def section_start(self, category: str, *, table: bool = False) -> None:
        label = category_label(category)
        self.sections.append({"category": category, "label": label})
        files = format_html('<a href="{}.json">{}.json</a>', category, category)
        if table:
            files += format_html(' · <a href="{}.csv">{}.csv</a>', category, category)
        self.write(
            format_html(
                '<section id="{}" aria-labelledby="{}-heading"><h2 id="{}-heading">{}</h2>'
                '<p class="file">{} · <a href="#top">{}</a></p>',
                category,
                category,
                category,
                label,
                files,
                gettext("back to the contents"),
            )
        )

    def section_end(self, count: int) -> None:
        self.sections[-1]["count"] = count
        if count == 0:
            self.write(format_html('<p class="empty">{}</p>', gettext("Nothing of this kind.")))
        self.write("</section>\n")

    def table_start(self, caption: str, headings: list[str]) -> None:
        self.write(
            format_html(
                '<div class="scroll"><table><caption>{}</caption><thead><tr>{}</tr></thead><tbody>\n',
                caption,
                format_html_join("", '<th scope="col">{}</th>', ((heading,) for heading in headings)),
            )
        )

    def table_end(self) -> None:
        self.write("</tbody></table></div>\n")

    def close(self) -> None:
        self.file.close()


class ExportWriter:
    """Writes one member's ZIP; ``write`` returns the number of rows exported."""

    def __init__(self, user, path: Path):
        self.user = user
        self.path = path
        self.hashes: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.delimiters: dict[str, str] = {}  # CSV file name -> its delimiter
        self._pseudonyms: dict[int, str] = {}
        self._index: _Index | None = None
        self._names: OtherMembers | None = None
        self._exported: set[str] = set()
        self._files: list[tuple[str, str]] = []  # (name in the ZIP, name in storage), added after their JSON

    def _member(self, user_id):
        if user_id is None:
            return None
        if user_id == self.user.pk:
            return "you"
        if user_id not in self._pseudonyms:
            self._pseudonyms[user_id] = pseudonym_for(_Ref(user_id), "export")
        return self._pseudonyms[user_id]

    def _rows(self, rule: registry.PersonalData, columns: _Columns):
        """(pk, raw values) of the member's rows, streamed."""
        model = rule.model_class
        lookup = "pk" if rule.subject == "pk" else rule.subject
        queryset = model._default_manager.filter(**{lookup: self.user.pk}).order_by("pk")
        for values in queryset.values_list("pk", *columns.columns).iterator(chunk_size=CHUNK):
            yield values[0], values[1:]

    def _named(self, columns: _Columns, values) -> tuple:
        """The row's values with every other member in its texts replaced by their pseudonym."""
        if not columns.texts:
            return values
        return tuple(
            self._names.value(value) if position in columns.texts else value for position, value in enumerate(values)
        )

    def _with_files(self, category: str, columns: _Columns, values) -> tuple:
        """The row's values with each stored file's name replaced by its path in the ZIP (the file goes in too)."""
        if not columns.files:
            return values
        values = list(values)
        for position in columns.files:
            stored = values[position]
            if not stored or not default_storage.exists(stored):
                values[position] = ""
                continue
            inside = f"files/{category}/{Path(stored).name}"
            self._files.append((inside, stored))
            values[position] = inside
        return tuple(values)

    def _write_files(self, archive: zipfile.ZipFile) -> None:
        """Copy the stored files the rows named into the ZIP, in blocks (memory stays flat)."""
        for inside, stored in self._files:
            if inside in self.hashes:
                continue
            digest = hashlib.sha256()
            with default_storage.open(stored, "rb") as source, archive.open(inside, "w") as entry:
                for block in iter(lambda: source.read(1 << 18), b""):  # noqa: B023 (consumed within the iteration)
                    digest.update(block)
                    entry.write(block)
            self.hashes[inside] = digest.hexdigest()
        self._files.clear()

    def _json_row(self, rule, columns: _Columns, values) -> dict:
        row = {"source": rule.model}
        for position, (name, value) in enumerate(zip(columns.names, values, strict=True)):
            row[name] = self._member(value) if position in columns.member_refs else _plain(value)
        return row

    def _cell(self, columns: _Columns, position: int, value) -> str:
        if value is None or value == "":
            return "<td>—</td>"
        if position in columns.member_refs:
            member = self._member(value)
            return format_html("<td>{}</td>", gettext("you") if member == "you" else member)
        if position in columns.links:
            return format_html('<td><a href="#{}-{}" data-ref>{}</a></td>', columns.links[position], value, value)
        if position in columns.files:
            return format_html('<td><a href="{}">{}</a></td>', value, value)
        if isinstance(value, bool):
            return format_html("<td>{}</td>", gettext("yes") if value else gettext("no"))
        if isinstance(value, datetime):
            return format_html("<td>{}</td>", formats.date_format(timezone.localtime(value), "DATETIME_FORMAT"))
        if isinstance(value, date):
            return format_html("<td>{}</td>", formats.date_format(value, "DATE_FORMAT"))
        if isinstance(value, bytes | memoryview):
            return "<td>—</td>"
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, default=str)
        elif position in columns.choices:
            value = columns.choices[position].get(value, value)
        return format_html(
            '<td class="text">{}</td>' if isinstance(value, str) and len(value) > 80 else "<td>{}</td>", value
        )

    def _html_row(self, rule, columns: _Columns, pk, values) -> str:
        cells = "".join(self._cell(columns, position, value) for position, value in enumerate(values))
        return f'<tr id="{_anchor_prefix(rule.model_class._meta.label_lower)}-{escape(pk)}">{cells}</tr>\n'

    def _write_json(self, archive: zipfile.ZipFile, name: str, chunks) -> None:
        digest = hashlib.sha256()
        with archive.open(name, "w") as entry:
            for chunk in chunks:
                data = chunk.encode()
                digest.update(data)
                entry.write(data)
        self.hashes[name] = digest.hexdigest()

    def _table(self, columns: list[str]) -> CsvTable:
        return CsvTable(self.path.parent, columns, csv_delimiter(translation.get_language() or settings.LANGUAGE_CODE))

    def _write_table(self, archive: zipfile.ZipFile, category: str, table: CsvTable) -> None:
        name = f"{category}.csv"
        self._write_json(archive, name, table.chunks())
        self.delimiters[name] = table.delimiter

    def _category(self, category: str, group: list[registry.PersonalData], table: CsvTable | None = None):
        """The JSON array of one category; the same rows go into the index's section (and the CSV) as they stream."""
        index = self._index
        count = 0
        index.section_start(category, table=table is not None)
        yield "[\n"
        for rule in group:
            columns = _Columns(rule, self._exported)
            model = rule.model_class
            table_open = False
            for pk, values in self._rows(rule, columns):
                if not table_open:
                    headings = [field_label(field) for field in columns.fields]
                    index.table_start(str(model._meta.verbose_name_plural), headings)
                    table_open = True
                values = self._with_files(category, columns, self._named(columns, values))
                row = self._json_row(rule, columns, values)
                yield ("" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False, default=str)
                if table is not None:
                    table.add(row.values())
                index.write(self._html_row(rule, columns, pk, values))
                count += 1
            if table_open:
                index.table_end()
        yield "\n]\n"
        index.section_end(count)
        self.counts[category] = count

    def _consent_receipts(self, table: CsvTable):
        from consent.receipts import receipt_for
        from consent.selectors import history_for

        index = self._index
        index.section_start("consent_receipts", table=True)
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
            if count == 0:
                index.table_start(
                    gettext("Signed receipts of your consent changes"),
                    [gettext("when"), gettext("purpose"), gettext("what happened"), gettext("ledger entry no.")],
                )
            index.write(
                format_html(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    formats.date_format(timezone.localtime(event.created_at), "DATETIME_FORMAT"),
                    event.purpose_code,
                    event.get_kind_display(),
                    event.index,
                )
            )
            yield ("" if count == 0 else ",\n") + json.dumps(item, ensure_ascii=False)
            table.add(item.values())
            count += 1
        if count:
            index.table_end()
        yield "\n]\n"
        index.section_end(count)
        self.counts["consent_receipts"] = count

    def _write_index(self, archive: zipfile.ZipFile, generated) -> None:
        """Head rendered now (counts and hashes are known), then the streamed sections, then the tail."""
        files = [{"name": name, "rows": self._rows_in(name), "sha256": sha} for name, sha in self.hashes.items()]
        page = render_to_string(
            "dsar/export_index.html",
            {
                "member": self.user,
                "generated_at": generated,
                "sections": self._index.sections,
                "files": files,
                "LANGUAGE_CODE": translation.get_language(),
            },
        )
        head, tail = page.split(SECTIONS_MARK, 1)
        digest = hashlib.sha256()
        self._index.file.seek(0)
        with archive.open("index.html", "w") as entry:
            for text in chain([head], iter(lambda: self._index.file.read(1 << 18), ""), [tail]):
                data = text.encode()
                digest.update(data)
                entry.write(data)
        self.hashes["index.html"] = digest.hexdigest()

    def _rows_in(self, name: str) -> int | None:
        stem, _dot, extension = name.rpartition(".")
        return self.counts.get(stem) if extension in ("json", "csv") else None

    def _manifest_entry(self, name: str, sha: str) -> dict:
        entry = {"name": name, "sha256": sha, "rows": self._rows_in(name)}
        if name.endswith(".csv"):
            entry.update(media_type=MEDIA_CSV, delimiter=self.delimiters[name])
        elif name.startswith("files/"):
            entry["media_type"] = mimetypes.guess_type(name)[0] or "application/octet-stream"
        else:
            entry["media_type"] = MEDIA_HTML if name.endswith(".html") else MEDIA_JSON
        return entry

    def write(self) -> int:
        groups: dict[str, list[registry.PersonalData]] = defaultdict(list)
        for rule in registry.rules():
            if rule.category and rule.subject and rule.export_fields:
                groups[rule.category].append(rule)
                self._exported.add(rule.model_class._meta.label_lower)
        generated = timezone.now()
        self._index = _Index(self.path.parent)
        try:
            with (
                translation.override(self.user.preferred_language or settings.LANGUAGE_CODE),
                zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            ):
                self._names = OtherMembers(self.user, self._member)
                for category in sorted(groups):
                    group = groups[category]
                    tabular = is_tabular(group)
                    with self._table(["source", *group[0].export_fields]) if tabular else nullcontext() as table:
                        self._write_json(archive, f"{category}.json", self._category(category, group, table))
                        if table is not None:
                            self._write_table(archive, category, table)
                        self._write_files(archive)
                with self._table(list(RECEIPT_COLUMNS)) as table:
                    self._write_json(archive, "consent_receipts.json", self._consent_receipts(table))
                    self._write_table(archive, "consent_receipts", table)
                schema = json_schema(groups, version=SCHEMA_VERSION)
                self._write_json(archive, "schema.json", [json.dumps(schema, indent=2)])
                self._write_index(archive, generated)
                manifest = {
                    "schema_version": SCHEMA_VERSION,
                    "generated_at": generated.isoformat(),
                    "files": [self._manifest_entry(name, sha) for name, sha in self.hashes.items()],
                }
                archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        finally:
            self._index.close()
        return sum(self.counts.values())
