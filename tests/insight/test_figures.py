"""Exact figures on the seeded community: labels, answer times, clusters, k-suppression and exclusions."""

from __future__ import annotations

import pytest

from insight import dashboards, services
from insight.models import DailyFigure, ItemAnalysis
from insight.reports import Filters, Period, percentile, period_last_days


def table(result: dict, key: str):
    return next(t for t in result["tables"] if t.key == key)


def texts(tbl) -> list[list[str]]:
    return [[cell.text for cell in row] for row in tbl.rows]


def last_30() -> Period:
    return period_last_days(30)


def test_backfill_labels_every_text_in_its_language(seeded):
    """The backfill analyses 14 posts and the idea: German and English moods, staff posts flagged."""
    result = services.backfill()
    assert result["post"] == 14
    assert result["idea"] == 1
    question = ItemAnalysis.objects.get(kind="post", parent_id=seeded.threads[0].pk, is_opening=True)
    assert (question.language, question.label) == ("de", "negative")
    assert question.keywords == ["rechnung", "falsch", "doppelt", "abbuchen", "ärgerlich"]
    english = ItemAnalysis.objects.get(kind="post", parent_id=seeded.threads[4].pk, is_opening=True)
    assert (english.language, english.label) == ("en", "positive")
    thanks = ItemAnalysis.objects.get(kind="post", parent_id=seeded.threads[4].pk, is_opening=False)
    assert (thanks.language, thanks.label) == ("de", "positive")
    assert ItemAnalysis.objects.filter(by_staff=True).count() == 3
    assert sum(DailyFigure.objects.values_list("items", flat=True)) == 15


def test_percentile_interpolates_between_ranks():
    """p90 of 1, 2, 3, 10, 30 lies 60 % of the way from 10 to 30."""
    assert percentile([30, 1, 10, 2, 3], 0.9) == pytest.approx(22.0)
    assert percentile([], 0.9) is None


def test_service_figures_are_exact(seeded):
    """Median and p90 of first answers (any and staff), answered within 4 h / 24 h, accepted rate."""
    services.backfill()
    answers = table(dashboards.service(last_30(), Filters(forum=seeded.billing.pk)), "service_answers")
    assert texts(answers) == [
        ["Threads opened", "6", "6"],
        ["Median hours", "3.0", "5.0"],
        ["90th percentile, hours", "22.0", "25.0"],
        ["Answered within 4 h", "50.0 %", "16.7 %"],
        ["Answered within 24 h", "66.7 %", "33.3 %"],
        ["Accepted answer", "16.7 %", "–"],
    ]
    unanswered = table(dashboards.service(last_30(), Filters()), "service_unanswered")
    assert [row[0].text for row in unanswered.rows] == ["Router firmware question"]


def test_small_groups_are_suppressed(seeded):
    """General has two members, the idea board one: their cells read "< 5"; Billing's 12 texts are shown."""
    services.backfill()
    where = texts(table(dashboards.volume(last_30(), Filters()), "volume_where"))
    assert where == [
        ["Billing", "Forum", "12"],
        ["General", "Forum", "< 5"],
        ["Router X", "Ideas", "< 5"],
    ]
    answers = table(dashboards.service(last_30(), Filters(forum=seeded.general.pk)), "service_answers")
    assert texts(answers)[1] == ["Median hours", "< 5", "< 5"]


def test_no_combination_of_filters_shows_a_cell_of_fewer_than_five_members(seeded):
    """For every forum x language x source filter, a forum cell is shown only when >= 5 members stand behind it.

    The members are counted here independently, in Python over the stored analyses.
    """
    services.backfill()
    rows = list(ItemAnalysis.objects.values("source", "container_id", "language", "member_id"))
    checked, suppressed = 0, 0
    for forum in (None, seeded.billing.pk, seeded.general.pk):
        for language in ("", "de", "en"):
            for source in ("", "forum", "ideas"):
                filters = Filters(forum=forum, language=language, source=source)
                for row in table(dashboards.volume(last_30(), filters), "volume_where").rows:
                    name, _source, count = row
                    container = {"Billing": seeded.billing.pk, "General": seeded.general.pk}.get(name.value)
                    behind = {
                        r["member_id"]
                        for r in rows
                        if (r["source"] == "ideas" if container is None else r["container_id"] == container)
                        and (container is None or r["source"] in ("forum", "blog"))
                        and (not language or r["language"] == language)
                        and (not source or r["source"] == source)
                    }
                    assert (count.text == "< 5") == (len(behind) < 5), (forum, language, source, name.value)
                    checked += 1
                    suppressed += count.text == "< 5"
    assert (checked, suppressed) == (24, 12)


