"""The product managers' review console: access, status, notes, merge, demand figures and CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from ideas import selectors, services
from ideas.models import Idea, InternalNote, Status, StatusChange, Vote
from tests.factories import make_member

pytestmark = pytest.mark.usefixtures("home_page")


def test_customer_cannot_open_console(client, customer, idea):
    """Customers are sent to the back-office login for every console URL; nothing changes."""
    client.force_login(customer)
    for url in (
        "/admin/ideas-review/",
        f"/admin/ideas-review/{idea.pk}/",
        f"/admin/ideas-review/export/{idea.board_id}/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")
    client.post(f"/admin/ideas-review/{idea.pk}/status/", {"status": "planned", "response": "x"})
    client.post(f"/admin/ideas-review/{idea.pk}/note/", {"body": "sneaky"})
    idea.refresh_from_db()
    assert (idea.status, InternalNote.objects.count(), StatusChange.objects.count()) == (Status.NEW, 0, 0)


def test_moderator_is_forbidden_in_console(client, moderator, idea):
    """A moderator has back-office access but not the review console: sent back to the dashboard, nothing changes."""
    client.force_login(moderator)
    for response in (
        client.get("/admin/ideas-review/"),
        client.get(f"/admin/ideas-review/{idea.pk}/"),
        client.post(f"/admin/ideas-review/{idea.pk}/status/", {"status": "planned"}),
        client.post(f"/admin/ideas-review/{idea.pk}/note/", {"body": "x"}),
        client.post(f"/admin/ideas-review/{idea.pk}/merge/", {"merge-original": idea.pk}),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    idea.refresh_from_db()
    assert (idea.status, InternalNote.objects.count()) == (Status.NEW, 0)


def test_console_sorts_and_filters(client, product_manager, make_idea):
    """The console sorts by votes, trend and age and filters by status and tag."""
    old = make_idea(title="Old idea with votes")
    new = make_idea(title="New idea trending")
    Idea.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=90))
    voters = [make_member() for _ in range(3)]
    for user in voters:
        services.vote_set(idea_id=old.pk, voter=user, voted=True)
    Vote.objects.filter(idea=old).update(created_at=timezone.now() - timedelta(days=60))
    for user in voters[:1]:
        services.vote_set(idea_id=new.pk, voter=user, voted=True)
    services.idea_set_status(idea=new, by=product_manager, status=Status.UNDER_REVIEW, response="", tags=["reporting"])
    client.force_login(product_manager)

    def titles(query):
        return [i.title for i in client.get(f"/admin/ideas-review/?{query}").context["ideas"]]

    assert titles("sort=votes") == ["Old idea with votes", "New idea trending"]
    assert titles("sort=trend") == ["New idea trending", "Old idea with votes"]
    assert titles("sort=age") == ["Old idea with votes", "New idea trending"]
    assert titles("status=under_review") == ["New idea trending"]
    assert titles("tag=reporting") == ["New idea trending"]
    assert titles(f"board={old.board_id}&sort=bogus&status=evil") == ["Old idea with votes", "New idea trending"]


def test_pm_sets_status_through_console(client, product_manager, idea, customer, django_capture_on_commit_callbacks):
    """A PM sets "planned" with a response in the console; the history shows who and why."""
    services.vote_set(idea_id=idea.pk, voter=customer, voted=True)
    client.force_login(product_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/ideas-review/{idea.pk}/status/", {"status": "planned", "response": "In Q3", "tags": "pdf, reports"}
        )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert (idea.status, idea.public_response) == (Status.PLANNED, "In Q3")
    assert sorted(idea.tags.names()) == ["pdf", "reports"]
    assert customer.notifications.get().title == "Idea “Export reports as PDF” is now: Planned"
    page = client.get(f"/admin/ideas-review/{idea.pk}/").content.decode()
    assert f"@{product_manager.handle}" in page
    assert "In Q3" in page


def test_console_status_bad_input(client, product_manager, idea):
    """An unknown status is a form error with status 400; nothing changes."""
    client.force_login(product_manager)
    response = client.post(f"/admin/ideas-review/{idea.pk}/status/", {"status": "duplicate"})
    assert response.status_code == 400
    assert client.post("/admin/ideas-review/999999/status/", {"status": "planned"}).status_code == 404
    idea.refresh_from_db()
    assert (idea.status, StatusChange.objects.count()) == (Status.NEW, 0)


def test_internal_notes_are_staff_only(client, product_manager, customer, idea):
    """Notes show in the console and never on the public idea page."""
    client.force_login(product_manager)
    client.post(f"/admin/ideas-review/{idea.pk}/note/", {"body": "Top customer asked"})
    assert "Top customer asked" in client.get(f"/admin/ideas-review/{idea.pk}/").content.decode()
    client.force_login(customer)
    assert "Top customer asked" not in client.get(f"/ideas/idea/{idea.pk}/").content.decode()
    assert list(InternalNote.objects.values_list("body", "author_id")) == [("Top customer asked", product_manager.pk)]


def test_merge_through_console(client, product_manager, make_idea):
    """A PM merges a duplicate by the original's number and lands on the original."""
    original, duplicate = make_idea(title="Dark mode"), make_idea(title="Dark theme")
    voter = make_member()
    services.vote_set(idea_id=duplicate.pk, voter=voter, voted=True)
    client.force_login(product_manager)
    response = client.post(
        f"/admin/ideas-review/{duplicate.pk}/merge/", {"merge-original": original.pk, "merge-response": ""}
    )
    assert response["Location"] == f"/admin/ideas-review/{original.pk}/"
    original.refresh_from_db()
    assert original.vote_count == 1
    assert Idea.objects.get(pk=duplicate.pk).merged_into_id == original.pk


