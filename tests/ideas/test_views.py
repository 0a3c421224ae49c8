"""Member-facing idea pages: lists with filters, posting with suggestions, voting without JS, comments, roadmap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ideas import services
from ideas.models import Comment, Idea, Status, Vote
from tests.factories import make_member

pytestmark = pytest.mark.usefixtures("home_page")


def _titles(response) -> list[str]:
    return [idea.title for idea in response.context["ideas"]]


def test_board_index_lists_boards(client, board, idea):
    """The ideas start page lists active boards with their idea counts."""
    response = client.get("/ideas/")
    assert response.status_code == 200
    assert [(b.name, b.idea_count) for b in response.context["boards"]] == [("Acme Cloud", 1)]


def test_board_shows_my_vote_state(client, make_idea, customer):
    """The list marks the ideas I voted for."""
    voted = make_idea(title="Voted idea")
    make_idea(title="Other idea")
    services.vote_set(idea_id=voted.pk, voter=customer, voted=True)
    client.force_login(customer)
    response = client.get("/ideas/acme-cloud/")
    state = {i.title: i.has_voted for i in response.context["ideas"]}
    assert state == {"Voted idea": True, "Other idea": False}
    assert 'aria-pressed="true"' in response.content.decode()


def test_board_sorts_top_newest_trending(client, make_idea):
    """Top orders by votes, newest by date, trending by votes of the last 30 days."""
    old = make_idea(title="Old favourite")
    fresh = make_idea(title="Fresh idea")
    voters = [make_member() for _ in range(3)]
    for user in voters:
        services.vote_set(idea_id=old.pk, voter=user, voted=True)
    Vote.objects.filter(idea=old).update(created_at=timezone.now() - timedelta(days=40))
    for user in voters[:2]:
        services.vote_set(idea_id=fresh.pk, voter=user, voted=True)
    Idea.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=50))
    assert _titles(client.get("/ideas/acme-cloud/?sort=top")) == ["Old favourite", "Fresh idea"]
    assert _titles(client.get("/ideas/acme-cloud/?sort=newest")) == ["Fresh idea", "Old favourite"]
    assert _titles(client.get("/ideas/acme-cloud/?sort=trending")) == ["Fresh idea", "Old favourite"]


def test_board_filters_status_mine_and_my_votes(client, make_idea, customer, product_manager):
    """Status, "my ideas" and "my votes" filters narrow the list."""
    make_idea(title="My own idea", author=customer)
    planned = make_idea(title="Planned idea")
    make_idea(title="Someone else's idea")
    services.idea_set_status(idea=planned, by=product_manager, status=Status.PLANNED, response="Yes")
    services.vote_set(idea_id=planned.pk, voter=customer, voted=True)
    client.force_login(customer)
    assert _titles(client.get("/ideas/acme-cloud/?status=planned")) == ["Planned idea"]
    assert _titles(client.get("/ideas/acme-cloud/?show=mine")) == ["My own idea"]
    assert _titles(client.get("/ideas/acme-cloud/?show=votes")) == ["Planned idea"]


def test_board_ignores_bad_filters(client, idea):
    """Unknown sort, status and page values fall back to defaults instead of failing."""
    response = client.get("/ideas/acme-cloud/?sort=drop&status=evil&page=abc&show=votes")
    assert response.status_code == 200
    assert _titles(response) == ["Export reports as PDF"]


def test_unknown_board_and_idea_are_404(client, db):
    """Unknown board slugs and idea ids give 404."""
    assert client.get("/ideas/nope/").status_code == 404
    assert client.get("/ideas/idea/424242/").status_code == 404


def test_vote_without_javascript(client, idea, customer):
    """A plain form POST votes and redirects back to the list; a second identical POST changes nothing."""
    client.force_login(customer)
    response = client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1", "next": "/ideas/acme-cloud/"})
    assert (response.status_code, response["Location"]) == (302, "/ideas/acme-cloud/")
    client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1"})
    idea.refresh_from_db()
    assert (idea.vote_count, Vote.objects.count()) == (1, 1)
    client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "0"})
    idea.refresh_from_db()
    assert idea.vote_count == 0


def test_vote_json(client, idea, customer):
    """The enhancement script gets the new state and exact count as JSON."""
    client.force_login(customer)
    response = client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1"}, HTTP_ACCEPT="application/json")
    assert response.json() == {"voted": True, "vote_count": 1, "vote_unit": "vote", "changed": True}


def test_vote_rejects_bad_input(client, idea, customer):
    """A missing or malformed vote value is a 400; GET is not allowed; nothing changes."""
    client.force_login(customer)
    assert client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "maybe"}).status_code == 400
    assert client.post(f"/ideas/idea/{idea.pk}/vote/").status_code == 400
    assert client.get(f"/ideas/idea/{idea.pk}/vote/").status_code == 405
    assert client.post("/ideas/idea/99999/vote/", {"voted": "1"}).status_code == 404
    assert Vote.objects.count() == 0


def test_vote_on_closed_idea_shows_error(client, idea, customer, product_manager):
    """Voting on a declined idea shows a clear error and stores nothing."""
    services.idea_set_status(idea=idea, by=product_manager, status=Status.DECLINED, response="No")
    client.force_login(customer)
    response = client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1"}, follow=True)
    assert "Voting on this idea is closed." in response.content.decode()
    json_response = client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1"}, HTTP_ACCEPT="application/json")
    assert (json_response.status_code, json_response.json()) == (409, {"error": "Voting on this idea is closed."})
    assert Vote.objects.count() == 0


def test_anonymous_vote_redirects_to_login(client, idea):
    """Anonymous visitors are sent to the login page; nothing is stored."""
    response = client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    assert Vote.objects.count() == 0


def test_vote_next_cannot_redirect_offsite(client, idea, customer):
    """The redirect target must be on this site."""
    client.force_login(customer)
    response = client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1", "next": "https://evil.example/"})
    assert response["Location"] == f"/ideas/idea/{idea.pk}/"


def test_post_idea_shows_similar_ideas_before_publishing(client, idea, customer):
    """The first step shows similar ideas and a preview; only the confirm step publishes."""
    client.force_login(customer)
    response = client.post(
        "/ideas/acme-cloud/new/", {"step": "preview", "title": "PDF export for reports", "body": "*Please*"}
    )
    assert response.status_code == 200
    assert [i.title for i in response.context["similar"]] == ["Export reports as PDF"]
    assert response.context["preview_html"] == "<p><em>Please</em></p>"
    assert Idea.objects.count() == 1
    response = client.post(
        "/ideas/acme-cloud/new/", {"step": "publish", "title": "PDF export for reports", "body": "*Please*"}
    )
    created = Idea.objects.get(title="PDF export for reports")
    assert response["Location"] == f"/ideas/idea/{created.pk}/"
    assert created.author_id == customer.pk


def test_post_idea_personal_data_warning(client, customer, board):
    """Personal data in an idea is flagged; the member removes it or keeps it, without JavaScript."""
    client.force_login(customer)
    data = {"step": "publish", "title": "Call me about exports", "body": "Reach me at clara@example.com"}
    response = client.post("/ideas/acme-cloud/new/", data)
    assert [f.kind for f in response.context["findings"]] == ["email"]
    assert Idea.objects.count() == 0
    client.post("/ideas/acme-cloud/new/", {**data, "pii_action": "remove"})
    assert Idea.objects.get().body == "Reach me at [removed]"


def test_post_idea_personal_data_keep(client, customer, board):
    """The member may publish as written after the warning."""
    client.force_login(customer)
    client.post(
        "/ideas/acme-cloud/new/",
        {"step": "publish", "title": "Call me maybe", "body": "+49 30 1234567", "pii_action": "keep"},
    )
    assert Idea.objects.get().body == "+49 30 1234567"


def test_post_idea_invalid_input(client, customer, board):
    """A too-short title is shown as a form error and nothing is stored."""
    client.force_login(customer)
    response = client.post("/ideas/acme-cloud/new/", {"step": "publish", "title": "abc"})
    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    assert Idea.objects.count() == 0


def test_post_idea_requires_login(client, board):
    """Anonymous visitors are sent to the login page."""
    response = client.get("/ideas/acme-cloud/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_similar_json(client, make_idea):
    """The suggestion endpoint returns matching ideas by title words."""
    make_idea(title="Dark mode for the dashboard")
    make_idea(title="Keyboard shortcuts")
    response = client.get("/ideas/similar/?q=dashboard+dark")
    assert [r["title"] for r in response.json()["results"]] == ["Dark mode for the dashboard"]
    assert client.get("/ideas/similar/?q=").json() == {"results": []}


def test_idea_page_shows_comments_history_and_response(client, idea, customer, product_manager):
    """The idea page shows the rendered body, the response, the status history and comments."""
    services.comment_create(idea=idea, author=customer, body="I want this **too**")
    services.idea_set_status(idea=idea, by=product_manager, status=Status.PLANNED, response="Coming in Q3")
    html = client.get(f"/ideas/idea/{idea.pk}/").content.decode()
    assert "<p>Some <strong>details</strong>.</p>" in html
    assert "<p>Coming in Q3</p>" in html
    assert "<p>I want this <strong>too</strong></p>" in html
    assert f'by <span class="handle">@{product_manager.handle}</span>' in html


def test_comment_with_personal_data_warns_then_posts(client, idea, customer):
    """A comment with a phone number is held back with a warning until the member decides."""
    client.force_login(customer)
    response = client.post(f"/ideas/idea/{idea.pk}/comment/", {"body": "Call +49 30 1234567"})
    assert "This looks like personal data" in response.content.decode()
    assert Comment.objects.count() == 0
    client.post(f"/ideas/idea/{idea.pk}/comment/", {"body": "Call +49 30 1234567", "pii_action": "remove"})
    assert Comment.objects.get().body == "Call [removed]"


def test_moderator_hides_comment_in_page(client, idea, customer, moderator):
    """A moderator hides a comment from the idea page; the reason shows instead of the text."""
    comment = services.comment_create(idea=idea, author=customer, body="Spam spam")
    client.force_login(moderator)
    client.post(f"/ideas/comment/{comment.pk}/hide/", {"reason": "Spam"})
    html = client.get(f"/ideas/idea/{idea.pk}/").content.decode()
    assert "Hidden by a moderator: Spam" in html
    assert "Spam spam" not in html


def test_customer_cannot_hide_comment_in_page(client, idea, customer, other_customer):
    """A customer's hide request is forbidden and the comment stays."""
    comment = services.comment_create(idea=idea, author=customer, body="Fine")
    client.force_login(other_customer)
    assert client.post(f"/ideas/comment/{comment.pk}/hide/", {"reason": "x"}).status_code == 403
    comment.refresh_from_db()
    assert comment.hidden_at is None


