"""All writes of insight: analysing member texts, the daily figures, digest subscriptions, FAQ drafts.

insight writes only its own tables; it reads the domain apps through their selectors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from community import selectors as community_selectors
from community.chat import selectors as chat_selectors
from consent.processors import may_process, standing_annotations, standing_remember
from ideas import selectors as idea_selectors
from insight import permissions
from insight.analysis import text_analysis
from insight.models import (
    DailyFigure,
    DigestSubscription,
    ItemAnalysis,
    ItemKind,
    Label,
    Source,
    SuggestionDay,
)
from portal.models import User
from portal.roles import Role

PROCESSOR = "insight.content_analysis"
BATCH = 500
STAFF_ROLES = (Role.MODERATOR, Role.PRODUCT_MANAGER, Role.EDITOR, Role.DPO, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class ItemText:
    """One member text as the analysis needs it, read from its domain app."""

    kind: str
    object_id: int
    member: User | None
    text: str
    source: str
    parent_id: int
    container_id: int
    product: str
    is_opening: bool
    created_at: dt.datetime


def _post_texts(ids) -> list[ItemText]:
    rows = (
        community_selectors.posts_for_analysis(ids=ids)
        .select_related("author")
        .annotate(**standing_annotations("author_id"))
    )
    items = []
    for post in rows:
        standing_remember(post.author, post)
        thread = post.thread
        text = f"{thread.title}\n{post.body}" if post.is_question else post.body
        items.append(
            ItemText(
                kind=ItemKind.POST,
                object_id=post.pk,
                member=post.author,
                text=text,
                source=Source.BLOG if thread.blog_page_id else Source.FORUM,
                parent_id=thread.pk,
                container_id=thread.forum_id,
                product=thread.forum.product,
                is_opening=post.is_question,
                created_at=post.created_at,
            )
        )
    return items


def _idea_texts(ids) -> list[ItemText]:
    rows = (
        idea_selectors.ideas_for_analysis(ids=ids)
        .select_related("author")
        .annotate(**standing_annotations("author_id"))
    )
    items = []
    for idea in rows:
        standing_remember(idea.author, idea)
        items.append(
            ItemText(
                kind=ItemKind.IDEA,
                object_id=idea.pk,
                member=idea.author,
                text=f"{idea.title}\n{idea.body}",
                source=Source.IDEAS,
                parent_id=idea.pk,
                container_id=idea.board_id,
                product=idea.board.name,
                is_opening=True,
                created_at=idea.created_at,
            )
        )
    return items


def _comment_texts(ids) -> list[ItemText]:
    rows = (
        idea_selectors.comments_for_analysis(ids=ids)
        .select_related("author")
        .annotate(**standing_annotations("author_id"))
    )
    items = []
    for comment in rows:
        standing_remember(comment.author, comment)
        items.append(
            ItemText(
                kind=ItemKind.IDEA_COMMENT,
                object_id=comment.pk,
                member=comment.author,
                text=comment.body,
                source=Source.IDEAS,
                parent_id=comment.idea_id,
                container_id=comment.idea.board_id,
                product=comment.idea.board.name,
                is_opening=False,
                created_at=comment.created_at,
            )
        )
    return items


def _chat_texts(ids) -> list[ItemText]:
    rows = (
        chat_selectors.messages_for_analysis(ids=ids)
        .select_related("author")
        .annotate(**standing_annotations("author_id"))
    )
    items = []
    for message in rows:
        standing_remember(message.author, message)
        items.append(
            ItemText(
                kind=ItemKind.CHAT_MESSAGE,
                object_id=message.pk,
                member=message.author,
                text=message.body,
                source=Source.CHAT,
                parent_id=message.chat_id,
                container_id=0,
                product="",
                is_opening=message.seq == 1,
                created_at=message.created_at,
            )
        )
    return items


READERS = {
    ItemKind.POST: _post_texts,
    ItemKind.IDEA: _idea_texts,
    ItemKind.IDEA_COMMENT: _comment_texts,
    ItemKind.CHAT_MESSAGE: _chat_texts,
}


def _analysis_row(item: ItemText, *, staff_ids: set[int]) -> ItemAnalysis:
    lang, sentiment, keywords = text_analysis(item.text)
    keywords = keywords[:30]
    return ItemAnalysis(
        kind=item.kind,
        object_id=item.object_id,
        source=item.source,
        member=item.member,
        by_staff=bool(item.member and item.member.pk in staff_ids),
        parent_id=item.parent_id,
        container_id=item.container_id,
        product=item.product[:120],
        is_opening=item.is_opening,
        language=lang or "",
        label=sentiment.label,
        score=round(sentiment.score, 4),
        keywords=keywords,
        created_at=item.created_at,
        analysed_at=timezone.now(),
    )


def staff_member_ids(member_ids: Iterable[int]) -> set[int]:
    """Which of these members hold a staff role (their texts count in volume, not in mood or topics)."""
    ids = [pk for pk in set(member_ids) if pk]
    if not ids:
        return set()
    return set(
        User.objects.filter(Q(pk__in=ids), Q(groups__name__in=STAFF_ROLES) | Q(is_superuser=True)).values_list(
            "pk", flat=True
        )
    )


def items_analyse(*, kind: str, ids: list[int], refresh_days: bool = True) -> int:
    """Analyse these texts of one kind (new or edited); texts gone, hidden or of excluded members are dropped.

    A member who objected to or restricted processing, or whose erasure is in progress, is left out of
    every analysis: their earlier rows are deleted too, so the figures stop counting them.
    """
    if kind not in READERS:
        raise ValueError(f"unknown kind {kind!r}")
    items = READERS[kind](ids)
    allowed = [item for item in items if item.member is None or may_process(item.member, PROCESSOR)]
    staff_ids = staff_member_ids(item.member.pk for item in allowed if item.member)
    rows = [_analysis_row(item, staff_ids=staff_ids) for item in allowed]
    kept = {row.object_id for row in rows}
    days = set()
    with transaction.atomic():
        stale = ItemAnalysis.objects.filter(kind=kind, object_id__in=ids).exclude(object_id__in=kept)
        days.update(_local_day(created) for created in stale.values_list("created_at", flat=True))
        stale.delete()
        ItemAnalysis.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=[
                "source",
                "member",
                "by_staff",
                "parent_id",
                "container_id",
                "product",
                "is_opening",
                "language",
                "label",
                "score",
                "keywords",
                "created_at",
                "analysed_at",
            ],
        )
        days.update(_local_day(row.created_at) for row in rows)
        if refresh_days:
            daily_figures_refresh(days=days)
    return len(rows)


def member_analyses_drop(*, member_id: int) -> int:
    """Forget every analysis of one member's texts (objection, restriction, erasure) and refresh their days."""
    rows = ItemAnalysis.objects.filter(member_id=member_id)
    days = {_local_day(created) for created in rows.values_list("created_at", flat=True)}
    with transaction.atomic():
        deleted, _detail = rows.delete()
        daily_figures_refresh(days=days)
    return deleted


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day's start and the next day's start in the portal's time zone."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), tz)
    return start, end


