"""The analysis after commit, re-analysis on edit, alerts, FAQ drafts, deflection counts, export and erasure."""

from __future__ import annotations

import json
import zipfile

from django.urls import reverse
from django.utils import timezone

from community import services as community
from community.chat import services as chat_services
from community.models import Forum
from ideas import services as idea_services
from ideas.models import Board
from insight import alerts, services
from insight.models import AlertState, ItemAnalysis, SuggestionDay
from portal.models import Notification
from portal.roles import Role
from tests.factories import make_member


def test_a_new_post_is_analysed_after_commit_and_again_when_edited(customer, django_capture_on_commit_callbacks):
    """Posting enqueues the analysis (ids only) once the post commits; an edit re-labels it."""
    forum = Forum.objects.create(name="Help", slug="help")
    with django_capture_on_commit_callbacks(execute=True):
        thread = community.thread_create(forum=forum, author=customer, title="Login", body="Das ist sehr gut, danke!")
    row = ItemAnalysis.objects.get()
    assert (row.kind, row.language, row.label, row.is_opening, row.parent_id) == (
        "post",
        "de",
        "positive",
        True,
        thread.pk,
    )
    post = thread.posts.get()
    with django_capture_on_commit_callbacks(execute=True):
        community.post_edit(post=post, editor=customer, body="Das ist leider sehr schlecht und ärgerlich.")
    row.refresh_from_db()
    assert row.label == "negative"
    assert ItemAnalysis.objects.count() == 1


def test_ideas_comments_and_member_chat_lines_are_analysed(customer, moderator, django_capture_on_commit_callbacks):
    """An idea, its comment and the member's chat lines get labels; the staff chat line does not."""
    board = Board.objects.create(name="App", slug="app")
    with django_capture_on_commit_callbacks(execute=True):
        idea = idea_services.idea_create(board=board, author=customer, title="Dark mode", body="I love this app!")
        idea_services.comment_create(idea=idea, author=customer, body="This would be terrible without it.")
        chat = chat_services.chat_start(member=customer, topic="Billing", body="My invoice is wrong, awful.")
        chat_services.chat_take(chat=chat, moderator=moderator)
        chat_services.message_post(chat=chat, author=moderator, body="Let me check that for you.")
    rows = dict(ItemAnalysis.objects.values_list("kind", "label"))
    assert rows == {"idea": "positive", "idea_comment": "negative", "chat_message": "negative"}
    assert ItemAnalysis.objects.get(kind="idea").product == "App"


def test_empty_huge_or_binary_texts_are_neutral(customer, django_capture_on_commit_callbacks):
    """Noise, a 20,000 character post and text in an unsupported language are neutral, never an error."""
    forum = Forum.objects.create(name="Help", slug="help")
    with django_capture_on_commit_callbacks(execute=True):
        thread = community.thread_create(
            forum=forum, author=customer, title="Noise", body="\x00\x01 0xdeadbeef ==== 1234"
        )
        community.post_create(thread=thread, author=customer, body="gut " * 4000 + "schlecht")
        community.post_create(thread=thread, author=customer, body="Questo prodotto è fantastico, grazie mille!")
    labels = list(ItemAnalysis.objects.order_by("object_id").values_list("label", "language"))
    assert labels[0] == ("neutral", "")
    assert labels[2] == ("neutral", "")
    assert len(labels) == 3


def test_suggestions_shown_are_counted_per_day_only(client, django_capture_on_commit_callbacks):
    """The ask form's suggestions feed the deflection figure as a day total; nothing about who asked."""
    services.suggestions_count(shown=1)
    services.suggestions_count(shown=1)
    assert list(SuggestionDay.objects.values_list("day", "shown")) == [(timezone.localdate(), 2)]


def test_rising_negative_share_notifies_moderators_once(moderator):
    """Six members writing negatively this week in a usually calm forum alert the moderators, once per week."""
    forum = Forum.objects.create(name="Billing", slug="billing")
    members = [make_member(role=Role.CUSTOMER) for _ in range(6)]
    for member in members:
        thread = community.thread_create(
            forum=forum, author=member, title="Billing broken", body="This is terrible and awful."
        )
        services.items_analyse(kind="post", ids=[thread.posts.get().pk])
    assert alerts.negative_share_check() == 1
    note = Notification.objects.get(recipient=moderator, kind="insight.alert")
    assert note.params == {"scope": "Billing", "share": 100, "usual": 0}
    assert note.url == reverse("insight_admin:mood")
    assert alerts.negative_share_check() == 0
    assert AlertState.objects.get().scope == f"forum:{forum.pk}"


def test_one_loud_member_raises_no_alert(moderator):
    """One member posting negatively ten times is one member: below the threshold, no alert."""
    forum = Forum.objects.create(name="Billing", slug="billing")
    member = make_member(role=Role.CUSTOMER)
    for n in range(10):
        thread = community.thread_create(forum=forum, author=member, title=f"Broken {n}", body="Terrible, awful.")
        services.items_analyse(kind="post", ids=[thread.posts.get().pk])
    assert alerts.negative_share_check() == 0
    assert Notification.objects.filter(kind="insight.alert").count() == 0


def test_draft_faq_article_from_a_cluster_goes_to_review(client, moderator, seeded, home_page):
    """The action makes a KB draft from the cluster's accepted answer and starts the KB review workflow."""
    from knowledgebase.models import KBArticlePage, KBIndexPage
    from knowledgebase.services import kb_workflow_ensure

    index = home_page.add_child(instance=KBIndexPage(title="Knowledge base", slug="kb"))
    kb_workflow_ensure(index=index)
    services.backfill()
    client.force_login(moderator)
    ids = f"{seeded.threads[0].pk},{seeded.threads[1].pk}"
    response = client.post(reverse("insight_admin:faq_draft"), {"threads": ids})
    assert response.status_code == 302
    article = KBArticlePage.objects.get()
    assert (article.title, article.live) == ("Rechnung ist falsch", False)
    assert article.current_workflow_state.status == "in_progress"
    again = client.post(reverse("insight_admin:faq_draft"), {"threads": ids}, follow=True)
    assert "already been promoted" in again.content.decode()
    assert KBArticlePage.objects.count() == 1


def test_labels_are_exported_and_erased_with_the_member(customer, dpo, django_capture_on_commit_callbacks):
    """The member's own labels are in their MyData export and gone after erasure."""
    from consent.dsar import services as dsar
    from consent.dsar.services.exports import export_path, export_request

    forum = Forum.objects.create(name="Help", slug="help")
    with django_capture_on_commit_callbacks(execute=True):
        community.thread_create(forum=forum, author=customer, title="Router", body="The router is great, thanks!")
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(user=customer)
    export.refresh_from_db()
    with zipfile.ZipFile(export_path(export)) as archive:
        name = next(n for n in archive.namelist() if "insight_text_labels" in n and n.endswith(".json"))
        exported = json.loads(archive.read(name))
    assert "positive" in json.dumps(exported)
    with django_capture_on_commit_callbacks(execute=True):
        dsar.member_erase(member=customer, actor=dpo)
    assert ItemAnalysis.objects.filter(member=customer).count() == 0
    assert ItemAnalysis.objects.count() == 0


def test_backfill_command_prints_counts(seeded):
    """`manage.py insight_backfill` analyses everything and says how much."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("insight_backfill", stdout=out)
    lines = dict(line.split("\t") for line in out.getvalue().splitlines())
    assert (lines["post"], lines["idea"], lines["idea_comment"], lines["chat_message"]) == ("14", "1", "0", "0")
    assert ItemAnalysis.objects.count() == 15
    assert float(lines["seconds"]) >= 0