def test_merge_bad_input(client, product_manager, idea):
    """Merging into an unknown idea or itself is refused with a form error."""
    client.force_login(product_manager)
    assert client.post(f"/admin/ideas-review/{idea.pk}/merge/", {"merge-original": 999999}).status_code == 400
    assert client.post(f"/admin/ideas-review/{idea.pk}/merge/", {"merge-original": idea.pk}).status_code == 400
    assert client.post(f"/admin/ideas-review/{idea.pk}/merge/", {"merge-original": "x"}).status_code == 400
    idea.refresh_from_db()
    assert (idea.status, idea.merged_into_id) == (Status.NEW, None)


def test_votes_over_time(idea):
    """Votes are counted per week with a running total, including older votes."""
    now = timezone.now()
    for days in (100, 20, 18, 1):
        Vote.objects.create(idea=idea, voter=make_member(), created_at=now - timedelta(days=days))
    rows = selectors.votes_over_time(idea, weeks=12, now=now)
    assert [r["votes"] for r in rows] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]
    assert rows[-1]["total"] == 4
    assert rows[0]["total"] == 1


def test_segments_only_consenting_and_no_group_under_five(idea):
    """Segments count only analytics consenters; a group of 4 is never shown on its own."""
    from consent.services import consent_grant

    german = [make_member(preferred_language="de") for _ in range(6)]
    english = [make_member(preferred_language="en") for _ in range(4)]
    silent = [make_member(preferred_language="en") for _ in range(5)]
    for user in german + english + silent:
        services.vote_set(idea_id=idea.pk, voter=user, voted=True)
    for user in german + english:
        consent_grant(user=user, purpose="analytics")
    segments = selectors.demand_segments(idea)
    assert segments["language"] == {"rows": [("de", 6)], "suppressed": True}
    assert segments["tenure"] == {"rows": [("new", 10)], "suppressed": False}


def test_segments_pool_small_groups_when_large_enough(idea):
    """Two small groups of 3 pool into "other" (6), never shown apart."""
    from consent.services import consent_grant

    users = [make_member(preferred_language="de") for _ in range(3)] + [
        make_member(preferred_language="en") for _ in range(3)
    ]
    for user in users:
        services.vote_set(idea_id=idea.pk, voter=user, voted=True)
        consent_grant(user=user, purpose="analytics")
    assert selectors.demand_segments(idea)["language"] == {"rows": [("other", 6)], "suppressed": True}


def test_csv_export_uses_pseudonyms(client, product_manager, idea, customer):
    """The CSV lists ideas with vote counts and members only as export pseudonyms."""
    from consent.pseudonyms import pseudonym_for

    services.vote_set(idea_id=idea.pk, voter=customer, voted=True)
    client.force_login(product_manager)
    response = client.get(f"/admin/ideas-review/export/{idea.board_id}/")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
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
    assert rows[1][:6] == [str(idea.pk), "Export reports as PDF", "new", "", "1", "0"]
    assert rows[1][8] == pseudonym_for(idea.author, "export")
    assert rows[1][9] == pseudonym_for(customer, "export")
    for identifier in (customer.email, customer.handle, idea.author.email, idea.author.handle):
        assert identifier not in body


def test_csv_export_neutralises_formulas(client, product_manager, make_idea):
    """A title that starts like a spreadsheet formula is prefixed so it stays text."""
    idea = make_idea(title="=HYPERLINK(evil)")
    client.force_login(product_manager)
    body = b"".join(client.get(f"/admin/ideas-review/export/{idea.board_id}/").streaming_content).decode()
    assert "'=HYPERLINK(evil)" in body


def test_pm_manages_boards_in_back_office(client, product_manager, customer, board):
    """Product managers list and edit boards in the back office; customers cannot."""
    client.force_login(product_manager)
    response = client.get("/admin/idea_boards/")
    assert response.status_code == 200
    assert "Acme Cloud" in response.content.decode()
    client.post(
        f"/admin/idea_boards/edit/{board.pk}/",
        {"name": "Acme Cloud 2", "slug": "acme-cloud", "description": "", "is_active": "on", "position": "0"},
    )
    board.refresh_from_db()
    assert board.name == "Acme Cloud 2"
    client.force_login(customer)
    assert client.get("/admin/idea_boards/").status_code == 302


def test_every_ideas_model_is_classified(db):
    """Every model of the ideas app is in the personal-data registry, with no broken field names."""
    from django.apps import apps

    from consent.registry import is_classified, problems

    assert [m._meta.label for m in apps.get_app_config("ideas").get_models() if not is_classified(m)] == []
    assert [p for p in problems() if p.startswith("ideas.")] == []