def _figures(rows) -> list[DailyFigure]:
    figures = {}
    for row in rows:
        key = (row["day"], row["source"], row["category"], row["container_id"], row["language"])
        figures[key] = DailyFigure(
            day=row["day"],
            source=row["source"],
            category=row["category"],
            container_id=row["container_id"],
            language=row["language"],
            items=row["items"],
            members=row["members"],
            mood_items=row["mood_items"],
            positive=row["positive"],
            negative=row["negative"],
        )
    return list(figures.values())


def _grouped(queryset):
    member_texts = Q(by_staff=False)
    return (
        queryset.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "source", "category", "container_id", "language")
        .annotate(
            items=Count("pk"),
            members=Count("member_id", distinct=True),
            mood_items=Count("pk", filter=member_texts),
            positive=Count("pk", filter=member_texts & Q(label=Label.POSITIVE)),
            negative=Count("pk", filter=member_texts & Q(label=Label.NEGATIVE)),
        )
        .order_by()
    )


def with_category(queryset):
    """What the volume counts: a thread, a reply, an idea, a comment, a blog comment, a chat line."""
    from django.db.models import Case, CharField, Value, When

    return queryset.annotate(
        category=Case(
            When(kind=ItemKind.POST, source=Source.BLOG, then=Value("blog_comment")),
            When(kind=ItemKind.POST, is_opening=True, then=Value("thread")),
            When(kind=ItemKind.POST, then=Value("reply")),
            When(kind=ItemKind.IDEA, then=Value("idea")),
            When(kind=ItemKind.IDEA_COMMENT, then=Value("idea_comment")),
            default=Value("chat_message"),
            output_field=CharField(),
        )
    )


