"""The retention page in the back office: who may see it, what it shows, its query budget, "run now", editing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.chat import services as chat
from consent.dsar import retention
from consent.dsar.models import RetentionPolicy, RetentionRun, RunTrigger
from consent.models import AuditEntry
from portal.services import user_signup
from tests.factories import PASSWORD, make_member

URL = "/admin/access-requests/retention/"


def _old_chat(member, days=40):
    closed = chat.chat_start(member=member, topic="An old question", body="hello")
    return chat.chat_close(chat=closed, actor=member, now=timezone.now() - timedelta(days=days))


def test_the_page_is_for_the_dpo_and_administrators(client, customer, moderator, dpo, administrator):
    """The DPO and administrators open it; a moderator is turned away; a member never reaches the admin."""
    assert reverse("dsar_admin:retention") == URL
    for user, status in ((dpo, 200), (administrator, 200), (moderator, 302), (customer, 302)):
        client.force_login(user)
        assert client.get(URL).status_code == status, user
    assert RetentionRun.objects.count() == 0


def test_the_menu_item_is_shown_only_to_those_allowed(client, moderator, dpo):
    """The back office's menu links the page for the DPO, not for a moderator."""
    client.force_login(dpo)
    assert URL in client.get("/admin/").content.decode()
    client.force_login(moderator)
    assert URL not in client.get("/admin/").content.decode()


def test_the_page_lists_every_category_with_its_preview(client, customer, dpo):
    """Each category shows its period and exactly what the next run removes; inactive accounts show warnings."""
    _old_chat(customer)
    client.force_login(dpo)
    html = client.get(URL).content.decode()
    for code in (
        "chat.transcripts",
        "chat.transcripts_consented",
        "consent.ip_evidence",
        "dsar.expired_exports",
        "portal.unconfirmed_signups",
        "portal.inactive_accounts",
    ):
        assert f'data-code="{code}"' in html
    row = html.split('data-code="chat.transcripts"')[1].split("</tr>")[0]
    assert 'data-deleted="1"' in row and "30 days" in row
    inactive = html.split('data-code="portal.inactive_accounts"')[1].split("</tr>")[0]
    assert 'data-warned="0"' in inactive and "1095 days" in inactive
    assert "No retention run yet." in html


def test_the_page_costs_the_same_queries_as_data_grows(client, customer, dpo, django_assert_num_queries):
    """The preview counts in the database: more chats, sign-ups and runs do not add queries. The page's own
    part is exactly 14: runs, policies, one count per category (intake cards, drafts and post images included) (two for inactive accounts; the chats' ids
    for the chat categories), and for the chats past their policy the copies they take along (CRM card
    texts, export files)."""
    client.force_login(dpo)
    client.get(URL)
    counts = []
    for total in (1, 6):
        while RetentionRun.objects.count() < total:
            member = make_member()
            _old_chat(member)
            user_signup(email=f"signup{total}-{member.pk}@example.com", password=PASSWORD, preferred_language="en")
            RetentionRun.objects.create(trigger=RunTrigger.SCHEDULE, results={"chat.transcripts": {"deleted": 1}})
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        counts.append(len(captured))
        own = [
            q["sql"]
            for q in captured.captured_queries
            if "dsar_" in q["sql"] or ("COUNT(*)" in q["sql"] and "portal_notification" not in q["sql"])
        ]
        assert len(own) == 14
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[1]):
        client.get(URL)


def test_run_now_is_a_post_by_the_dpo_and_is_audited(client, customer, dpo, django_capture_on_commit_callbacks):
    """POST records the run, who started it and an audit entry, and leaves the work to the task worker after
    commit: until then the page lists the run as not finished and nothing is deleted. A GET changes nothing."""
    old = _old_chat(customer)
    client.force_login(dpo)
    client.get(URL)
    assert RetentionRun.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(URL, {"action": "run"})
    assert response.status_code == 302
    run = RetentionRun.objects.get()
    assert (run.trigger, run.actor, run.finished_at, run.results) == (RunTrigger.MANUAL, dpo, None, {})
    assert type(old).objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.get(action="retention_run").actor == dpo
    html = client.get(URL).content.decode()
    assert "Retention run started." in html and "Not finished yet" in html and "started by hand (@" in html
    assert len(callbacks) == 1
    callbacks[0]()  # the worker takes the task
    run.refresh_from_db()
    assert run.finished_at is not None and run.results["chat.transcripts"]["deleted"] == 1
    assert not type(old).objects.filter(pk=old.pk).exists()
    assert "Not finished yet" not in client.get(URL).content.decode()


def test_a_requested_run_is_applied_once(customer, dpo, django_capture_on_commit_callbacks):
    """The task for a run that has already finished does nothing (a retried task cannot overwrite the record)."""
    from consent.dsar.tasks import retention_run_requested

    _old_chat(customer)
    with django_capture_on_commit_callbacks(execute=True):
        run = retention.retention_run_now(actor=dpo)
    run.refresh_from_db()
    finished = (run.finished_at, run.results)
    assert finished[1]["chat.transcripts"]["deleted"] == 1
    result = retention_run_requested.call(run_id=run.pk)
    run.refresh_from_db()
    assert (result["results"], (run.finished_at, run.results)) == ("already finished", finished)


def test_run_now_is_refused_to_a_moderator(client, customer, moderator):
    """A moderator's POST runs nothing and deletes nothing."""
    old = _old_chat(customer)
    client.force_login(moderator)
    response = client.post(URL, {"action": "run"})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert RetentionRun.objects.count() == 0
    assert type(old).objects.filter(pk=old.pk).exists()
    assert not AuditEntry.objects.filter(action="retention_run").exists()


@pytest.mark.parametrize(("days", "status", "saved"), [("14", 302, 14), ("2", 400, 30), ("abc", 400, 30)])
def test_the_dpo_edits_a_period(client, dpo, days, status, saved):
    """A valid period is saved and audited; one under the minimum (3 days) or not a number is refused."""
    client.force_login(dpo)
    url = reverse("dsar_admin:retention_policy", args=["portal.unconfirmed_signups"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"days": days, "enabled": "on"})
    assert response.status_code == status
    assert RetentionPolicy.objects.get(code="portal.unconfirmed_signups").days == saved
    assert AuditEntry.objects.filter(action="retention_policy").count() == (1 if status == 302 else 0)


def test_an_unknown_category_is_404(client, dpo):
    client.force_login(dpo)
    assert client.get(reverse("dsar_admin:retention_policy", args=["nope.nothing"])).status_code == 404
