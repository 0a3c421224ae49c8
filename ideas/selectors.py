"""Reads the idea pages and the review console need, with their prefetching done here."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ideas.models import ROADMAP_STATUSES, Board, Comment, Follow, Idea, InternalNote, Status, StatusChange, Vote

TRENDING_DAYS = 30
SEGMENT_MIN = 5
SORTS = ("top", "trending", "newest")
CONSOLE_SORTS = ("votes", "trend", "age", "newest")
WORD = re.compile(r"\w{3,}", re.UNICODE)
STOP_WORDS = frozenset(
    "the and for with from that this into when what can should would please allow add make der die das und oder mit "
    "für von eine einen einem einer nicht bitte auch auf bei wenn soll sollte".split()
)


def board_list():
    """Active boards with how many open ideas each has."""
    return Board.objects.filter(is_active=True).annotate(
        idea_count=Count("ideas", filter=Q(ideas__merged_into__isnull=True))
    )


def _recent_votes():
    since = timezone.now() - timedelta(days=TRENDING_DAYS)
    recent = (
        Vote.objects.filter(idea=OuterRef("pk"), created_at__gte=since)
        .order_by()
        .values("idea")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(recent, output_field=IntegerField()), Value(0))


def with_viewer_state(qs, user, *, following: bool = False):
    """Annotate whether the viewer voted for (and, on request, follows) each idea, in the same query."""
    if user is None or not user.is_authenticated:
        return qs.annotate(has_voted=Value(False), is_following=Value(False))
    qs = qs.annotate(has_voted=Exists(Vote.objects.filter(idea=OuterRef("pk"), voter=user)))
    if following:
        qs = qs.annotate(is_following=Exists(Follow.objects.filter(idea=OuterRef("pk"), user=user)))
    return qs


def idea_list(
    *,
    board: Board | None,
    user,
    sort: str = "top",
    status: str = "",
    mine: bool = False,
    my_votes: bool = False,
    category_id: int | None = None,
):
    """Ideas of a board for the member-facing list: merged duplicates left out, viewer's vote state included."""
    qs = Idea.objects.filter(merged_into__isnull=True).select_related("category", "author")
    if board is not None:
        qs = qs.filter(board=board)
    if status in Status.values:
        qs = qs.filter(status=status)
    if category_id:
        qs = qs.filter(category_id=category_id)
    if user is not None and user.is_authenticated:
        if mine:
            qs = qs.filter(author=user)
    qs = with_viewer_state(qs, user)
    if my_votes and user is not None and user.is_authenticated:
        qs = qs.filter(has_voted=True)
    if sort == "trending":
        return qs.annotate(recent_votes=_recent_votes()).order_by("-recent_votes", "-vote_count", "-pk")
    if sort == "newest":
        return qs.order_by("-created_at", "-pk")
    return qs.order_by("-vote_count", "-created_at", "-pk")


def idea_detail(*, idea_id: int, user) -> Idea | None:
    """One idea with everything its page shows in a single query."""
    qs = Idea.objects.select_related("board", "category", "author", "merged_into")
    return with_viewer_state(qs, user, following=True).filter(pk=idea_id).first()


def comments_for(idea: Idea):
    return Comment.objects.filter(idea=idea).select_related("author").order_by("created_at", "id")


def status_history(idea: Idea):
    return StatusChange.objects.filter(idea=idea).select_related("changed_by").order_by("created_at", "id")


def internal_notes(idea: Idea):
    return InternalNote.objects.filter(idea=idea).select_related("author").order_by("created_at", "id")


def similar_ideas(
    *, title: str, board: Board | None = None, exclude_id: int | None = None, limit: int = 5
) -> list[Idea]:
    """Existing ideas whose titles share words with ``title``, most overlap first (suggested before posting)."""
    words = [w for w in {m.group(0).lower() for m in WORD.finditer(title or "")} if w not in STOP_WORDS][:8]
    if not words:
        return []
    condition = Q()
    for word in words:
        condition |= Q(title__icontains=word)
    qs = Idea.objects.filter(condition, merged_into__isnull=True).select_related("board")
    if board is not None:
        qs = qs.filter(board=board)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    candidates = list(qs.order_by("-vote_count")[:50])
    scores = Counter()
    for idea in candidates:
        lowered = idea.title.lower()
        scores[idea.pk] = sum(1 for w in words if w in lowered)
    candidates.sort(key=lambda i: (-scores[i.pk], -i.vote_count, i.pk))
    return candidates[:limit]


def roadmap():
    """Planned, in-progress and shipped ideas with the product managers' responses, per column."""
    ideas = (
        Idea.objects.filter(status__in=ROADMAP_STATUSES, merged_into__isnull=True)
        .select_related("board")
        .order_by("-vote_count", "-status_changed_at", "-pk")
    )
    columns = {status: [] for status in ROADMAP_STATUSES}
    for idea in ideas:
        columns[idea.status].append(idea)
    return [{"status": status, "label": Status(status).label, "ideas": columns[status]} for status in ROADMAP_STATUSES]


def console_ideas(*, sort: str = "votes", board_id: int | None = None, status: str = "", tag: str = ""):
    """Ideas for the product managers' review console."""
    qs = Idea.objects.filter(merged_into__isnull=True).select_related("board", "category")
    if board_id:
        qs = qs.filter(board_id=board_id)
    if status in Status.values:
        qs = qs.filter(status=status)
    if tag:
        qs = qs.filter(tags__name__iexact=tag)
    qs = qs.annotate(recent_votes=_recent_votes())
    if sort == "trend":
        return qs.order_by("-recent_votes", "-vote_count", "-pk")
    if sort == "age":
        return qs.order_by("created_at", "pk")
    if sort == "newest":
        return qs.order_by("-created_at", "-pk")
    return qs.order_by("-vote_count", "-created_at", "-pk")