def daily_figures_refresh(*, days: Iterable[dt.date]) -> int:
    """Recount the materialised figures of these days from the analyses (delete and insert, per day)."""
    written = 0
    for day in sorted(set(days)):
        start, end = day_bounds(day)
        with transaction.atomic():
            DailyFigure.objects.filter(day=day).delete()
            rows = _grouped(with_category(ItemAnalysis.objects.filter(created_at__gte=start, created_at__lt=end)))
            written += len(DailyFigure.objects.bulk_create(_figures(rows)))
    return written


def daily_figures_rebuild() -> int:
    """Recount every day at once (after a backfill): one grouped query, one bulk insert."""
    with transaction.atomic():
        DailyFigure.objects.all().delete()
        rows = _grouped(with_category(ItemAnalysis.objects.all()))
        return len(DailyFigure.objects.bulk_create(_figures(rows), batch_size=2000))


def backfill(*, progress=None) -> dict[str, int]:
    """Analyse every existing text in batches, then rebuild the daily figures; safe to run again."""
    sources = {
        ItemKind.POST: community_selectors.post_ids_for_analysis(),
        ItemKind.IDEA: idea_selectors.idea_ids_for_analysis(),
        ItemKind.IDEA_COMMENT: idea_selectors.comment_ids_for_analysis(),
        ItemKind.CHAT_MESSAGE: chat_selectors.message_ids_for_analysis(),
    }
    done = {}
    for kind, id_query in sources.items():
        ids = list(id_query)
        total = 0
        for offset in range(0, len(ids), BATCH):
            total += items_analyse(kind=kind, ids=ids[offset : offset + BATCH], refresh_days=False)
            if progress:
                progress(kind, min(offset + BATCH, len(ids)), len(ids))
        # Texts deleted or hidden since an earlier run.
        ItemAnalysis.objects.filter(kind=kind).exclude(object_id__in=id_query).delete()
        done[str(kind)] = total
    done["daily_figures"] = daily_figures_rebuild()
    return done


def suggestions_count(*, shown: int = 1, now=None) -> None:
    """Count one set of knowledge-base suggestions shown to someone asking (only the day's total is kept)."""
    day = _local_day(now or timezone.now())
    updated = SuggestionDay.objects.filter(day=day).update(shown=F("shown") + shown)
    if not updated:
        _row, created = SuggestionDay.objects.get_or_create(day=day, defaults={"shown": shown})
        if not created:
            SuggestionDay.objects.filter(day=day).update(shown=F("shown") + shown)


def digest_subscribe(*, user: User, subscribed: bool) -> bool:
    """Switch the weekly insight digest on or off for a manager who may see the dashboards."""
    if not permissions.can_view_insight(user):
        raise PermissionDenied
    if subscribed:
        DigestSubscription.objects.get_or_create(user=user)
        return True
    DigestSubscription.objects.filter(user=user).delete()
    return False


def faq_draft_create(*, thread_ids: list[int], moderator: User):
    """Make a KB draft from the best accepted answer of a frequent-question cluster and submit it for review."""
    from knowledgebase.services import article_promote

    threads = community_selectors.threads_by_ids(thread_ids)
    answered = [t for t in threads.values() if t.accepted_post_id]
    if not answered:
        raise ValidationError(_("None of these questions has an accepted answer to start the article from."))
    best = max(answered, key=lambda t: (t.accepted_post.helpful_count, t.created_at))
    return article_promote(thread=best, moderator=moderator)
