"""Faults found walking the idea board (issue 19): plural counts and the vote state after taking a vote back."""

from __future__ import annotations

import re

import pytest

from ideas import services

pytestmark = pytest.mark.usefixtures("home_page")


def _row(html: str, title: str) -> str:
    """The board's list item of one idea."""
    items = re.findall(r'<li class="card ideas-item">.*?</li>', html, flags=re.S)
    return next(item for item in items if title in item)


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_one_vote_and_one_comment_read_singular_on_the_board(client, make_idea, customer, other_customer):
    """The board reads "1 vote", "1 comment" and "2 votes" (never "1 votes")."""
    single = make_idea(title="Single vote idea")
    double = make_idea(title="Double vote idea")
    services.vote_set(idea_id=single.pk, voter=customer, voted=True)
    services.vote_set(idea_id=double.pk, voter=customer, voted=True)
    services.vote_set(idea_id=double.pk, voter=other_customer, voted=True)
    services.comment_create(idea=single, author=customer, body="Agreed.")
    html = client.get("/ideas/acme-cloud/").content.decode()
    single_row = _text(_row(html, "Single vote idea"))
    double_row = _text(_row(html, "Double vote idea"))
    assert "1 vote " in single_row and "1 votes" not in single_row
    assert "1 comment" in single_row and "1 comments" not in single_row
    assert "2 votes" in double_row and "0 comments" in double_row


def test_the_vote_answer_carries_the_unit_in_the_member_language(client, idea, customer):
    """The script replaces the count and its unit: "1 vote", "0 votes", German "1 Stimme"."""
    client.force_login(customer)
    url = f"/ideas/idea/{idea.pk}/vote/"
    voted = client.post(url, {"voted": "1"}, HTTP_ACCEPT="application/json").json()
    assert (voted["voted"], voted["vote_count"], voted["vote_unit"]) == (True, 1, "vote")
    taken_back = client.post(url, {"voted": "0"}, HTTP_ACCEPT="application/json").json()
    assert (taken_back["voted"], taken_back["vote_count"], taken_back["vote_unit"]) == (False, 0, "votes")
    customer.preferred_language = "de"
    customer.save(update_fields=["preferred_language"])
    german = client.post(url, {"voted": "1"}, HTTP_ACCEPT="application/json").json()
    assert german["vote_unit"] == "Stimme"


def test_you_voted_leaves_the_row_when_the_vote_is_taken_back(client, make_idea, customer):
    """The row's "You voted" mark is shown only while the vote stands, and the script can switch it and the button."""
    idea = make_idea(title="Toggle idea")
    client.force_login(customer)
    client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1"})
    row = _row(client.get("/ideas/acme-cloud/").content.decode(), f'/{idea.pk}/"')
    assert re.search(r'<span class="tag" data-voted-tag>You voted</span>', row)
    assert 'data-label-vote="Vote"' in row and 'data-label-unvote="Voted ✓ (take back)"' in row
    client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "0"})
    row = _row(client.get("/ideas/acme-cloud/").content.decode(), f'/{idea.pk}/"')
    assert re.search(r'<span class="tag" data-voted-tag hidden>You voted</span>', row)
    assert "Sie haben" not in row


def test_the_idea_review_pages_have_a_title(client, idea, product_manager):
    """The back office's idea review and one idea's review name themselves in the browser tab (not "- Wagtail")."""
    client.force_login(product_manager)
    titles = [
        re.search(r"<title>(.*?)</title>", client.get(url).content.decode(), flags=re.S).group(1).strip()
        for url in ("/admin/ideas-review/", f"/admin/ideas-review/{idea.pk}/")
    ]
    assert titles == ["Idea review - Wagtail", f"Review: {idea.title} - Wagtail"]


def test_suggestions_while_typing_name_the_votes_with_their_plural(client, make_idea, customer):
    """The similar-ideas list reads "(1 vote · Open)", not a bare number; the page asks for that label."""
    idea = make_idea(title="Dark mode for the dashboard")
    services.vote_set(idea_id=idea.pk, voter=customer, voted=True)
    (row,) = client.get("/ideas/similar/?q=dashboard+dark").json()["results"]
    assert (row["votes"], row["votes_label"]) == (1, "1 vote")
    client.force_login(customer)
    assert 'data-suggest-meta=" ({votes_label} · {status})"' in client.get("/ideas/acme-cloud/new/").content.decode()


def test_a_merge_tells_the_duplicate_author_and_followers_where_it_went(
    make_idea, customer, other_customer, product_manager, django_capture_on_commit_callbacks
):
    """Voters hear their vote moved; the duplicate's author and followers who did not vote hear where it went."""
    from portal.models import Notification
    from tests.factories import make_member

    author = make_member()
    duplicate = make_idea(author=author, title="PDF export please")
    original = make_idea(title="Export reports as PDF")
    services.follow_set(idea=duplicate, user=other_customer, following=True)
    services.vote_set(idea_id=duplicate.pk, voter=customer, voted=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_merge(duplicate=duplicate, original=original, by=product_manager)
    told = sorted(Notification.objects.filter(kind="idea_status").values_list("recipient_id", "message", "url"))
    url = original.get_absolute_url()
    assert told == sorted(
        [
            (customer.pk, "ideas.merged_vote", url),
            (other_customer.pk, "ideas.merged", url),
            (author.pk, "ideas.merged", url),
        ]
    )
    notice = Notification.objects.get(recipient=other_customer)
    assert notice.title == "“PDF export please” was merged into “Export reports as PDF”"


def test_idea_dates_use_the_locale_format(client, make_idea, customer):
    """The board row and a comment show their dates in the locale's short formats, as forum posts do (not ISO)."""
    from django.utils import formats, timezone, translation

    idea = make_idea(title="Dated idea")
    comment = services.comment_create(idea=idea, author=customer, body="Agreed.")
    for language in ("en", "de"):
        with translation.override(language):
            day = formats.date_format(timezone.localtime(idea.created_at), "SHORT_DATE_FORMAT")
            moment = formats.date_format(timezone.localtime(comment.created_at), "SHORT_DATETIME_FORMAT")
        row = _text(
            _row(client.get("/ideas/acme-cloud/", HTTP_ACCEPT_LANGUAGE=language).content.decode(), "Dated idea")
        )
        detail = _text(client.get(idea.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode())
        assert day in row
        assert moment in detail
        assert re.search(r"\d{4}-\d{2}-\d{2}", row + detail) is None
