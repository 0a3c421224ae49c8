"""The Insight back office: who may open it, what its pages and CSVs show (and never show), bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from insight import services
from insight.models import DigestSubscription, ItemAnalysis

SECTIONS = ("volume", "service", "cards", "topics", "mood", "questions")


def _identifiers(members) -> list[str]:
    found = []
    for member in members:
        found += [member.email, member.first_name, member.last_name, member.handle]
    return [value for value in found if value]


@pytest.mark.parametrize("role", ["moderator", "product_manager", "administrator"])
def test_staff_with_insight_open_every_view_and_see_the_menu(client, request, role, seeded):
    """Moderators, product managers and administrators open all six views; the menu names the area."""
    services.backfill()
    client.force_login(request.getfixturevalue(role))
    for name in SECTIONS:
        response = client.get(reverse(f"insight_admin:{name}"))
        assert response.status_code == 200, name
    assert b"Frequent questions" in client.get(reverse("wagtailadmin_home")).content


@pytest.mark.parametrize("role", ["customer", "editor", "dpo"])
def test_others_are_refused(client, request, role, seeded):
    """Editors, DPOs and customers get no insight page, no CSV and no drill-down."""
    client.force_login(request.getfixturevalue(role))
    for url in (
        reverse("insight_admin:volume"),
        reverse("insight_admin:volume") + "?csv=volume_totals",
        reverse("insight_admin:drill"),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert b"Billing" not in response.content


def test_anonymous_is_sent_to_the_login(client, seeded):
    """Nobody signed out reaches the dashboards."""
    response = client.get(reverse("insight_admin:volume"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_no_member_identifier_on_any_page_or_csv(client, moderator, seeded):
    """No e-mail, name or handle of a member appears on any view, in any table's CSV or in a drill-down."""
    services.backfill()
    client.force_login(moderator)
    identifiers = _identifiers(seeded.members)
    assert len(identifiers) == 32
    pages = []
    for name in SECTIONS:
        response = client.get(reverse(f"insight_admin:{name}"), {"range": "30"})
        pages.append(response.content.decode())
        for key in set(part.split('"')[0] for part in response.content.decode().split('data-table="')[1:]):
            csv_response = client.get(reverse(f"insight_admin:{name}"), {"range": "30", "csv": key})
            assert csv_response.status_code == 200
            assert csv_response["Content-Type"].startswith("text/csv")
            pages.append(csv_response.content.decode())
    first = seeded.base.date().isoformat()
    pages.append(
        client.get(reverse("insight_admin:drill"), {"start": first, "end": first, "source": "forum"}).content.decode()
    )
    assert len(pages) > 20
    leaked = [value for value in identifiers for page in pages if value in page]
    assert leaked == []


def test_csv_carries_the_suppressed_cells(client, moderator, seeded):
    """The CSV of the forum table shows "< 5" for General just like the page."""
    services.backfill()
    client.force_login(moderator)
    response = client.get(reverse("insight_admin:volume"), {"range": "30", "csv": "volume_where"})
    lines = response.content.decode().splitlines()
    assert lines[0] == "Where,Source,Texts"
    assert "Billing,Forum,12" in lines
    assert "General,Forum,< 5" in lines


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"range": "custom", "start": "2026-05-10", "end": "2026-05-01"}, "The start date is after the end date"),
        ({"range": "custom", "start": "1900-01-01", "end": "1900-02-01"}, "Choose dates between 2000-01-01 and today"),
        ({"range": "custom", "start": "2020-01-01", "end": "2024-01-01"}, "Choose at most 366 days"),
        ({"range": "custom", "start": "2026-01-01"}, "Give both a start and an end date"),
        ({"range": "custom", "start": "banana", "end": "\x00"}, "Enter a valid date"),
    ],
)
def test_bad_periods_get_a_clear_message(client, moderator, params, message):
    """Reversed, absurd, oversized or half-given dates: the page says what is wrong and shows 30 days."""
    client.force_login(moderator)
    response = client.get(reverse("insight_admin:service"), params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_german_pages(client, moderator, seeded):
    """A moderator who prefers German reads the views in German."""
    services.backfill()
    moderator.preferred_language = "de"
    moderator.save(update_fields=["preferred_language"])
    client.force_login(moderator)
    page = client.get(reverse("insight_admin:service"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Zeit bis zur ersten Antwort" in page
    assert "Unbeantwortete offene Themen" in page


def test_drill_down_lists_the_threads_never_members(client, moderator, seeded):
    """The drill-down behind a keyword lists the threads that mention it."""
    services.backfill()
    client.force_login(moderator)
    first = seeded.base.date().isoformat()
    response = client.get(reverse("insight_admin:drill"), {"start": first, "end": first, "keyword": "rechnung"})
    page = response.content.decode()
    assert "Rechnung ist falsch" in page
    assert "Rechnung falsch abgebucht" in page
    assert "Invoice shows wrong amount" not in page


def test_digest_subscription_and_mail_aggregates_only(client, moderator, seeded, mailoutbox):
    """A manager subscribes; the weekly digest mail carries figures, no member identifier."""
    from insight.digest import digests_send

    services.backfill()
    client.force_login(moderator)
    client.post(reverse("insight_admin:digest"), {"subscribe": "1"})
    assert DigestSubscription.objects.filter(user=moderator).count() == 1
    from portal.models import OutgoingMail

    assert digests_send() == 1
    mail = OutgoingMail.objects.filter(user=moderator).order_by("-pk").first()
    body = mail.body if mail else mailoutbox[-1].body
    assert "Time to first answer" in body
    assert [value for value in _identifiers(seeded.members) if value in body] == []
    assert digests_send() == 0


def test_dashboard_query_budget_is_flat(client, moderator, seeded, django_assert_max_num_queries):
    """The main dashboard costs the same number of queries with 15 texts as with 45."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from community import services as community

    services.backfill()
    client.force_login(moderator)
    client.get(reverse("insight_admin:volume"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("insight_admin:volume"))
    for thread in seeded.threads[:5]:
        for n in range(6):
            community.post_create(thread=thread, author=seeded.members[n], body=f"Another reply number {n}")
    services.backfill()
    assert ItemAnalysis.objects.count() == 45
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("insight_admin:volume"))
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize("query", ["", "?language=de"])
def test_the_period_picker_shows_the_period_the_page_reports(client, moderator, seeded, query):
    """Without a chosen period the page reports 30 days, and the picker says "Last 30 days" (it said 7)."""
    client.force_login(moderator)
    page = client.get(reverse("insight_admin:volume") + query).content.decode()
    assert '<option value="30" selected>' in page
    assert '<option value="7" selected>' not in page


def test_the_forum_filter_names_forums_in_the_readers_language(client, moderator, seeded):
    """A German moderator picks forums by their German names."""
    from community.models import Forum

    forum = Forum.objects.filter(is_private=False).first()
    Forum.objects.filter(pk=forum.pk).update(name_de="Deutscher Forumsname")
    moderator.preferred_language = "de"
    moderator.save(update_fields=["preferred_language"])
    client.force_login(moderator)
    page = client.get(reverse("insight_admin:volume"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f'<option value="{forum.pk}">Deutscher Forumsname</option>' in page