def votes_over_time(idea: Idea, *, weeks: int = 12, now=None) -> list[dict]:
    """Votes per week for the last ``weeks`` weeks (oldest first) and the running total."""
    now = now or timezone.now()
    start = now - timedelta(weeks=weeks)
    before = Vote.objects.filter(idea=idea, created_at__lt=start).count()
    buckets = [0] * weeks
    for created in Vote.objects.filter(idea=idea, created_at__gte=start).values_list("created_at", flat=True):
        index = min(weeks - 1, int((created - start).total_seconds() // (7 * 86400)))
        buckets[index] += 1
    rows, total = [], before
    peak = max(buckets) or 1
    for i, n in enumerate(buckets):
        total += n
        rows.append(
            {"week_start": start + timedelta(weeks=i), "votes": n, "total": total, "percent": round(100 * n / peak)}
        )
    return rows


def _segment_language(user) -> str:
    return user.preferred_language or "?"


def _segment_tenure(user, now) -> str:
    return "new" if user.date_joined >= now - timedelta(days=365) else "long"


def demand_segments(idea: Idea, *, now=None) -> dict:
    """Voters by segment, counted only from members who consented to analytics; groups under 5 are never shown.

    Small groups are pooled into "other" when the pool reaches the minimum, otherwise left out,
    and no total is shown, so a hidden group cannot be worked out by subtraction.
    """
    from consent.selectors import has_consent

    now = now or timezone.now()
    voters = [
        v.voter
        for v in Vote.objects.filter(idea=idea, voter__isnull=False, voter__is_active=True).select_related("voter")
    ]
    consented = [u for u in voters if has_consent(u, "analytics")]
    result = {}
    for name, key in (("language", _segment_language), ("tenure", lambda u: _segment_tenure(u, now))):
        counts = Counter(key(u) for u in consented)
        shown = {k: n for k, n in counts.items() if n >= SEGMENT_MIN}
        pooled = sum(n for k, n in counts.items() if n < SEGMENT_MIN)
        suppressed = any(n < SEGMENT_MIN for n in counts.values())
        rows = sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))
        if pooled >= SEGMENT_MIN:
            rows.append(("other", pooled))
        result[name] = {"rows": rows, "suppressed": suppressed}
    return result


def board_export_rows(board: Board):
    """One row per idea of the board with vote counts; members only as export pseudonyms."""
    from consent.pseudonyms import pseudonym_for

    ideas = list(Idea.objects.filter(board=board).select_related("author", "merged_into", "category").order_by("pk"))
    voters: dict[int, list] = {i.pk: [] for i in ideas}
    for vote in Vote.objects.filter(idea__board=board, voter__isnull=False).select_related("voter").order_by("pk"):
        voters[vote.idea_id].append(vote.voter)
    cache: dict[int, str] = {}

    def alias(user) -> str:
        if user is None:
            return ""
        if user.pk not in cache:
            cache[user.pk] = pseudonym_for(user, "export")
        return cache[user.pk]

    yield [
        "idea_id",
        "title",
        "status",
        "category",
        "votes",
        "comments",
        "created_at",
        "merged_into",
        "author",
        "voters",
    ]
    for idea in ideas:
        yield [
            idea.pk,
            idea.title,
            idea.status,
            idea.category.name if idea.category else "",
            idea.vote_count,
            idea.comment_count,
            idea.created_at.isoformat(),
            idea.merged_into_id or "",
            alias(idea.author),
            " ".join(alias(u) for u in voters[idea.pk]),
        ]


# --- reads for insight (aggregates over content; insight never writes here) -------------------------


def ideas_for_analysis(*, ids):
    """Ideas with their board (the product), as the text analysis reads them; merged duplicates count too."""
    return Idea.objects.select_related("board").filter(pk__in=ids)


def comments_for_analysis(*, ids):
    """Visible comments with their idea's board."""
    return Comment.objects.select_related("idea__board").filter(pk__in=ids, hidden_at__isnull=True)


def idea_ids_for_analysis():
    return Idea.objects.order_by("pk").values_list("pk", flat=True)


def comment_ids_for_analysis():
    return Comment.objects.filter(hidden_at__isnull=True).order_by("pk").values_list("pk", flat=True)


def vote_counts_by_day(*, start, end, board_ids=None) -> list[dict]:
    """Votes cast per day and board in [start, end), with distinct voters per row (for the k-threshold)."""
    from django.db.models.functions import TruncDate

    votes = Vote.objects.filter(created_at__gte=start, created_at__lt=end)
    if board_ids:
        votes = votes.filter(idea__board_id__in=board_ids)
    return list(
        votes.annotate(day=TruncDate("created_at"))
        .values("day", "idea__board_id")
        .annotate(n=Count("pk"), voters=Count("voter_id", distinct=True))
        .order_by("day")
    )


def ideas_by_ids(ids) -> dict[int, Idea]:
    return {
        idea.pk: idea
        for idea in Idea.objects.filter(pk__in=list(ids))
        .select_related("board")
        .only("pk", "title", "status", "created_at", "board__name")
    }


def boards_for_filter() -> list[Board]:
    return list(Board.objects.only("pk", "name", "name_de").order_by("position", "name"))


# --- Public profile pages (portal.profiles) ------------------------------------------------------------


def member_idea_count(*, member) -> int:
    """Ideas the member posted (every idea is public, merged ones stay readable under their number)."""
    return Idea.objects.filter(author=member).count()


def member_recent_ideas(*, member, limit: int) -> list[Idea]:
    """The member's latest ideas (one query)."""
    rows = Idea.objects.filter(author=member).only("pk", "title", "created_at")
    return list(rows.order_by("-created_at", "-pk")[:limit])
