"""Drafts kept on the server while a member writes: saved, restored on any device, cleared by posting."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from community import services
from community.models import Draft
from community.models.forum import BODY_MAX
from consent import registry, retention
from consent.dsar.erasure import apply_rules

URL = "/forums/editor/drafts/"


def _save(client, **data):
    return client.post(URL, data=json.dumps(data), content_type="application/json")


def test_reply_draft_is_saved_and_prefills_the_form_on_another_device(client, customer, thread, password):
    """A saved reply draft fills the reply form on the next page load, in a fresh session (another device)."""
    client.force_login(customer)
    response = _save(client, thread=thread.pk, body="Half a reply about keys")
    assert response.status_code == 200
    assert response.json() == {"saved": True, "status": "Draft saved"}
    draft = Draft.objects.get(author=customer)
    assert (draft.thread_id, draft.forum_id, draft.body) == (thread.pk, None, "Half a reply about keys")

    from django.test import Client

    other_device = Client()
    other_device.login(username=customer.email, password=password)
    page = other_device.get(reverse("community:thread", args=[thread.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert ">\nHalf a reply about keys</textarea>" in html
    assert "Your saved draft was restored." in html
    assert 'aria-live="polite"' in html


def test_saving_again_keeps_one_draft_per_member_and_thread(client, customer, thread):
    client.force_login(customer)
    _save(client, thread=thread.pk, body="first")
    _save(client, thread=thread.pk, body="second")
    assert list(Draft.objects.filter(author=customer).values_list("body", flat=True)) == ["second"]


def test_question_draft_keeps_title_body_and_tags_and_prefills_the_ask_form(client, customer, forum):
    client.force_login(customer)
    response = _save(client, forum=forum.slug, title="Printer jams", body="It jams at page 3", tags="printer")
    assert response.status_code == 200
    draft = Draft.objects.get(author=customer)
    assert (draft.forum_id, draft.thread_id, draft.title, draft.tags) == (forum.pk, None, "Printer jams", "printer")
    html = client.get(reverse("community:ask", args=[forum.slug])).content.decode()
    assert 'value="Printer jams"' in html
    assert ">\nIt jams at page 3</textarea>" in html


def test_posting_the_reply_clears_its_draft(client, customer, thread):
    client.force_login(customer)
    _save(client, thread=thread.pk, body="My answer")
    page = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    assert 'name="draft" value="1"' in page  # the form knows of its draft (editor.js sets it after a save)
    response = client.post(
        reverse("community:reply", args=[thread.pk]), {"body": "My answer", "action": "publish", "draft": "1"}
    )
    assert response.status_code == 302
    assert not Draft.objects.filter(author=customer).exists()
    page = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    assert "Your saved draft was restored." not in page
    assert 'name="draft" value=""' in page


def test_a_draft_the_form_did_not_know_of_goes_after_commit(
    client, customer, thread, django_capture_on_commit_callbacks
):
    """A form without the flag skips the DELETE in the request; the worker's post_published removes the draft."""
    client.force_login(customer)
    _save(client, thread=thread.pk, body="Typed in another tab")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("community:reply", args=[thread.pk]), {"body": "My answer", "action": "publish"})
    assert response.status_code == 302
    assert Draft.objects.filter(author=customer).exists()  # still there when the request ends
    for callback in callbacks:
        callback()  # the task worker (the test settings run tasks on the spot)
    assert not Draft.objects.filter(author=customer).exists()


def test_a_draft_save_arriving_after_the_post_does_not_bring_the_draft_back(client, customer, thread):
    """The save sent as the member clicked "Post" may reach the server after the post: it is dropped."""
    client.force_login(customer)
    services.post_create(thread=thread, author=customer, body="Posted text")
    response = _save(client, thread=thread.pk, body="Posted text")
    assert response.json()["saved"] is False
    assert not Draft.objects.filter(author=customer).exists()


def test_asking_the_question_clears_the_forum_draft(customer, forum):
    services.draft_save(author=customer, forum=forum, title="Draft title", body="Draft body")
    services.thread_create(forum=forum, author=customer, title="Final title", body="Final body")
    assert not Draft.objects.filter(author=customer).exists()


def test_a_draft_of_another_forum_stays_when_a_question_is_asked(customer, forum):
    from community.models import Forum

    other = Forum.objects.create(name="Other", slug="other")
    services.draft_save(author=customer, forum=other, body="Keep me")
    services.thread_create(forum=forum, author=customer, title="Final title", body="Final body")
    assert list(Draft.objects.filter(author=customer).values_list("body", flat=True)) == ["Keep me"]


