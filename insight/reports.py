"""The figures behind the insight pages: periods, filters, k-anonymous cells and tables.

Every figure is computed over the filtered set of analyses, and each cell knows how many distinct
members it describes: a cell describing fewer than ``INSIGHT_MIN_GROUP`` members shows "< 5", on the
page and in the CSV alike, whatever the combination of filters.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from insight.models import DailyFigure, ItemAnalysis, Source

CATEGORIES = {
    "thread": gettext_lazy("New threads"),
    "reply": gettext_lazy("Replies"),
    "idea": gettext_lazy("Ideas"),
    "idea_comment": gettext_lazy("Idea comments"),
    "blog_comment": gettext_lazy("Blog comments"),
    "chat_message": gettext_lazy("Chat messages"),
}
MAX_DAYS = 366
EARLIEST = dt.date(2000, 1, 1)


def min_group() -> int:
    return settings.INSIGHT_MIN_GROUP


@dataclass(frozen=True)
class Period:
    """An inclusive range of local days, and the same number of days right before it."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        return _midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        return _midnight(self.last + dt.timedelta(days=1))

    @property
    def previous(self) -> Period:
        return Period(self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1))

    @property
    def weekly(self) -> bool:
        return self.days > 31

    def bucket(self, day: dt.date) -> dt.date:
        """The day itself, or the Monday of its week for periods longer than a month."""
        return day - dt.timedelta(days=day.weekday()) if self.weekly else day

    def buckets(self) -> list[dt.date]:
        seen = []
        day = self.first
        while day <= self.last:
            bucket = self.bucket(day)
            if not seen or seen[-1] != bucket:
                seen.append(bucket)
            day += dt.timedelta(days=1)
        return seen


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def period_last_days(days: int, *, today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=days - 1), today)


@dataclass(frozen=True)
class Filters:
    """What the staff member narrowed the figures to; empty values mean everything."""

    source: str = ""
    forum: int | None = None
    board: int | None = None
    product: str = ""
    language: str = ""

    def apply(self, items: QuerySet) -> QuerySet:
        if self.source:
            items = items.filter(source=self.source)
        if self.forum:
            items = items.filter(source__in=(Source.FORUM, Source.BLOG), container_id=self.forum)
        if self.board:
            items = items.filter(source=Source.IDEAS, container_id=self.board)
        if self.product:
            items = items.filter(product=self.product)
        if self.language:
            items = items.filter(language=self.language)
        return items

    @property
    def narrows_content(self) -> bool:
        return any((self.source, self.forum, self.board, self.product, self.language))

    @property
    def forum_ids(self) -> list[int] | None:
        return [self.forum] if self.forum else None


@dataclass
class Cell:
    """One figure and how many distinct members stand behind it (None: not about members, e.g. a name)."""

    value: object
    members: int | None = None
    link: str = ""
    unit: str = ""

    @property
    def suppressed(self) -> bool:
        return self.members is not None and 0 < self.members < min_group()

    @property
    def text(self) -> str:
        if self.suppressed:
            return f"< {min_group()}"
        value = self.value
        if value is None:
            return "–"
        if isinstance(value, float):
            value = f"{value:.1f}"
        return f"{value}{self.unit}"

    @property
    def number(self) -> float | None:
        """The value for a chart, or None when suppressed or not a number."""
        if self.suppressed or not isinstance(self.value, int | float):
            return None
        return float(self.value)


@dataclass
class Table:
    """A titled table of cells; every table is also a CSV download and, with a chart, a screen-reader alternative."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    chart: str = ""  # "line", "bar" or ""
    note: str = ""

    def csv_rows(self) -> list[list[str]]:
        return [list(map(str, self.columns))] + [[_csv_safe(cell.text) for cell in row] for row in self.rows]


NUMBER = re.compile(r"[+-]?\d+(\.\d+)?( %)?")


def _csv_safe(text: str) -> str:
    """A member's title that starts like a formula ("=HYPERLINK(...)") stays text in a spreadsheet."""
    if text and text[0] in "=+-@\t\r" and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between closest ranks, as spreadsheets compute it."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


