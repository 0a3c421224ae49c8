"""The CSV twin of a tabular export category, for spreadsheets (MyData: easy to reuse)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from consent import registry
from consent.dsar.export_schema import is_scalar


def is_tabular(group: list[registry.PersonalData]) -> bool:
    """One set of columns of single values: the category also goes out as CSV."""
    columns = {rule.export_fields for rule in group}
    return len(columns) == 1 and all(
        is_scalar(rule.model_class._meta.get_field(name)) for rule in group for name in rule.export_fields
    )


def csv_delimiter(language: str) -> str:
    """Excel opens a CSV with the list separator of the system's region: a semicolon in German-speaking ones."""
    return ";" if language.split("-")[0] == "de" else ","


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); a leading
# apostrophe makes it shown as text, as OWASP recommends.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)


class CsvTable:
    """One category's CSV, written to a temporary file while its JSON streams, copied into the ZIP after it.

    UTF-8 with a byte order mark and a header row: without the mark German Excel reads the file as
    Windows-1252 and garbles umlauts; with it Excel, LibreOffice and Python's ``utf-8-sig`` read it right.
    Lines end in CRLF (RFC 4180).
    """

    def __init__(self, directory: Path, columns: list[str], delimiter: str):
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="", dir=directory)
        self.delimiter = delimiter
        self.rows = csv.writer(self.file, delimiter=delimiter, lineterminator="\r\n")
        self.file.write("\ufeff")
        self.rows.writerow(columns)

    def add(self, values) -> None:
        self.rows.writerow([csv_cell(value) for value in values])

    def chunks(self):
        self.file.seek(0)
        return iter(lambda: self.file.read(1 << 18), "")

    def __enter__(self) -> CsvTable:
        return self

    def __exit__(self, *exc_info) -> None:
        self.file.close()