def test_emptying_the_text_removes_the_draft(client, customer, thread):
    client.force_login(customer)
    _save(client, thread=thread.pk, body="something")
    response = _save(client, thread=thread.pk, body="   ")
    assert response.json() == {"saved": False, "status": "Draft removed"}
    assert not Draft.objects.exists()


def test_a_one_megabyte_draft_is_refused_with_a_clear_message_and_nothing_stored(client, customer, thread):
    client.force_login(customer)
    _save(client, thread=thread.pk, body="the earlier draft")
    response = _save(client, thread=thread.pk, body="x" * (1024 * 1024))
    assert response.status_code == 413
    assert response.json() == {"error": f"The draft is too long: at most {BODY_MAX} characters."}
    assert list(Draft.objects.values_list("body", flat=True)) == ["the earlier draft"]


def test_a_draft_just_over_the_post_limit_is_refused_by_the_service(client, customer, thread):
    client.force_login(customer)
    response = _save(client, thread=thread.pk, body="x" * (BODY_MAX + 1))
    assert response.status_code == 400
    assert response.json() == {"error": f"The text is too long: at most {BODY_MAX} characters."}
    assert not Draft.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1, 2]", b'{"thread": 1, "body": 5}', b'{"body": "no target"}', b"\xff\xfe"],
)
def test_malformed_drafts_get_a_json_error_and_change_nothing(client, customer, thread, payload):
    client.force_login(customer)
    response = client.post(URL, data=payload, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not Draft.objects.exists()


def test_anonymous_visitor_cannot_save_a_draft(client, thread):
    response = _save(client, thread=thread.pk, body="hello")
    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_a_draft_for_a_thread_the_member_cannot_see_is_404(client, other_customer, private_thread):
    client.force_login(other_customer)
    response = _save(client, thread=private_thread.pk, body="peek")
    assert response.status_code == 404
    assert not Draft.objects.exists()


def test_draft_saves_are_rate_limited(client, customer, thread):
    client.force_login(customer)
    for number in range(60):
        assert _save(client, thread=thread.pk, body=f"text {number}").status_code == 200
    response = _save(client, thread=thread.pk, body="one too many")
    assert response.status_code == 429
    assert response.json() == {"error": "Your draft is saved very often. Please wait a moment."}
    assert Draft.objects.get().body == "text 59"


def test_the_endpoint_needs_the_csrf_token(customer, thread):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    response = strict.post(URL, data=json.dumps({"thread": thread.pk, "body": "x"}), content_type="application/json")
    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_drafts_are_classified_exported_and_erased(customer, thread):
    rule = next(r for r in registry.rules() if r.model == "community.Draft")
    assert (rule.subject, rule.category, rule.erasure) == ("author", "drafts", registry.Erasure.DELETE)
    assert "body" in rule.export_fields and "title" in rule.export_fields
    services.draft_save(author=customer, thread=thread, body="Private words")
    apply_rules(user=customer)
    assert not Draft.objects.exists()


def test_drafts_in_the_export(customer, thread, django_capture_on_commit_callbacks):
    import zipfile

    from consent.dsar import services as dsar
    from consent.dsar.export import exports_dir

    services.draft_save(author=customer, thread=thread, body="Exported draft")
    with django_capture_on_commit_callbacks(execute=True):
        export = dsar.export_request(user=customer)
    export.refresh_from_db()
    rows = json.loads(zipfile.ZipFile(exports_dir() / export.file_name).read("drafts.json"))
    assert [(row["thread"], row["body"]) for row in rows] == [(thread.pk, "Exported draft")]


def test_old_drafts_are_purged_by_retention(customer, thread, forum, settings):
    category = retention.category("community.drafts")
    assert category.default_days == settings.DRAFT_RETENTION_DAYS == 30
    old = services.draft_save(author=customer, thread=thread, body="old")
    Draft.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=31))
    services.draft_save(author=customer, forum=forum, body="fresh")
    cutoff = timezone.now() - timedelta(days=30)
    assert category.preview_tally(cutoff).deleted == 1
    assert category.apply_tally(cutoff).deleted == 1
    assert list(Draft.objects.values_list("body", flat=True)) == ["fresh"]