def analyses(period: Period, filters: Filters) -> QuerySet:
    return filters.apply(ItemAnalysis.objects.filter(created_at__gte=period.start, created_at__lt=period.end))


def with_category(items: QuerySet) -> QuerySet:
    from insight.services import with_category as annotate

    return annotate(items)


def daily_figures(period: Period, filters: Filters) -> QuerySet:
    figures = DailyFigure.objects.filter(day__gte=period.first, day__lte=period.last)
    if filters.source:
        figures = figures.filter(source=filters.source)
    if filters.forum:
        figures = figures.filter(source__in=(Source.FORUM, Source.BLOG), container_id=filters.forum)
    if filters.board:
        figures = figures.filter(source=Source.IDEAS, container_id=filters.board)
    if filters.language:
        figures = figures.filter(language=filters.language)
    return figures


def category_series(period: Period, filters: Filters) -> dict[tuple[dt.date, str], Cell]:
    """Texts per day (or week) and category.

    From the materialised daily figures; the members behind a cell are at least the largest daily
    count of one forum and language, so the threshold is checked against that (suppressing rather
    more than needed, never less). A product filter is not materialised: then the analyses are counted.
    """
    cells: dict[tuple[dt.date, str], Cell] = {}
    if filters.product:
        from django.db.models.functions import TruncDate

        rows = (
            with_category(analyses(period, filters))
            .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "category")
            .annotate(items=Count("pk"), members=Count("member_id", distinct=True))
            .order_by()
        )
    else:
        rows = (
            daily_figures(period, filters)
            .values("day", "category")
            .annotate(items=Sum("items"), members=Max("members"))
            .order_by()
        )
    for row in rows:
        key = (period.bucket(row["day"]), row["category"])
        cell = cells.setdefault(key, Cell(0, 0))
        cell.value += row["items"]
        cell.members = max(cell.members, row["members"])
    return cells


def grouped_cells(period: Period, filters: Filters, fields: tuple[str, ...]) -> dict[tuple, Cell]:
    """Texts per group (category, source and forum, language) over the period, k-anonymous.

    Counted from the materialised daily figures; the largest daily member count of a group is a floor
    of its distinct members, so a group whose floor reaches the threshold is shown without counting
    members again. Only groups below it (rare once a community is busy) are counted exactly from the
    analyses, in one more query; a product filter, which is not materialised, is counted exactly.
    """
    exact_needed: set[tuple] | None = None
    cells: dict[tuple, Cell] = {}
    if not filters.product:
        rows = daily_figures(period, filters).values(*fields).annotate(items=Sum("items"), members=Max("members"))
        for row in rows.order_by():
            cells[tuple(row[f] for f in fields)] = Cell(row["items"], row["members"])
        exact_needed = {key for key, cell in cells.items() if cell.members < min_group()}
        if not exact_needed:
            return cells
    items = analyses(period, filters)
    if "category" in fields:
        items = with_category(items)
    rows = items.values(*fields).annotate(items=Count("pk"), members=Count("member_id", distinct=True)).order_by()
    for row in rows:
        key = tuple(row[f] for f in fields)
        if exact_needed is None or key in exact_needed:
            cells[key] = Cell(row["items"], row["members"])
    return cells


def category_totals(period: Period, filters: Filters) -> dict[str, Cell]:
    """Texts per category over the whole period (k-anonymous, see ``grouped_cells``)."""
    return {key[0]: cell for key, cell in grouped_cells(period, filters, ("category",)).items()}


def change(current: Cell, previous: Cell) -> Cell:
    """The change against the previous period; suppressed when either side is."""
    if current.suppressed or previous.suppressed:
        return Cell(None, 1)
    if not isinstance(current.value, int | float) or not isinstance(previous.value, int | float):
        return Cell(None)
    delta = current.value - previous.value
    return Cell(f"{delta:+d}" if isinstance(delta, int) else f"{delta:+.1f}")
