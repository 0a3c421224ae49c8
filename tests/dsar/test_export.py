"""MyData export: the ZIP's content, pseudonyms, manifest hashes, who may download, expiry and purge."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from community import services as community
from community.models import Forum, ModerationSettings
from consent.dsar import services
from consent.dsar.export import exports_dir
from consent.dsar.models import DataExport, ExportStatus
from consent.dsar.retention import retention_preview
from consent.models import AuditEntry
from consent.retention import Tally
from consent.services import consent_grant
from portal.models import Notification


@pytest.fixture
def forum(db):
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.posts_per_hour = 1000
    config.save()
    return Forum.objects.create(name="General", slug="general", description="Anything")


def _export(user, django_capture_on_commit_callbacks, actor=None) -> DataExport:
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request(user=user, actor=actor)
    export.refresh_from_db()
    return export


def _zip(export) -> zipfile.ZipFile:
    return zipfile.ZipFile(exports_dir() / export.file_name)


def test_export_holds_one_file_per_category_and_a_verifiable_manifest(customer, django_capture_on_commit_callbacks):
    """The ZIP has profile.json, consents, schema.json, index.html and a manifest whose hashes match."""
    consent_grant(user=customer, purpose="public_profile")
    export = _export(customer, django_capture_on_commit_callbacks)
    assert export.status == ExportStatus.READY
    assert export.expires_at == export.ready_at + timedelta(days=7)
    archive = _zip(export)
    names = set(archive.namelist())
    assert {
        "profile.json",
        "consents.json",
        "consent_receipts.json",
        "schema.json",
        "index.html",
        "manifest.json",
    } <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["schema_version"] == "1.0"
    assert {entry["name"] for entry in manifest["files"]} == names - {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    profile = json.loads(archive.read("profile.json"))
    assert profile == [
        {
            "source": "portal.User",
            "email": customer.email,
            "handle": customer.handle,
            "display_name": "",
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "preferred_language": customer.preferred_language,
            "date_joined": customer.date_joined.isoformat(),
            "last_login": None,
            "email_confirmed_at": customer.email_confirmed_at.isoformat(),
            "bio": "",
            "avatar": "",
        }
    ]
    receipts = json.loads(archive.read("consent_receipts.json"))
    assert [r["purpose"] for r in receipts] == ["public_profile"]
    assert receipts[0]["receipt_jws"].count(".") == 2
    schema = json.loads(archive.read("schema.json"))
    assert "profile" in schema["$defs"] and "posts" in schema["$defs"]
    assert customer.handle in archive.read("index.html").decode()


def test_other_members_appear_only_as_pseudonyms(
    customer, other_customer, moderator, forum, django_capture_on_commit_callbacks
):
    """A moderator's action about the member names the moderator by an export pseudonym, never by handle or e-mail."""
    thread = community.thread_create(forum=forum, author=customer, title="Need help with keys", body="Body text here")
    post = community.post_create(thread=thread, author=customer, body="A follow-up with more details")
    community.post_hide(post=post, moderator=moderator, reason="Off topic for this forum")
    export = _export(customer, django_capture_on_commit_callbacks)
    archive = _zip(export)
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert moderator.handle not in everything
    assert moderator.email not in everything
    posts = json.loads(archive.read("posts.json"))
    assert [p["body"] for p in posts] == ["Body text here", "A follow-up with more details"]
    actions = json.loads(archive.read("moderation_actions.json"))
    assert all(a["source"] != "community.ModerationAction" or "moderator" not in a for a in actions)
    assert customer.email in everything


def test_member_is_notified_with_a_link(customer, django_capture_on_commit_callbacks):
    """When the ZIP is ready the member gets a notification pointing to the download."""
    export = _export(customer, django_capture_on_commit_callbacks)
    notice = Notification.objects.get(recipient=customer, kind="privacy_export")
    assert notice.url == reverse("consent:dsar:export_download", args=[export.pk])