def test_frequent_questions_cluster_german_and_english_repeats(seeded):
    """The two German invoice questions form one cluster, the two English ones another."""
    services.backfill()
    clusters = dashboards.question_clusters(last_30(), Filters())
    groups = sorted(sorted(c["threads"]) for c in clusters)
    t = [thread.pk for thread in seeded.threads]
    assert groups == [[t[0], t[1]], [t[2], t[3]]]
    rows = texts(table(dashboards.frequent_questions(last_30(), Filters()), "questions"))
    assert [row[0] for row in rows] == ["Rechnung ist falsch", "Invoice shows wrong amount"]
    assert [row[1] for row in rows] == ["< 5", "< 5"]


def test_needs_attention_lists_open_negative_threads_oldest_first(seeded):
    """Threads 2, 3 and 4 open with strongly negative questions; thread 1 is answered, so it is not listed."""
    services.backfill()
    listed = [thread.pk for thread in dashboards.needs_attention(last_30(), Filters())]
    assert listed == [seeded.threads[1].pk, seeded.threads[2].pk, seeded.threads[3].pk]


def test_objecting_member_is_left_out_of_every_figure(seeded, dpo):
    """After an objection the member's texts are no longer analysed and the figures stop counting them."""
    from consent.dsar.restrictions import restriction_place

    services.backfill()
    member = seeded.members[0]
    assert ItemAnalysis.objects.filter(member=member).count() == 2
    restriction_place(member=member, kind="objection", actor=dpo)
    services.backfill()
    assert ItemAnalysis.objects.filter(member=member).count() == 0
    where = texts(table(dashboards.volume(last_30(), Filters()), "volume_where"))
    assert ["Billing", "Forum", "11"] in where


def test_restricted_member_is_dropped_by_the_event(seeded, dpo, django_capture_on_commit_callbacks):
    """A restriction request carried out removes the member's analyses at once (after commit)."""
    from insight.receivers import on_processing_stopped

    services.backfill()
    member = seeded.members[1]
    with django_capture_on_commit_callbacks(execute=True):
        on_processing_stopped(member_id=member.pk, kind="restriction")
    assert ItemAnalysis.objects.filter(member=member).count() == 0


def test_csv_cells_that_look_like_formulas_stay_text():
    """A member's title "=HYPERLINK(...)" is quoted for spreadsheets; changes like "+3" and "-1.5" stay numbers."""
    from insight.reports import Cell, Table

    tbl = Table(
        "t", "T", ["Question", "Change"], rows=[[Cell('=HYPERLINK("x")'), Cell("+3")], [Cell("@me"), Cell("-1.5")]]
    )
    assert tbl.csv_rows() == [["Question", "Change"], ['\'=HYPERLINK("x")', "+3"], ["'@me", "-1.5"]]


def test_busy_groups_are_read_from_the_daily_figures_alone(db, django_assert_num_queries):
    """Five members asking on one day: the daily figure proves >= 5 members, so one query over it suffices."""
    from community import services as community
    from community.models import Forum
    from portal.roles import Role
    from tests.factories import make_member

    forum = Forum.objects.create(name="Busy", slug="busy")
    for n in range(5):
        community.thread_create(
            forum=forum, author=make_member(role=Role.CUSTOMER), title=f"Question {n}", body="How do I export data?"
        )
    services.backfill()
    from insight.reports import grouped_cells

    with django_assert_num_queries(1):
        cells = grouped_cells(last_30(), Filters(), ("category",))
    assert [(key, cell.text) for key, cell in cells.items()] == [(("thread",), "5")]
    with django_assert_num_queries(1):  # a product filter is not materialised: counted exactly, in one query
        cells = grouped_cells(last_30(), Filters(product="none"), ("category",))
    assert cells == {}
