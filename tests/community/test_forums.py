"""Forum journeys through services and views: ask, reply, accept, tags, reactions, PII step, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community import events, services
from community.models import Forum, Mention, ModerationSettings, Post, PostRevision, Reaction, Tag, Thread
from community.models.forum import PostStatus, ThreadState
from portal.models import Notification
from tests.community.conftest import reply


def test_thread_create_stores_rendered_html_and_counts(forum, customer):
    """Asking stores the sanitised HTML of the question and moves the forum counters."""
    thread = services.thread_create(
        forum=forum, author=customer, title="  Printer   offline ", body="Hi <script>x</script> **b**"
    )
    post = Post.objects.get(thread=thread)
    assert thread.title == "Printer offline"
    assert post.is_question is True
    assert post.body_html == "<p>Hi &lt;script&gt;x&lt;/script&gt; <strong>b</strong></p>"
    forum.refresh_from_db()
    assert (forum.thread_count, forum.post_count) == (1, 1)
    assert forum.last_activity_at == thread.last_activity_at


def test_reply_updates_thread_counters_exactly(thread, other_customer, moderator):
    """Each reply moves reply_count and last_activity_at; the forum's post count follows."""
    first = reply(thread, other_customer)
    second = reply(thread, moderator)
    thread.refresh_from_db()
    assert thread.reply_count == 2
    assert thread.last_activity_at == second.created_at
    assert first.created_at <= second.created_at
    assert Forum.objects.get(pk=thread.forum_id).post_count == 3


def test_empty_and_oversized_input_is_rejected_and_changes_nothing(forum, customer):
    """Empty title, too-long title, empty or whitespace body and a body over 20,000 characters are refused."""
    cases = [
        ("", "body"),
        ("x" * 201, "body"),
        ("Valid title", ""),
        ("Valid title", "   \n "),
        ("Valid title", "a" * 20_001),
    ]
    for title, body in cases:
        with pytest.raises(ValidationError):
            services.thread_create(forum=forum, author=customer, title=title, body=body)
    assert Thread.objects.count() == 0
    assert Post.objects.count() == 0


def test_body_of_exactly_the_limit_is_accepted(forum, customer):
    """20,000 characters is the limit, inclusive."""
    thread = services.thread_create(forum=forum, author=customer, title="Long one", body="a" * 20_000)
    assert len(Post.objects.get(thread=thread).body) == 20_000


