"""The idea pages show the shared personal-data warning, and its own buttons publish as the member chose."""

from __future__ import annotations

import pytest

from ideas.models import Comment, Idea

pytestmark = pytest.mark.usefixtures("home_page")


def test_new_idea_warning_buttons_publish_without_the_finding(client, customer, board):
    """The confirm page offers "Remove it and publish"; that button publishes the idea without the address."""
    client.force_login(customer)
    data = {"step": "publish", "title": "Call me about exports", "body": "Reach me at clara@example.com"}
    html = client.post("/ideas/acme-cloud/new/", data).content.decode()
    assert 'id="pii-warning"' in html
    assert (
        '<button type="submit" name="action" value="remove_pii" class="button">Remove it and publish</button>' in html
    )
    assert Idea.objects.count() == 0
    client.post("/ideas/acme-cloud/new/", {**data, "action": "remove_pii"})
    assert list(Idea.objects.values_list("title", "body")) == [("Call me about exports", "Reach me at [removed]")]


def test_comment_warning_button_publishes_as_written(client, customer, idea):
    """ "Publish as written" on the idea page publishes the comment unchanged: the member decides."""
    client.force_login(customer)
    html = client.post(f"/ideas/idea/{idea.pk}/comment/", {"body": "Call +49 30 1234567"}).content.decode()
    assert "Publish as written" in html and Comment.objects.count() == 0
    client.post(f"/ideas/idea/{idea.pk}/comment/", {"body": "Call +49 30 1234567", "action": "post_anyway"})
    assert list(Comment.objects.values_list("body", flat=True)) == ["Call +49 30 1234567"]
