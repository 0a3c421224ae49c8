"""Faults found walking the CRM back office (issue 19): empty page titles, codes shown raw, the team choice."""

from __future__ import annotations

import re

import pytest

from crm.models import DemoReceipt
from portal.roles import Role
from tests.crm.test_admin import _login

pytestmark = pytest.mark.django_db


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1).strip()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_crm_back_office_pages_have_a_title(lead_rule, administrator):
    """Interest cards, the outbox and the demo CRM name themselves in the browser tab (not "- Wagtail")."""
    client = _login(administrator)
    titles = {
        url: _title(client.get(url).content.decode())
        for url in ("/admin/crm/cards/", "/admin/crm/outbox/", "/admin/crm/demo-receiver/")
    }
    assert titles == {
        "/admin/crm/cards/": "Interest cards - Wagtail",
        "/admin/crm/outbox/": "CRM outbox - Wagtail",
        "/admin/crm/demo-receiver/": "Demo CRM - Wagtail",
    }


def test_demo_crm_names_the_action_and_an_unidentified_member_in_words(administrator):
    """A card without the member's identity reads "member: not identified", its action "Lead" (not "None", "lead")."""
    DemoReceipt.objects.create(
        webhook_id="w-1",
        payload={"title": "Quote request", "source_type": "thread", "action_type": "lead", "author": None},
    )
    DemoReceipt.objects.create(
        webhook_id="w-2",
        payload={"title": "Pseudonymous", "action_type": "complaint", "author": {"pseudonym": "p-7f3a"}},
    )
    text = _text(_login(administrator).get("/admin/crm/demo-receiver/").content.decode())
    assert "Lead · member: not identified" in text
    assert "Complaint · member: p-7f3a" in text
    assert "member: None" not in text and " lead " not in text


def test_tag_rules_and_connections_say_yes_or_no(lead_rule, administrator):
    """The active column and the active filter read Yes/No in the staff member's language, never True/False."""
    client = _login(administrator)
    rules = _text(client.get("/admin/crm_tag_rules/?is_active=1").content.decode())
    connections = _text(client.get("/admin/crm_connections/").content.decode())
    assert "Active: Yes" in rules
    assert rules.endswith("1 tag rule")
    assert "True" not in rules and "True" not in connections
    assert " Yes " in f" {connections} "


def test_the_tag_rule_team_choice_offers_only_staff_who_work_cards(administrator, webhook_connection):
    """Round-robin teams: the groups that see interest cards (moderators, administrators), never customers."""
    html = _login(administrator).get("/admin/crm_tag_rules/new/").content.decode()
    select = re.search(r'<select name="team"[^>]*>(.*?)</select>', html, flags=re.S).group(1)
    labels = [label.strip() for label in re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", select)]
    assert labels == ["Administrator", "Moderator"]
    assert Role.CUSTOMER not in select


def test_marking_a_demo_task_done_claims_nothing_before_the_report_arrived(
    administrator, django_capture_on_commit_callbacks
):
    """The button queues the CRM's report; the message says it is on its way, not that the task is done (the report
    can still fail, here for want of a demo connection)."""
    receipt = DemoReceipt.objects.create(
        webhook_id="0b6b2f4e-8f3c-4a57-9d1e-3f0f8a1c2b7d", payload={"title": "Quote request", "action_type": "lead"}
    )
    client = _login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/crm/demo-receiver/{receipt.pk}/complete/", follow=True)
    text = _text(response.content.decode())
    assert "The demo CRM is sending its report." in text
    assert "reported the task as done" not in text
