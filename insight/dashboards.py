"""The six insight views as tables: volume, service, interest cards, topics, mood, frequent questions.

Each function reads a fixed number of queries whatever the amount of content (the lists are capped),
and returns tables of k-anonymous cells (see ``insight.reports``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from community import selectors as community_selectors
from community.chat import selectors as chat_selectors
from crm import selectors as crm_selectors
from ideas import selectors as idea_selectors
from insight.models import Label, SuggestionDay
from insight.reports import (
    CATEGORIES,
    Cell,
    Filters,
    Period,
    Table,
    analyses,
    category_series,
    category_totals,
    change,
    grouped_cells,
    hours,
    median,
    min_group,
    percentile,
    share,
)
from portal.roles import Role

TOP = 20
ATTENTION_SCORE = -0.5
ATTENTION_LIMIT = 30
CLUSTER_LIMIT = 2000
CLUSTER_SIMILARITY = 0.4


def drill_url(**params) -> str:
    return f"{reverse('insight_admin:drill')}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


def _container_names() -> dict[tuple[str, int], str]:
    names = {("forum", f.pk): f.name for f in community_selectors.forums_for_filter()}
    names.update({("ideas", b.pk): b.name for b in idea_selectors.boards_for_filter()})
    return names


def _fmt_bucket(period: Period, day: dt.date) -> str:
    return _("week of %(day)s") % {"day": day.isoformat()} if period.weekly else day.isoformat()


# --- volume ---------------------------------------------------------------------------------------------


def volume(period: Period, filters: Filters) -> dict:
    """How much is said, when, where and in which language; the main dashboard."""
    series = category_series(period, filters)
    votes, chats, cards = _bucketed_votes(period, filters), _bucketed_chats(period, filters), _bucketed_cards(period)
    columns = [_("Date"), *[str(label) for label in CATEGORIES.values()], _("Votes"), _("Chats"), _("Interest cards")]
    trend = Table("volume_trend", _("Volume per week") if period.weekly else _("Volume per day"), columns, chart="line")
    for bucket in period.buckets():
        row = [Cell(_fmt_bucket(period, bucket))]
        row += [series.get((bucket, category), Cell(0, 0)) for category in CATEGORIES]
        row += [votes.get(bucket, Cell(0, 0)), chats.get(bucket, Cell(0, 0)), cards.get(bucket, Cell(0, 0))]
        trend.rows.append(row)

    current, previous = category_totals(period, filters), category_totals(period.previous, filters)
    totals = Table(
        "volume_totals",
        _("Totals against the previous period"),
        [_("What"), _("This period"), _("Previous"), _("Change")],
    )
    for category, label in CATEGORIES.items():
        now, before = current.get(category, Cell(0, 0)), previous.get(category, Cell(0, 0))
        now.link = drill_url(category=category, **_period_params(period, filters))
        totals.rows.append([Cell(str(label)), now, before, change(now, before)])
    for label, cells in ((_("Votes"), votes), (_("Chats"), chats), (_("Interest cards"), cards)):
        total = Cell(sum(c.value for c in cells.values()), _members_total(cells))
        totals.rows.append([Cell(str(label)), total, Cell(None), Cell(None)])

    names = _container_names()
    where = Table("volume_where", _("By forum and idea board"), [_("Where"), _("Source"), _("Texts")], chart="bar")
    by_place = grouped_cells(period, filters, ("source", "container_id"))
    for (source, container_id), cell in sorted(by_place.items(), key=lambda item: (-item[1].value, item[0])):
        kind = "ideas" if source == "ideas" else "forum"
        name = names.get((kind, container_id), _("Chat") if source == "chat" else "–")
        cell.link = drill_url(source=source, container=container_id, **_period_params(period, filters))
        where.rows.append([Cell(name), Cell(_source_label(source)), cell])
    languages = Table("volume_language", _("By language"), [_("Language"), _("Texts")], chart="bar")
    by_language = grouped_cells(period, filters, ("language",))
    for (language,), cell in sorted(by_language.items(), key=lambda item: (-item[1].value, item[0])):
        languages.rows.append([Cell(_language_label(language)), cell])
    return {"tables": [trend, totals, where, languages]}


def _members_total(cells: dict) -> int:
    return max((c.members or 0 for c in cells.values()), default=0)


def _bucketed_votes(period: Period, filters: Filters) -> dict[dt.date, Cell]:
    if filters.source and filters.source != "ideas" or filters.forum or filters.language or filters.product:
        return {}
    cells: dict[dt.date, Cell] = {}
    board_ids = [filters.board] if filters.board else None
    for row in idea_selectors.vote_counts_by_day(start=period.start, end=period.end, board_ids=board_ids):
        cell = cells.setdefault(period.bucket(row["day"]), Cell(0, 0))
        cell.value += row["n"]
        cell.members = max(cell.members, row["voters"])
    return cells


def _exact_buckets(period: Period, rows, *, time_field: str) -> dict[dt.date, Cell]:
    from django.utils import timezone

    counts: dict[dt.date, int] = Counter()
    members: dict[dt.date, set] = defaultdict(set)
    for row in rows:
        bucket = period.bucket(timezone.localtime(row[time_field]).date())
        counts[bucket] += 1
        members[bucket].add(row["member_id"] or f"outside-{row['pk']}")
    return {bucket: Cell(n, len(members[bucket])) for bucket, n in counts.items()}


def _bucketed_chats(period: Period, filters: Filters) -> dict[dt.date, Cell]:
    if filters.source and filters.source != "chat" or filters.forum or filters.board or filters.product:
        return {}
    return _exact_buckets(
        period, chat_selectors.chat_service_rows(start=period.start, end=period.end), time_field="created_at"
    )


def _bucketed_cards(period: Period) -> dict[dt.date, Cell]:
    return _exact_buckets(
        period, crm_selectors.card_report_rows(start=period.start, end=period.end), time_field="created_at"
    )


def _period_params(period: Period, filters: Filters) -> dict:
    return {
        "start": period.first.isoformat(),
        "end": period.last.isoformat(),
        "language": filters.language,
        "product": filters.product,
    }


def _source_label(source: str) -> str:
    from insight.models import Source

    return str(dict(Source.choices).get(source, source))


def _language_label(code: str) -> str:
    return {"de": _("German"), "en": _("English")}.get(code, _("Other or unknown"))


# --- service --------------------------------------------------------------------------------------------


def service(period: Period, filters: Filters) -> dict:
    """How fast threads are answered, by staff and by anyone; chat waiting; what the knowledge base deflects."""
    staff_groups = (Role.MODERATOR, Role.PRODUCT_MANAGER, Role.EDITOR, Role.DPO, Role.ADMINISTRATOR)
    threads = list(
        community_selectors.thread_service_rows(
            start=period.start, end=period.end, forum_ids=filters.forum_ids, staff_group_names=staff_groups
        )
    )
    authors = {t["author_id"] for t in threads if t["author_id"]}
    k = len(authors)
    any_answer = [hours(t["first_reply_at"] - t["created_at"]) for t in threads if t["first_reply_at"]]
    staff_answer = [hours(t["first_staff_reply_at"] - t["created_at"]) for t in threads if t["first_staff_reply_at"]]
    n = len(threads)
    figures = Table("service_answers", _("Time to first answer"), [_("Figure"), _("Any answer"), _("Staff answer")])
    figures.rows = [
        [Cell(_("Threads opened")), Cell(n, k), Cell(n, k)],
        [Cell(_("Median hours")), Cell(median(any_answer), k), Cell(median(staff_answer), k)],
        [
            Cell(_("90th percentile, hours")),
            Cell(percentile(any_answer, 0.9), k),
            Cell(percentile(staff_answer, 0.9), k),
        ],
        [
            Cell(_("Answered within 4 h")),
            Cell(share(sum(h <= 4 for h in any_answer), n), k, unit=" %"),
            Cell(share(sum(h <= 4 for h in staff_answer), n), k, unit=" %"),
        ],
        [
            Cell(_("Answered within 24 h")),
            Cell(share(sum(h <= 24 for h in any_answer), n), k, unit=" %"),
            Cell(share(sum(h <= 24 for h in staff_answer), n), k, unit=" %"),
        ],
        [
            Cell(_("Accepted answer")),
            Cell(share(sum(bool(t["accepted_post_id"]) for t in threads), n), k, unit=" %"),
            Cell(None),
        ],
    ]
    unanswered = Table(
        "service_unanswered", _("Unanswered open threads, oldest first"), [_("Thread"), _("Forum"), _("Open since")]
    )
    for thread in community_selectors.unanswered_open_threads(forum_ids=filters.forum_ids):
        unanswered.rows.append(
            [
                Cell(thread.title, link=reverse("community:thread", args=[thread.pk])),
                Cell(thread.forum.name),
                Cell(thread.created_at.date().isoformat()),
            ]
        )
    chats = list(chat_selectors.chat_service_rows(start=period.start, end=period.end))
    chat_members = len({c["member_id"] for c in chats if c["member_id"]})
    waiting = [hours(c["taken_at"] - c["created_at"]) * 60 for c in chats if c["taken_at"]]
    handling = [hours(c["closed_at"] - c["taken_at"]) * 60 for c in chats if c["taken_at"] and c["closed_at"]]
    chat_table = Table("service_chat", _("Live chat"), [_("Figure"), _("Value")])
    chat_table.rows = [
        [Cell(_("Chats started")), Cell(len(chats), chat_members)],
        [Cell(_("Median waiting time, minutes")), Cell(median(waiting), chat_members)],
        [Cell(_("90th percentile of waiting, minutes")), Cell(percentile(waiting, 0.9), chat_members)],
        [Cell(_("Median handling time, minutes")), Cell(median(handling), chat_members)],
        [Cell(_("90th percentile of handling, minutes")), Cell(percentile(handling, 0.9), chat_members)],
    ]
    bot_table = chat_bot(period)
    shown = (
        SuggestionDay.objects.filter(day__gte=period.first, day__lte=period.last).aggregate(n=Sum("shown"))["n"] or 0
    )
    deflection = Table(
        "service_deflection",
        _("Knowledge-base deflection"),
        [_("Suggestions shown while asking"), _("Questions posted anyway"), _("Questions per suggestion shown")],
        note=_("Suggestions are counted per day only, never per visitor."),
    )
    deflection.rows = [[Cell(shown), Cell(n, k), Cell(round(n / shown, 2) if shown else None, k)]]
    return {"tables": [figures, unanswered, chat_table, bot_table, deflection]}


def chat_bot(period: Period) -> Table:
    """What the chat's help bot answered, whether it helped and how often the member still wanted a person.

    Counted per answer; each cell stands for the distinct members whose chats the answers were in, so a
    group smaller than ``INSIGHT_MIN_GROUP`` shows "< k" like every other figure.
    """
    from community.chat.models import BotHelped

    rows = list(chat_selectors.bot_answer_rows(start=period.start, end=period.end))

    def members(selected) -> int:
        return len({r["chat__member_id"] for r in selected if r["chat__member_id"]})

    helped = [r for r in rows if r["helped"] == BotHelped.YES]
    not_helped = [r for r in rows if r["helped"] == BotHelped.NO]
    no_feedback = [r for r in rows if r["helped"] == BotHelped.UNKNOWN]
    handed = {r["chat_id"]: r for r in rows if r["handed_over"]}
    chats = {r["chat_id"]: r for r in rows}
    table = Table(
        "service_chat_bot",
        _("Chat bot"),
        [_("Figure"), _("Value")],
        note=_("Counted per answer and chat, never per member; small groups are not shown."),
    )
    table.rows = [
        [Cell(_("Answers given")), Cell(len(rows), members(rows))],
        [Cell(_("Helped")), Cell(len(helped), members(helped))],
        [Cell(_("Did not help")), Cell(len(not_helped), members(not_helped))],
        [Cell(_("No feedback")), Cell(len(no_feedback), members(no_feedback))],
        [Cell(_("Chats with a bot answer")), Cell(len(chats), members(chats.values()))],
        [Cell(_("Chats handed over to a person")), Cell(len(handed), members(handed.values()))],
    ]
    return table


# --- interest cards -------------------------------------------------------------------------------------


def interest_cards(period: Period, filters: Filters) -> dict:
    """What became of the interest cards per source, action, product, responsible person and team."""
    from crm.models import ActionType, SourceType
    from portal.models import User

    cards = list(crm_selectors.card_report_rows(start=period.start, end=period.end))
    if filters.product:
        cards = [c for c in cards if c["product"] == filters.product]
    tables = []
    groupings = (
        ("cards_source", _("By source"), "source_type", dict(SourceType.choices)),
        ("cards_action", _("By action type"), "action_type", dict(ActionType.choices)),
        ("cards_product", _("By product"), "product", {}),
        ("cards_team", _("By team"), "rule__team__name", {}),
    )
    assignees = {c["assignee_id"] for c in cards if c["assignee_id"]}
    names = {u.pk: u.public_name for u in User.objects.filter(pk__in=assignees).only("pk", "handle", "first_name")}
    for key, title, field_name, labels in groupings:
        tables.append(_card_table(key, title, cards, field_name, labels))
    person = _card_table("cards_person", _("By responsible person"), cards, "assignee_id", names)
    tables.append(person)
    claims = Table(
        "cards_claims", _("First to claim: cards claimed per person"), [_("Person"), _("Claimed")], chart="bar"
    )
    claimed = Counter(c["assignee_id"] for c in cards if c["claimed_at"] and c["assignee_id"])
    for pk, count in claimed.most_common():
        claims.rows.append([Cell(names.get(pk, "–")), Cell(count)])
    tables.append(claims)
    return {"tables": tables}


def _card_table(key, title, cards, field_name, labels) -> Table:
    table = Table(key, title, [_("Group"), _("Cards"), _("Processed"), _("Median hours to processed")])
    groups: dict[object, list] = defaultdict(list)
    for card in cards:
        groups[card[field_name]].append(card)
    for value, rows in sorted(groups.items(), key=lambda item: -len(item[1])):
        members = len({c["member_id"] or f"outside-{c['pk']}" for c in rows})
        processed = [hours(c["processed_at"] - c["created_at"]) for c in rows if c["processed_at"]]
        label = labels.get(value, value) if value not in (None, "") else _("none")
        table.rows.append(
            [
                Cell(str(label)),
                Cell(len(rows), members),
                Cell(share(len(processed), len(rows)), members, unit=" %"),
                Cell(median(processed), members),
            ]
        )
    return table


# --- topics ---------------------------------------------------------------------------------------------


def member_keyword_counts(period: Period, filters: Filters) -> Counter:
    """Distinct members per keyword: one member counts once per keyword, however often they repeat it."""
    pairs = set()
    rows = analyses(period, filters).filter(by_staff=False, member__isnull=False).values_list("member_id", "keywords")
    for member_id, keywords in rows.iterator(chunk_size=2000):
        for keyword in keywords:
            pairs.add((member_id, keyword))
    return Counter(keyword for _member, keyword in pairs)


def member_tag_counts(period: Period, filters: Filters) -> Counter:
    """Distinct members per thread tag (the members who opened or replied in a tagged thread)."""
    tags_of: dict[int, list[str]] = defaultdict(list)
    for thread_id, name in community_selectors.thread_public_tag_rows(start=period.start, end=period.end):
        tags_of[thread_id].append(name)
    pairs = set()
    rows = (
        analyses(period, filters)
        .filter(kind="post", by_staff=False, member__isnull=False)
        .values_list("member_id", "parent_id")
        .distinct()
    )
    for member_id, thread_id in rows:
        for name in tags_of.get(thread_id, ()):
            pairs.add((member_id, name))
    return Counter(name for _member, name in pairs)


def _rising(key, title, current: Counter, previous: Counter, link_param: str, period, filters) -> Table:
    table = Table(key, title, [_("Topic"), _("Members"), _("Previous period"), _("Change"), _("Rising")], chart="bar")
    k = min_group()
    shown = [(word, n) for word, n in current.most_common() if n >= k][:TOP]
    for word, n in shown:
        before = previous.get(word, 0)
        rising = n >= 2 * max(before, 1) and n - before >= k
        table.rows.append(
            [
                Cell(word, link=drill_url(**{link_param: word}, **_period_params(period, filters))),
                Cell(n, n),
                Cell(before, before),
                change(Cell(n, n), Cell(before, before)),
                Cell(_("rising") if rising else ""),
            ]
        )
    table.note = _("Each member counts once per topic; topics named by fewer than %(k)s members are not listed.") % {
        "k": k
    }
    return table


def topics(period: Period, filters: Filters) -> dict:
    """Top tags and keywords, and which rise against the previous period."""
    tags = _rising(
        "topics_tags",
        _("Top tags"),
        member_tag_counts(period, filters),
        member_tag_counts(period.previous, filters),
        "tag",
        period,
        filters,
    )
    words = _rising(
        "topics_keywords",
        _("Top keywords"),
        member_keyword_counts(period, filters),
        member_keyword_counts(period.previous, filters),
        "keyword",
        period,
        filters,
    )
    return {"tables": [words, tags]}


# --- mood -----------------------------------------------------------------------------------------------


def mood(period: Period, filters: Filters) -> dict:
    """The share of negative and positive texts per week, per forum, product and tag; threads needing attention."""
    from django.db.models.functions import TruncWeek

    trend = Table("mood_trend", _("Mood per week"), [_("Week"), _("Texts"), _("Negative"), _("Positive")], chart="line")
    rows = (
        analyses(period, filters)
        .filter(by_staff=False)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(
            items=Count("pk"),
            members=Count("member_id", distinct=True),
            negative=Count("pk", filter=Q(label=Label.NEGATIVE)),
            positive=Count("pk", filter=Q(label=Label.POSITIVE)),
        )
        .order_by("week")
    )
    for row in rows:
        m = row["members"]
        trend.rows.append(
            [
                Cell(row["week"].date().isoformat()),
                Cell(row["items"], m),
                Cell(share(row["negative"], row["items"]), m, unit=" %"),
                Cell(share(row["positive"], row["items"]), m, unit=" %"),
            ]
        )
    names = _container_names()
    where = Table(
        "mood_where", _("Negative share by forum and idea board"), [_("Where"), _("Texts"), _("Negative")], chart="bar"
    )
    for row in _negative_by(period, filters, "source", "container_id"):
        source = "ideas" if row["source"] == "ideas" else "forum"
        name = names.get((source, row["container_id"]), _("Chat") if row["source"] == "chat" else "–")
        link = drill_url(
            source=row["source"], container=row["container_id"], label="negative", **_period_params(period, filters)
        )
        where.rows.append(
            [
                Cell(name, link=link),
                Cell(row["items"], row["members"]),
                Cell(share(row["negative"], row["items"]), row["members"], unit=" %"),
            ]
        )
    products = Table(
        "mood_product", _("Negative share by product"), [_("Product"), _("Texts"), _("Negative")], chart="bar"
    )
    for row in _negative_by(period, filters, "product"):
        products.rows.append(
            [
                Cell(row["product"] or _("none")),
                Cell(row["items"], row["members"]),
                Cell(share(row["negative"], row["items"]), row["members"], unit=" %"),
            ]
        )
    tags = Table("mood_tags", _("Negative share by tag"), [_("Tag"), _("Members"), _("Negative members")])
    _tag_mood(tags, period, filters)
    attention = Table(
        "mood_attention",
        _("Needs attention: open threads with strongly negative posts, oldest first"),
        [_("Thread"), _("Forum"), _("Open since")],
    )
    for thread in needs_attention(period, filters):
        attention.rows.append(
            [
                Cell(thread.title, link=reverse("community:thread", args=[thread.pk])),
                Cell(thread.forum.name),
                Cell(thread.created_at.date().isoformat()),
            ]
        )
    return {"tables": [trend, where, products, tags, attention]}


def _negative_by(period: Period, filters: Filters, *fields):
    return (
        analyses(period, filters)
        .filter(by_staff=False)
        .values(*fields)
        .annotate(
            items=Count("pk"),
            members=Count("member_id", distinct=True),
            negative=Count("pk", filter=Q(label=Label.NEGATIVE)),
        )
        .order_by("-items")
    )


def _tag_mood(table: Table, period: Period, filters: Filters) -> None:
    tags_of: dict[int, list[str]] = defaultdict(list)
    for thread_id, name in community_selectors.thread_public_tag_rows(start=period.start, end=period.end):
        tags_of[thread_id].append(name)
    members: dict[str, set] = defaultdict(set)
    negative: dict[str, set] = defaultdict(set)
    rows = (
        analyses(period, filters)
        .filter(kind="post", by_staff=False, member__isnull=False)
        .values_list("member_id", "parent_id", "label")
    )
    for member_id, thread_id, label in rows:
        for name in tags_of.get(thread_id, ()):
            members[name].add(member_id)
            if label == Label.NEGATIVE:
                negative[name].add(member_id)
    for name in sorted(members, key=lambda n: -len(members[n]))[:TOP]:
        m = len(members[name])
        # The negative members are a subset: shown only when the group itself is large enough.
        bad = len(negative[name])
        table.rows.append([Cell(name), Cell(m, m), Cell(bad, bad)])


def needs_attention(period: Period, filters: Filters) -> list:
    """Open threads whose opening post or latest replies are strongly negative, oldest first."""
    parent_ids = set(
        analyses(period, filters)
        .filter(kind="post", by_staff=False, score__lte=ATTENTION_SCORE)
        .values_list("parent_id", flat=True)[:500]
    )
    threads = community_selectors.threads_by_ids(parent_ids)
    open_threads = [t for t in threads.values() if t.state == "open"]
    return sorted(open_threads, key=lambda t: (t.created_at, t.pk))[:ATTENTION_LIMIT]


# --- frequent questions ---------------------------------------------------------------------------------


def question_clusters(period: Period, filters: Filters) -> list[dict]:
    """Opening posts grouped by shared keywords (greedy, Jaccard >= 0.4 against the cluster's first question)."""
    rows = list(
        analyses(period, filters)
        .filter(kind="post", is_opening=True, source="forum", by_staff=False)
        .order_by("-created_at")
        .values_list("parent_id", "member_id", "keywords")[:CLUSTER_LIMIT]
    )
    clusters: list[dict] = []
    for thread_id, member_id, keywords in rows:
        words = set(keywords[:12])
        if not words:
            continue
        for cluster in clusters:
            seed = cluster["seed"]
            if len(words & seed) / len(words | seed) >= CLUSTER_SIMILARITY:
                cluster["threads"].append(thread_id)
                cluster["members"].add(member_id)
                cluster["words"].update(words)
                break
        else:
            clusters.append({"seed": words, "threads": [thread_id], "members": {member_id}, "words": Counter(words)})
    repeated = [c for c in clusters if len(c["threads"]) >= 2]
    repeated.sort(key=lambda c: (-len(c["threads"]), min(c["threads"])))
    return repeated[:TOP]


def frequent_questions(period: Period, filters: Filters) -> dict:
    from knowledgebase.search import article_suggestions

    clusters = question_clusters(period, filters)
    threads = community_selectors.threads_by_ids({pk for c in clusters for pk in c["threads"]})
    table = Table(
        "questions",
        _("Frequent questions"),
        [_("Question"), _("Times asked"), _("Keywords"), _("Covered by the knowledge base"), _("Accepted answers")],
    )
    entries = []
    for cluster in clusters:
        found = [threads[pk] for pk in cluster["threads"] if pk in threads]
        if not found:
            continue
        first = min(found, key=lambda t: (t.created_at, t.pk))
        members = len({m for m in cluster["members"] if m})
        keywords = ", ".join(word for word, _n in cluster["words"].most_common(4))
        article = article_suggestions(text=first.title, limit=1)
        accepted = sum(1 for t in found if t.accepted_post_id)
        table.rows.append(
            [
                Cell(first.title, link=drill_url(threads=",".join(str(t.pk) for t in found))),
                Cell(len(found), members),
                Cell(keywords),
                Cell(article[0]["title"] if article else _("no"), link=article[0]["url"] if article else ""),
                Cell(accepted),
            ]
        )
        entries.append(
            {"thread_ids": ",".join(str(t.pk) for t in found), "accepted": accepted, "covered": bool(article)}
        )
    return {"tables": [table], "clusters": entries}