def test_follow_button(client, idea, customer):
    """Following through the page's form is idempotent."""
    client.force_login(customer)
    client.post(f"/ideas/idea/{idea.pk}/follow/", {"following": "1"})
    client.post(f"/ideas/idea/{idea.pk}/follow/", {"following": "1"})
    assert idea.follows.filter(user=customer).count() == 1
    assert client.post(f"/ideas/idea/{idea.pk}/follow/", {"following": "x"}).status_code == 400


def test_roadmap_columns(client, make_idea, product_manager):
    """The roadmap shows planned, in-progress and shipped ideas with their responses."""
    for title, status in (
        ("A planned", Status.PLANNED),
        ("B building", Status.IN_PROGRESS),
        ("C done", Status.SHIPPED),
        ("D declined", Status.DECLINED),
    ):
        services.idea_set_status(
            idea=make_idea(title=title), by=product_manager, status=status, response=f"Note {title}"
        )
    response = client.get("/ideas/roadmap/")
    columns = [(c["status"], [i.title for i in c["ideas"]]) for c in response.context["columns"]]
    assert columns == [("planned", ["A planned"]), ("in_progress", ["B building"]), ("shipped", ["C done"])]
    assert "<p>Note A planned</p>" in response.content.decode()


def test_pages_in_german(client, idea):
    """The board and roadmap render in German."""
    client.cookies["django_language"] = "de"
    board_html = client.get("/ideas/acme-cloud/").content.decode()
    assert "Anmelden, um eine Idee einzureichen" in board_html
    assert "Zum Abstimmen anmelden" in board_html
    roadmap_html = client.get("/ideas/roadmap/").content.decode()
    assert '<h2 id="col-planned">Geplant' in roadmap_html