def test_member_downloads_own_export_and_it_is_logged(client, customer, django_capture_on_commit_callbacks):
    """The owner gets the ZIP; the download is counted and lands in the audit log."""
    export = _export(customer, django_capture_on_commit_callbacks)
    client.force_login(customer)
    response = client.get(reverse("consent:dsar:export_download", args=[export.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).read("manifest.json")
    export.refresh_from_db()
    assert export.downloads == 1
    assert list(AuditEntry.objects.filter(subject=customer).values_list("action", flat=True)) == ["export_download"]


def test_another_members_export_link_is_404(client, customer, other_customer, django_capture_on_commit_callbacks):
    """Someone else's link answers 404 like a link that never existed, and nothing is logged or counted."""
    export = _export(customer, django_capture_on_commit_callbacks)
    client.force_login(other_customer)
    response = client.get(reverse("consent:dsar:export_download", args=[export.pk]))
    assert response.status_code == 404
    export.refresh_from_db()
    assert export.downloads == 0
    assert AuditEntry.objects.count() == 0


def test_guessed_export_id_is_404(client, customer):
    """A random UUID gives the same 404."""
    client.force_login(customer)
    response = client.get(reverse("consent:dsar:export_download", args=["6f1c1d2e-0000-4000-8000-000000000000"]))
    assert response.status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, customer, django_capture_on_commit_callbacks):
    """Without a session the link only leads to the login page."""
    export = _export(customer, django_capture_on_commit_callbacks)
    response = client.get(reverse("consent:dsar:export_download", args=[export.pk]))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


def test_dpo_may_download_and_the_member_sees_it(client, customer, dpo, django_capture_on_commit_callbacks):
    """The DPO can open the link; the member's access log shows it as an export by staff."""
    export = _export(customer, django_capture_on_commit_callbacks)
    client.force_login(dpo)
    response = client.get(reverse("consent:dsar:export_download", args=[export.pk]))
    assert response.status_code == 200
    entry = AuditEntry.objects.get(subject=customer)
    assert (entry.actor_id, entry.action) == (dpo.pk, "export")


def test_expired_link_is_gone_and_the_file_purged(client, customer, django_capture_on_commit_callbacks):
    """After 7 days the link answers 410 and the retention run deletes the file."""
    export = _export(customer, django_capture_on_commit_callbacks)
    path = exports_dir() / export.file_name
    assert path.exists()
    client.force_login(customer)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(reverse("consent:dsar:export_download", args=[export.pk]))
        assert response.status_code == 410
        assert retention_preview()["dsar.expired_exports"] == Tally(deleted=1)
        assert services.exports_purge_expired() == 1
    assert not path.exists()
    export.refresh_from_db()
    assert (export.status, export.file_name, export.downloads) == (ExportStatus.EXPIRED, "", 0)


def test_export_page_requires_the_password(client, customer):
    """A wrong password queues nothing."""
    client.force_login(customer)
    response = client.post(reverse("consent:dsar:export_create"), {"password": "wrong"})
    assert response.status_code == 400
    assert DataExport.objects.count() == 0


def test_export_page_with_password_queues_an_export(client, customer, password, django_capture_on_commit_callbacks):
    """The right password queues the build; the task finishes it."""
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("consent:dsar:export_create"), {"password": password})
    assert response.status_code == 302
    assert list(DataExport.objects.values_list("user_id", "status")) == [(customer.pk, ExportStatus.READY)]


def test_export_queries_do_not_grow_with_rows(customer, forum):
    """Building an export takes the same number of queries for 5 and 50 posts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    thread = community.thread_create(forum=forum, author=customer, title="Counting queries", body="first")
    counts = []
    for total in (5, 50):
        while thread.posts.count() < total:
            community.post_create(thread=thread, author=customer, body=f"post {thread.posts.count()}")
        export = DataExport.objects.create(user=customer, requested_by=customer)
        with CaptureQueriesContext(connection) as captured:
            services.export_build(export_id=export.pk)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_index_html_shows_the_rows_escaped_and_linked(customer, forum, django_capture_on_commit_callbacks):
    """index.html holds the data itself: a post's <script> body is shown as text, the post links to its thread's
    row, and the summary lists every JSON file with its checksum from the manifest."""
    thread = community.thread_create(forum=forum, author=customer, title="Keys & <locks>", body="The first post")
    community.post_create(thread=thread, author=customer, body='<script>alert("x")</script> and more')
    export = _export(customer, django_capture_on_commit_callbacks)
    archive = _zip(export)
    html = archive.read("index.html").decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; and more" in html
    assert "<td>Keys &amp; &lt;locks&gt;</td>" in html
    assert '<section id="posts" aria-labelledby="posts-heading"><h2 id="posts-heading">Your posts</h2>' in html
    assert f'<tr id="row-community-thread-{thread.pk}">' in html
    assert html.count(f'<a href="#row-community-thread-{thread.pk}" data-ref>{thread.pk}</a>') == 2
    posts = html.split('<section id="posts"')[1].split("</section>")[0]
    assert posts.count("<tr id=") == 2 and '<th scope="col">text</th>' in posts
    manifest = {entry["name"]: entry for entry in json.loads(archive.read("manifest.json"))["files"]}
    assert f"<code>{manifest['posts.json']['sha256']}</code>" in html
    assert '<li><a href="#posts">Your posts</a> (2)</li>' in html
    assert hashlib.sha256(archive.read("index.html")).hexdigest() == manifest["index.html"]["sha256"]


def test_index_html_speaks_the_members_language(customer, forum, django_capture_on_commit_callbacks):
    """A German member's index has German headings, column labels and explanations."""
    customer.preferred_language = "de"
    customer.save(update_fields=["preferred_language"])
    community.thread_create(forum=forum, author=customer, title="Schlüssel verloren", body="Wo finde ich ihn?")
    export = _export(customer, django_capture_on_commit_callbacks)
    html = _zip(export).read("index.html").decode()
    assert '<html lang="de">' in html
    assert "Ihr Datenexport" in html and "So lesen Sie diesen Export" in html
    threads = html.split('<section id="threads"')[1].split("</section>")[0]
    assert "Ihre Fragen (Themen)" in threads and '<th scope="col">erstellt</th>' in threads
    assert "Schlüssel verloren" in threads


def test_index_html_lists_every_row_of_a_long_export(customer, forum, django_capture_on_commit_callbacks):
    """The sections stream through a temporary file behind the summary: all 300 posts arrive, the page is whole."""
    thread = community.thread_create(forum=forum, author=customer, title="Many posts", body="first")
    for number in range(299):
        community.post_create(thread=thread, author=customer, body=f"post number {number}")
    export = _export(customer, django_capture_on_commit_callbacks)
    html = _zip(export).read("index.html").decode()
    posts = html.split('<section id="posts"')[1].split("</section>")[0]
    assert posts.count("<tr id=") == 300
    assert "post number 298" in posts
    assert html.rstrip().endswith("</html>")
