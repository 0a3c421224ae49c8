"""Cursor pagination: an opaque cursor holds the sort keys of the last row served, so a page is one seek.

Every order used here runs in one direction over unique keys (the last one is the primary key),
so "rows after the cursor" is one row comparison and pages never shift when rows are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from api.problems import ApiProblem

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


@dataclass
class CursorPage:
    items: list
    next_cursor: str | None


def _encode(values: list) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raw = None
    if not isinstance(raw, list) or len(raw) != size:
        raise ApiProblem(400, _("The cursor is not valid; start again without one."))
    values = []
    for value in raw:
        if isinstance(value, dict):
            value = parse_datetime(str(value.get("t", "")))
            if value is None:
                raise ApiProblem(400, _("The cursor is not valid; start again without one."))
        elif not isinstance(value, (int, str, bool)) or (isinstance(value, int) and abs(value) >= 2**63):
            raise ApiProblem(400, _("The cursor is not valid; start again without one."))
        values.append(value)
    return values


def _after(columns: list[str], values: list, descending: bool) -> Q:
    """Rows strictly after ``values`` in the order: (a > x) or (a = x and b > y) or ..."""
    op = "lt" if descending else "gt"
    q = Q()
    for i, column in enumerate(columns):
        step = Q(**{f"{column}__{op}": values[i]})
        for j in range(i):
            step &= Q(**{columns[j]: values[j]})
        q |= step
    return q


def cursor_page(qs: QuerySet, *, order: tuple[str, ...], cursor: str | None, limit: int | None) -> CursorPage:
    """One page of ``qs`` in ``order`` after ``cursor`` (one query: ``limit + 1`` rows tell whether more exist)."""
    limit = max(1, min(int(limit or DEFAULT_LIMIT), MAX_LIMIT))
    descending = order[0].startswith("-")
    columns = [key.lstrip("-") for key in order]
    qs = qs.order_by(*order)
    if cursor:
        qs = qs.filter(_after(columns, _decode(cursor, len(columns)), descending))
    rows = list(qs[: limit + 1])
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode([getattr(last, column) for column in columns])
    return CursorPage(items=items, next_cursor=next_cursor)
