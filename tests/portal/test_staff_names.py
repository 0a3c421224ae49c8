"""Staff names: staff choose a display name, shown with the "Team" badge wherever they appear instead of the handle."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.template import Context, Template

from community import services as community
from community.chat import services as chat
from community.models import BlogPage, Forum, ModerationSettings
from consent.dsar import erasure
from crm.forms import TagRuleForm
from ideas import services as ideas
from ideas.models import Board, Status
from portal import services
from portal.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TEAM_BADGE = '<span class="tag tag--team">Team</span>'


def _named(user, name):
    return services.user_display_name_set(user=user, display_name=name)


def _render(user) -> str:
    return Template("{% load members %}{{ user|member_name }}").render(Context({"user": user}))


def test_staff_set_their_display_name_on_the_account_page(client, moderator):
    """A moderator saves a display name under "Your account"; the page shows it with the Team badge."""
    client.force_login(moderator)
    assert "Your name as a team member" in client.get("/account/").content.decode()
    response = client.post("/account/", {"save_display_name": "1", "display_name": "  Mona   from Support "})
    assert response.status_code == 302
    moderator.refresh_from_db()
    assert moderator.display_name == "Mona from Support"
    page = client.get("/account/").content.decode()
    assert f'<span class="member-name member-name--team">Mona from Support</span> {TEAM_BADGE}' in page


def test_a_customer_gets_no_display_name(client, customer):
    """Customers see no display-name form, a forged post changes nothing, and the service refuses them."""
    client.force_login(customer)
    assert "Your name as a team member" not in client.get("/account/").content.decode()
    client.post("/account/", {"save_display_name": "1", "display_name": "Support"})
    customer.refresh_from_db()
    assert customer.display_name == ""
    with pytest.raises(ValidationError) as caught:
        _named(customer, "The Team")
    assert caught.value.code == "not_staff"
    customer.refresh_from_db()
    assert customer.display_name == ""


def test_the_filter_names_staff_members_and_the_deleted(moderator, customer):
    """One filter: staff by name with the badge, members by @handle, erased accounts as "deleted member"."""
    _named(moderator, "Mona <b>from</b> Support")
    assert _render(moderator) == (
        f'<span class="member-name member-name--team">Mona &lt;b&gt;from&lt;/b&gt; Support</span> {TEAM_BADGE}'
    )
    assert _render(customer) == f'<span class="handle">@{customer.handle}</span>'
    assert _render(None) == '<span class="handle muted">deleted member</span>'
    erasure.account_anonymise(user=moderator)
    assert moderator.display_name == ""
    assert _render(moderator) == '<span class="handle muted">deleted member</span>'


def test_forum_posts_show_staff_by_name_with_the_badge(client, moderator, customer):
    """A thread shows the moderator's answer under the display name with the badge, never their handle."""
    _named(moderator, "Mona from Support")
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    forum = Forum.objects.create(name="General", slug="general", description="Anything")
    thread = community.thread_create(forum=forum, author=customer, title="Where is my invoice?", body="Help")
    community.post_create(thread=thread, author=moderator, body="It is in your account.")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert f'<span class="member-name member-name--team">Mona from Support</span> {TEAM_BADGE}' in html
    assert f"@{moderator.handle}" not in html
    assert f'<span class="handle">@{customer.handle}</span>' in html
    assert html.count(TEAM_BADGE) == 1


def test_chat_messages_and_typing_carry_the_team_name(customer, moderator):
    """Live chat: the staff line's payload names the display name and marks it as the team's; the member's not."""
    _named(moderator, "Mona from Support")
    started = chat.chat_start(member=customer, topic="Invoice", body="Where is my invoice?")
    taken = chat.chat_take(chat=started, moderator=moderator)
    message, _created = chat.message_post(chat=taken, author=moderator, body="I am Mona, I will look.", client_id="c-1")
    payload = chat.message_payload(message)
    assert (payload["author"], payload["team"]) == ("Mona from Support", True)
    first = taken.messages.filter(author=customer).get()
    assert (chat.message_payload(first)["author"], chat.message_payload(first)["team"]) == (customer.handle, False)
    line = Template('{% include "chat/includes/message.html" %}').render(
        Context({"line": {"message": message, "html": message.body_html}})
    )
    assert f'<span class="member-name member-name--team">Mona from Support</span> {TEAM_BADGE}' in line
    assert moderator.handle not in line


def test_idea_responses_show_the_team_name(client, product_manager, customer):
    """A product manager's status response on an idea is signed with the display name and the badge."""
    _named(product_manager, "Paul, Product")
    board = Board.objects.create(name="Acme Cloud", slug="acme-cloud", description="The web app.")
    idea = ideas.idea_create(board=board, author=customer, title="PDF export", body="Please")
    ideas.idea_set_status(idea=idea, by=product_manager, status=Status.PLANNED, response="Coming in Q3")
    html = client.get(f"/ideas/idea/{idea.pk}/").content.decode()
    assert f'by <span class="member-name member-name--team">Paul, Product</span> {TEAM_BADGE}' in html
    assert product_manager.handle not in html


def test_blog_author_choice_lists_staff_only(home_page, editor, moderator, customer):
    """The blog post form offers staff only, labelled by display name and handle; customers and the erased never."""
    _named(editor, "Erika, Editorial")
    erased = make_member(role=Role.EDITOR)
    erasure.account_anonymise(user=erased)
    form_class = BlogPage.get_edit_handler().get_form_class()
    field = form_class(instance=BlogPage(), for_user=editor).fields["author"]
    choices = {label for value, label in field.choices if value}
    assert f"Erika, Editorial (@{editor.handle})" in choices
    assert f"@{moderator.handle}" in choices
    assert not any(customer.handle in label for label in choices)
    assert not any(erased.handle in label for label in choices)
    assert set(field.queryset) == {editor, moderator}


def test_crm_owner_list_shows_staff_names(moderator):
    """The tag rule's owner choice names staff by display name (with the handle to tell two Monas apart)."""
    _named(moderator, "Mona from Support")
    labels = [label for value, label in TagRuleForm().fields["owner"].choices if value]
    assert labels == [f"Mona from Support (@{moderator.handle})"]


def test_leaving_every_staff_role_clears_the_display_name(moderator):
    """An account moved out of the staff roles loses its display name, so the badge never outlives the role."""
    _named(moderator, "Mona from Support")
    assert services.user_display_name_reconcile(user=moderator) is False
    moderator.groups.set([Group.objects.get(name=Role.CUSTOMER)])
    assert services.user_display_name_reconcile(user=moderator) is True
    moderator.refresh_from_db()
    assert (moderator.display_name, moderator.is_team, moderator.public_name) == ("", False, moderator.handle)