def test_ask_form_shows_errors_for_bad_input(client, forum, customer, home_page):
    """The ask page answers bad input with field errors and creates nothing."""
    client.force_login(customer)
    response = client.post("/forums/general/ask/", {"title": "", "body": "", "action": "publish"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "body"}
    assert Thread.objects.count() == 0


def test_ask_through_the_form_publishes_and_redirects(client, forum, customer, home_page):
    """A member asks a question with tags; it is published and tagged."""
    client.force_login(customer)
    response = client.post(
        "/forums/general/ask/",
        {
            "title": "Where are invoices?",
            "body": "Looking for invoices",
            "tags": "billing, Invoices",
            "action": "publish",
        },
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/forums/t/{thread.pk}/"
    assert sorted(thread.tags.values_list("name", flat=True)) == ["billing", "invoices"]


def test_pii_warning_is_shown_and_nothing_is_posted(client, thread, other_customer, home_page):
    """Text with an e-mail address is not published at first; the page offers to remove it."""
    client.force_login(other_customer)
    response = client.post(f"/forums/t/{thread.pk}/reply/", {"body": "Mail me at max@example.org", "action": "publish"})
    assert response.status_code == 200
    assert [f.kind for f in response.context["findings"]] == ["email"]
    assert b'value="remove_pii"' in response.content and b'value="post_anyway"' in response.content
    assert Post.objects.filter(thread=thread).count() == 1


def test_pii_remove_rewrites_the_text_before_posting(client, thread, other_customer, home_page):
    """ "Remove it" replaces the finding and shows the form again without posting."""
    client.force_login(other_customer)
    response = client.post(
        f"/forums/t/{thread.pk}/reply/", {"body": "Call +49 30 1234567 please", "action": "remove_pii"}
    )
    assert response.status_code == 200
    assert response.context["form"].data["body"] == "Call [removed] please"
    assert Post.objects.filter(thread=thread).count() == 1


def test_pii_post_anyway_publishes_as_written(client, thread, other_customer, home_page):
    """ "Post anyway" publishes the text unchanged: the member decides."""
    client.force_login(other_customer)
    response = client.post(
        f"/forums/t/{thread.pk}/reply/", {"body": "Mail me at max@example.org", "action": "post_anyway"}
    )
    assert response.status_code == 302
    assert Post.objects.filter(thread=thread, is_question=False).get().body == "Mail me at max@example.org"


def test_pii_warning_on_ask_covers_the_title(client, forum, customer, home_page):
    """A phone number in the title triggers the warning too."""
    client.force_login(customer)
    response = client.post(
        "/forums/general/ask/", {"title": "Call me 0301234567", "body": "Thanks", "action": "publish"}
    )
    assert [f.kind for f in response.context["findings"]] == ["phone"]
    assert Thread.objects.count() == 0


def test_preview_renders_markdown_and_similar_threads(
    client, thread, other_customer, home_page, django_capture_on_commit_callbacks
):
    """The preview step shows the rendered text and similar questions, server-rendered."""
    from portal.tasks import reindex

    reindex.call(refs=[("community.Thread", thread.pk)])
    client.force_login(other_customer)
    response = client.post(
        "/forums/general/ask/", {"title": "Reset my key please", "body": "**bold**", "action": "preview"}
    )
    assert response.context["preview_html"] == "<p><strong>bold</strong></p>"
    assert [t.pk for t in response.context["similar"]] == [thread.pk]
    assert Thread.objects.count() == 1


def test_asker_accepts_an_answer(
    client, thread, customer, other_customer, home_page, django_capture_on_commit_callbacks
):
    """The asker accepts a reply: the thread is answered and the answer's author is notified."""
    answer = reply(thread, other_customer, "Use the settings page")
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/forums/p/{answer.pk}/accept/")
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.accepted_post_id == answer.pk
    assert thread.state == ThreadState.ANSWERED
    assert list(Notification.objects.filter(recipient=other_customer).values_list("kind", flat=True)) == [
        "community.accepted"
    ]


def test_accepted_answer_is_shown_first_under_the_question(
    client, thread, customer, other_customer, moderator, home_page
):
    """The thread page renders the accepted answer in its own section before the replies."""
    reply(thread, moderator, "first reply")
    answer = reply(thread, other_customer, "the real answer")
    services.answer_accept(thread=thread, post=answer, actor=customer)
    response = client.get(f"/forums/t/{thread.pk}/")
    html = response.content.decode()
    assert response.context["accepted"] == answer
    assert html.index(f'id="accepted-{answer.pk}"') < html.index("first reply")


def test_another_customer_cannot_accept(thread, other_customer, moderator):
    """Only the asker or a moderator may accept; nothing changes otherwise."""
    answer = reply(thread, moderator)
    with pytest.raises(PermissionDenied):
        services.answer_accept(thread=thread, post=answer, actor=other_customer)
    thread.refresh_from_db()
    assert thread.accepted_post_id is None
    assert thread.state == ThreadState.OPEN


def test_moderator_can_accept_and_question_cannot_be_accepted(thread, moderator, other_customer):
    """A moderator accepts for the asker; the question itself is never an answer."""
    question = Post.objects.get(thread=thread, is_question=True)
    with pytest.raises(ValidationError):
        services.answer_accept(thread=thread, post=question, actor=moderator)
    answer = reply(thread, other_customer)
    services.answer_accept(thread=thread, post=answer, actor=moderator)
    thread.refresh_from_db()
    assert thread.accepted_post_id == answer.pk


def test_unaccept_reopens(thread, customer, other_customer):
    """Unaccepting returns the thread to open."""
    answer = reply(thread, other_customer)
    services.answer_accept(thread=thread, post=answer, actor=customer)
    services.answer_unaccept(thread=thread, actor=customer)
    thread.refresh_from_db()
    assert (thread.accepted_post_id, thread.state) == (None, ThreadState.OPEN)


def test_reply_notifies_the_thread_author(thread, customer, other_customer, django_capture_on_commit_callbacks):
    """A reply creates a 'reply' notification and an e-mail for the asker, none for the replier."""
    with django_capture_on_commit_callbacks(execute=True):
        post = reply(thread, other_customer, "Try again")
    notes = list(Notification.objects.values_list("recipient_id", "kind", "url"))
    assert notes == [(customer.pk, "community.reply", f"/forums/p/{post.pk}/")]
    assert [m.to for m in mail.outbox] == [[customer.email]]


def test_mention_notifies_the_mentioned_member_once(
    thread, customer, other_customer, moderator, django_capture_on_commit_callbacks
):
    """@handle creates a Mention and a 'mention' notification; the thread author gets a reply notice."""
    with django_capture_on_commit_callbacks(execute=True):
        post = reply(
            thread, moderator, f"@{other_customer.handle} knows this. @{other_customer.handle} again. @nobody-here"
        )
    assert list(Mention.objects.values_list("post_id", "user_id")) == [(post.pk, other_customer.pk)]
    kinds = sorted(Notification.objects.values_list("recipient_id", "kind"))
    assert kinds == sorted([(other_customer.pk, "community.mention"), (customer.pk, "community.reply")])


def test_mention_of_a_member_without_access_to_a_private_forum_notifies_nobody(
    private_thread, moderator, customer, django_capture_on_commit_callbacks
):
    """A customer who cannot view the private forum gets no notification from it."""
    with django_capture_on_commit_callbacks(execute=True):
        reply(private_thread, moderator, f"@{customer.handle} look")
    assert Notification.objects.filter(recipient=customer).count() == 0


def test_tag_add_sends_thread_tagged_after_commit(thread, customer, django_capture_on_commit_callbacks):
    """Adding a tag sends thread_tagged(thread, tag, actor, automatic) once, after commit."""
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    events.thread_tagged.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            tag = services.thread_tag_add(thread=thread, name="Billing", actor=customer)
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        events.thread_tagged.disconnect(receiver)
    assert received == [{"thread": thread, "tag": tag, "actor": customer, "automatic": False}]
    assert tag.name == "billing"


def test_adding_an_existing_tag_sends_no_event(thread, customer, django_capture_on_commit_callbacks):
    """A tag the thread already has is not added again and sends nothing."""
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    events.thread_tagged.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = services.thread_tag_add(thread=thread, name="API", actor=customer)
    finally:
        events.thread_tagged.disconnect(receiver)
    assert result is None
    assert received == []
    assert list(thread.tags.values_list("name", flat=True)) == ["api"]


def test_other_customer_cannot_tag_and_bad_tags_are_refused(thread, customer, other_customer):
    """Only the asker or moderators tag; empty or overlong tags are rejected."""
    with pytest.raises(PermissionDenied):
        services.thread_tag_add(thread=thread, name="spam", actor=other_customer)
    for bad in ("", "   ", "x" * 41, "!!!"):
        with pytest.raises(ValidationError):
            services.thread_tag_add(thread=thread, name=bad, actor=customer)
    assert list(thread.tags.values_list("name", flat=True)) == ["api"]
    assert Tag.objects.count() == 1


def test_tag_filter_and_autocomplete(client, thread, forum, customer, home_page):
    """The thread list filters by tag; the suggestions endpoint completes existing tags."""
    other = services.thread_create(forum=forum, author=customer, title="Unrelated thing", body="x")
    response = client.get("/forums/general/?tag=api")
    assert [t.pk for t in response.context["threads"]] == [thread.pk]
    assert other.pk not in [t.pk for t in response.context["threads"]]
    assert client.get("/forums/tags/?q=a").json() == {"results": ["api"]}


def test_filters_unanswered_answered_mine(client, forum, customer, other_customer, home_page):
    """Unanswered, answered and my-threads filters return exactly the matching threads."""
    mine_open = services.thread_create(forum=forum, author=customer, title="Open one", body="x")
    answered = services.thread_create(forum=forum, author=other_customer, title="Answered one", body="x")
    services.answer_accept(thread=answered, post=reply(answered, customer), actor=other_customer)
    client.force_login(customer)
    ids = lambda f: [t.pk for t in client.get(f"/forums/general/?filter={f}").context["threads"]]  # noqa: E731
    assert ids("unanswered") == [mine_open.pk]
    assert ids("answered") == [answered.pk]
    assert ids("mine") == [mine_open.pk]
    assert ids("bogus") == [answered.pk, mine_open.pk]


def test_helpful_reaction_toggles_and_counts(client, thread, customer, other_customer, home_page):
    """Helpful marks once per member; a second click removes it; own posts cannot be marked."""
    post = reply(thread, other_customer)
    client.force_login(customer)
    client.post(f"/forums/p/{post.pk}/helpful/")
    post.refresh_from_db()
    assert (post.helpful_count, Reaction.objects.count()) == (1, 1)
    client.post(f"/forums/p/{post.pk}/helpful/")
    post.refresh_from_db()
    assert (post.helpful_count, Reaction.objects.count()) == (0, 0)
    with pytest.raises(PermissionDenied):
        services.reaction_toggle(post=post, user=other_customer)


def test_suspended_member_cannot_post_and_sees_why(client, thread, other_customer, home_page):
    """A suspended member gets a clear message and no post is created."""
    other_customer.suspended_until = timezone.now() + timedelta(days=2)
    other_customer.save()
    client.force_login(other_customer)
    response = client.post(f"/forums/t/{thread.pk}/reply/", {"body": "hello", "action": "publish"})
    assert response.status_code == 403
    assert "suspended until" in response.content.decode()
    assert Post.objects.filter(thread=thread).count() == 1
    page = client.get(f"/forums/t/{thread.pk}/")
    assert "Your account is suspended until" in page.content.decode()


def test_locked_thread_refuses_replies_but_moderators_may_reply(thread, other_customer, moderator):
    """Locked means no new replies from members; moderators can still answer."""
    services.thread_set_locked(thread=thread, moderator=moderator, locked=True)
    with pytest.raises(services.PostingBlocked):
        reply(thread, other_customer)
    reply(thread, moderator, "Closing note")
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_rate_limit_on_posting(thread, other_customer):
    """Past the hourly limit a member is told to wait and nothing is stored."""
    config = ModerationSettings.load()
    config.posts_per_hour = 2
    config.save()
    reply(thread, other_customer, "one")
    reply(thread, other_customer, "two")
    with pytest.raises(services.PostingBlocked):
        reply(thread, other_customer, "three")
    assert Post.objects.filter(thread=thread, author=other_customer).count() == 2


def test_edit_keeps_history_for_moderators(client, thread, customer, moderator, other_customer, home_page):
    """An edit stores the previous text; moderators and the author see it, other members do not."""
    post = reply(thread, other_customer, "old text")
    client.force_login(other_customer)
    response = client.post(f"/forums/p/{post.pk}/edit/", {"body": "new text", "action": "publish"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.body, post.body_html) == ("new text", "<p>new text</p>")
    assert list(PostRevision.objects.values_list("body", "edited_by")) == [("old text", other_customer.pk)]
    assert client.get(f"/forums/p/{post.pk}/history/").status_code == 200
    client.force_login(customer)
    assert client.get(f"/forums/p/{post.pk}/history/").status_code == 403
    client.force_login(moderator)
    history = client.get(f"/forums/p/{post.pk}/history/")
    assert history.status_code == 200
    assert "old text" in history.content.decode()


def test_other_member_cannot_edit(client, thread, other_customer, home_page):
    """Editing someone else's post is forbidden and changes nothing."""
    question = Post.objects.get(thread=thread)
    client.force_login(other_customer)
    response = client.post(f"/forums/p/{question.pk}/edit/", {"body": "vandalised", "action": "publish"})
    assert response.status_code == 403
    question.refresh_from_db()
    assert question.body == "I lost my **key**."


def test_quote_prefills_the_reply(client, thread, customer, other_customer, home_page):
    """Quote opens the reply form with the quoted text as a Markdown block quote."""
    post = reply(thread, other_customer, "line one\nline two")
    client.force_login(customer)
    response = client.get(f"/forums/t/{thread.pk}/reply/?quote={post.pk}")
    assert (
        response.context["form"].initial["body"] == f"> **@{other_customer.handle}** wrote:\n> line one\n> line two\n\n"
    )


def test_first_post_of_a_new_member_is_held(forum, customer, other_customer, moderator, _no_first_post_hold):
    """With the hold on, a new member's question waits; established members and moderators post directly."""
    _no_first_post_hold.hold_first_posts = True
    _no_first_post_hold.save()
    thread = services.thread_create(forum=forum, author=customer, title="First question here", body="x")
    assert thread.is_held is True
    assert Post.objects.get(thread=thread).status == PostStatus.HELD
    forum.refresh_from_db()
    assert forum.thread_count == 0
    answer = reply(thread, moderator, "welcome")
    assert answer.status == PostStatus.PUBLISHED
    services.post_approve(post=Post.objects.get(thread=thread, is_question=True), moderator=moderator)
    thread.refresh_from_db()
    forum.refresh_from_db()
    assert thread.is_held is False
    assert (forum.thread_count, forum.post_count, thread.reply_count) == (1, 2, 1)
    second = reply(thread, customer, "thanks")
    assert second.status == PostStatus.PUBLISHED


def test_held_thread_is_visible_only_to_author_and_moderators(
    client, forum, customer, other_customer, moderator, _no_first_post_hold, home_page
):
    """Others get 404 for a held thread and do not see it in the list."""
    _no_first_post_hold.hold_first_posts = True
    _no_first_post_hold.save()
    thread = services.thread_create(forum=forum, author=customer, title="First question here", body="x")
    client.force_login(other_customer)
    assert client.get(f"/forums/t/{thread.pk}/").status_code == 404
    assert client.get("/forums/general/").context["threads"] == []
    client.force_login(customer)
    assert client.get(f"/forums/t/{thread.pk}/").status_code == 200
    client.force_login(moderator)
    assert client.get(f"/forums/t/{thread.pk}/").status_code == 200


def test_post_redirect_goes_to_the_right_page(client, thread, other_customer, home_page):
    """/forums/p/<id>/ redirects to the page of the thread that shows the post."""
    from community.models import Post as PostModel

    now = timezone.now()
    PostModel.objects.bulk_create(
        [
            PostModel(
                thread=thread,
                author=other_customer,
                body="b",
                body_html="<p>b</p>",
                created_at=now + timedelta(seconds=i),
            )
            for i in range(55)
        ]
    )
    last = PostModel.objects.filter(thread=thread).order_by("-created_at").first()
    response = client.get(f"/forums/p/{last.pk}/")
    assert response["Location"] == f"/forums/t/{thread.pk}/?page=2#post-{last.pk}"


def test_page_number_garbage_falls_back_to_first_page(client, thread, home_page):
    """Malformed page numbers never error."""
    for raw in ("abc", "-5", "0", "999999999999"):
        response = client.get(f"/forums/t/{thread.pk}/?page={raw}")
        assert response.status_code == 200


def test_post_created_event_is_sent_after_commit_for_published_posts_only(
    thread, other_customer, django_capture_on_commit_callbacks, _no_first_post_hold
):
    """post_created fires once per published post, after commit; held posts do not fire it."""
    received = []

    def receiver(**kwargs):
        received.append(kwargs["post"].pk)

    events.post_created.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            published = reply(thread, other_customer, "visible")
        _no_first_post_hold.hold_first_posts = True
        _no_first_post_hold.save()
        from tests.factories import make_member

        with django_capture_on_commit_callbacks(execute=True):
            held = reply(thread, make_member(), "held")
    finally:
        events.post_created.disconnect(receiver)
    assert held.status == PostStatus.HELD
    assert received == [published.pk]


def test_a_failing_event_receiver_does_not_break_the_others(thread, customer, django_capture_on_commit_callbacks):
    """One broken subscriber is logged; the next still runs and the tag is stored."""
    calls = []

    def broken(**kwargs):
        raise RuntimeError("crm down")

    def working(**kwargs):
        calls.append(kwargs["tag"].name)

    events.thread_tagged.connect(broken)
    events.thread_tagged.connect(working)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.thread_tag_add(thread=thread, name="urgent", actor=customer)
    finally:
        events.thread_tagged.disconnect(broken)
        events.thread_tagged.disconnect(working)
    assert calls == ["urgent"]
    assert sorted(thread.tags.values_list("name", flat=True)) == ["api", "urgent"]


def test_tag_labels_follow_add_remove_and_merge(forum, thread, customer, other_customer, moderator):
    """The denormalised tag labels on a thread always equal its tags, sorted by name."""
    services.thread_tag_add(thread=thread, name="Billing", actor=customer)
    thread.refresh_from_db()
    assert thread.tag_labels == [["api", "api"], ["billing", "billing"]]
    services.thread_tag_remove(thread=thread, tag=Tag.objects.get(slug="api"), actor=customer)
    thread.refresh_from_db()
    assert thread.tag_labels == [["billing", "billing"]]
    other = services.thread_create(forum=forum, author=other_customer, title="Other question", body="x", tags=["zeta"])
    services.thread_merge(source=other, target=thread, moderator=moderator)
    thread.refresh_from_db()
    assert thread.tag_labels == [["billing", "billing"], ["zeta", "zeta"]]
