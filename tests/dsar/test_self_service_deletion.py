"""Self-service account deletion: password and tick, locked at once, erased after the grace period by the
DPO's own erasure (with its report mailed), cancelled by signing in, listed in the DPO console."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community import services as community
from community.models import Forum, ModerationSettings, Post
from consent.dsar import services
from consent.dsar.models import AccessRequest, ErasureReport, RequestEvent, RequestKind, RequestOrigin, RequestState
from consent.dsar.selectors import account_deletions_due
from consent.dsar.tasks import account_deletion_erase, account_deletions_sweep
from consent.processors import may_process
from consent.services import consent_grant
from portal.roles import Role
from tests.dsar.test_erasure import (  # noqa: F401  (the seeded member and the scans of the DPO erasure test)
    _identifiers,
    _scan_cache,
    _scan_database,
    _scan_media,
    seeded,
    task_args,
)
from tests.factories import PASSWORD, make_member

User = get_user_model()
DELETE_URL = "/privacy/requests/delete-account/"


def _signed_in(member) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": member.email, "password": PASSWORD}).status_code == 302
    return client


def _confirm(client, password=PASSWORD, understood=True, **headers):
    data = {"password": password}
    if understood:
        data["understood"] = "on"
    return client.post(DELETE_URL, data, **headers)


def _deletion(member) -> AccessRequest | None:
    return AccessRequest.objects.filter(member=member, origin=RequestOrigin.SELF_SERVICE).first()


@pytest.fixture
def member(db):
    return make_member(email="leaving@example.com")


def test_the_account_page_leads_to_the_deletion_summary(member):
    """Account settings show a "Delete my account" section; its page says what is erased, kept and how to cancel."""
    client = _signed_in(member)
    account = client.get(reverse("account")).content.decode()
    assert f'href="{DELETE_URL}"' in account
    page = client.get(DELETE_URL).content.decode()
    assert "Your account is locked at once." in page
    assert "After 7 days it is erased." in page
    assert "stay readable under “deleted member”" in page
    assert "the consent ledger keeps the record of the consents you gave and withdrew" in page
    assert "Simply sign in again before the erasure and the deletion is cancelled" in page
    assert 'autocomplete="current-password"' in page
    assert 'name="understood"' in page


def test_a_wrong_password_refuses_and_changes_nothing(member, django_capture_on_commit_callbacks):
    """A wrong password: the form says so, no request, no mail, the session still works."""
    client = _signed_in(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client, password="not-it")
    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    assert AccessRequest.objects.filter(member=member).count() == 0
    assert mail.outbox == []
    assert client.get(reverse("account")).status_code == 200


def test_the_tick_is_required(member):
    """Without the confirmation tick nothing happens, with a clear message."""
    client = _signed_in(member)
    response = _confirm(client, understood=False)
    assert response.status_code == 400
    assert "Tick the box to confirm that you want to delete your account." in response.content.decode()
    assert AccessRequest.objects.filter(member=member).count() == 0


def test_wrong_passwords_are_rate_limited_like_logins(member, settings):
    """After LOGIN_FAILURE_LIMIT wrong passwords even the right one is refused until the cool-off ends."""
    settings.LOGIN_FAILURE_LIMIT = 2
    client = _signed_in(member)
    assert _confirm(client, password="wrong-1").status_code == 400
    assert _confirm(client, password="wrong-2").status_code == 400
    response = _confirm(client)
    assert response.status_code == 429
    assert "Too many wrong passwords. Please try again later." in response.content.decode()
    assert AccessRequest.objects.filter(member=member).count() == 0


def test_confirming_locks_the_account_at_once(member, settings, django_capture_on_commit_callbacks):
    """Every session ends, processing stops, an erasure request in progress is scheduled after the grace period."""
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    laptop, phone = _signed_in(member), _signed_in(member)
    assert may_process(User.objects.get(pk=member.pk), "community.notifications") is True
    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(laptop)
    assert response.status_code == 302
    assert response["Location"] == "/privacy/requests/delete-account/done/"
    done = laptop.get(response["Location"]).content.decode()
    assert "Your account is locked and will be erased on" in done
    assert "Sign in to cancel the deletion" in done
    for client in (laptop, phone):
        assert client.get(reverse("account"))["Location"].startswith(reverse("login"))
    assert [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(member.pk)] == []
    deletion = _deletion(member)
    assert (deletion.kind, deletion.state, deletion.channel) == (RequestKind.ERASURE, RequestState.IN_PROGRESS, "web")
    assert deletion.erase_after - deletion.received_at == timedelta(days=7)
    assert list(RequestEvent.objects.filter(request=deletion).values_list("action", "to_state")) == [
        ("received", "received"),
        ("transition", "identity_unverified"),
        ("transition", "verified"),
        ("transition", "in_progress"),
        ("deletion_scheduled", ""),
    ]
    fresh = User.objects.get(pk=member.pk)
    assert fresh.erased_at is None and fresh.is_active is True and fresh.has_usable_password() is True
    assert may_process(fresh, "community.notifications") is False
    assert may_process(fresh, "dsar.request_mail") is True
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["leaving@example.com"], f"Your account will be deleted on {_date(deletion.erase_after)}")
    ]
    assert "sign in before that time and the deletion is cancelled" in mail.outbox[0].body


def _date(moment) -> str:
    from django.utils import formats

    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def test_the_task_before_the_grace_period_does_nothing(member, django_capture_on_commit_callbacks):
    """The sweep finds nothing due and the erase task leaves the account as it is until the time has come."""
    deletion = services.account_deletion_request(member=member)
    assert account_deletions_sweep.call() == []
    assert account_deletion_erase.call(request_id=str(deletion.pk)) == "nothing to do"
    just_before = deletion.erase_after - timedelta(seconds=1)
    assert services.account_deletion_run(request_id=deletion.pk, now=just_before) is None
    fresh = User.objects.get(pk=member.pk)
    assert (fresh.erased_at, fresh.email, fresh.is_active) == (None, "leaving@example.com", True)
    assert ErasureReport.objects.count() == 0
    deletion.refresh_from_db()
    assert deletion.state == RequestState.IN_PROGRESS
    assert account_deletions_due(now=deletion.erase_after) == [deletion.pk]


def test_after_the_grace_period_the_scan_finds_nothing(seeded, task_args, settings, django_capture_on_commit_callbacks):  # noqa: F811
    """The scheduled sweep erases with the DPO's erasure: no identifier in any table, file, cache or task argument."""
    member, objects = seeded
    needles = _identifiers(member)
    email = member.email
    with django_capture_on_commit_callbacks(execute=True):
        deletion = services.account_deletion_request(member=member)
    assert Session.objects.filter(session_key=objects["session"].session_key).exists() is False
    mail.outbox.clear()
    with time_machine.travel(deletion.erase_after + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert account_deletions_sweep.call() == [str(deletion.pk)]
    report = ErasureReport.objects.get(member=member)
    deletion.refresh_from_db()
    assert deletion.state == RequestState.COMPLETED
    assert deletion.result == f"Erased; report {report.pk}."
    assert report.actor is None
    legal_holds = frozenset(entry["model"] for entry in report.kept)
    assert _scan_database(needles, allowed=legal_holds) == []
    assert _scan_database(needles) == []
    assert _scan_media(settings.MEDIA_ROOT, needles) == []
    assert _scan_cache(needles) == []
    assert [args for args in task_args if any(n.lower() in args.lower() for n in needles)] == []
    assert Post.objects.get(pk=objects["reply"].pk).body == "Thanks @deleted-member, that helped!"
    # The report went to the address the account had, then the address was gone.
    assert [(m.to, m.subject) for m in mail.outbox] == [([email], "Your account was erased: the erasure report")]
    body = mail.outbox[0].body
    assert f"This is the erasure report {report.pk}." in body
    assert "- posts (community.Post): 3, anonymised" in body
    assert "- consent events (consent.ConsentEvent): Proof of consent" in body
    assert RequestEvent.objects.filter(request=deletion, action="member_notified").count() == 1


def _twin(email: str, forum):
    """A member with the same data as another: a thread, a reply, a consent, a notification."""
    from portal.notifications import notification_send

    twin = make_member(email=email)
    thread = community.thread_create(forum=forum, author=twin, title="Keys and locks", body="How do keys work?")
    community.post_create(thread=thread, author=twin, body="Found it, thanks.")
    consent_grant(user=twin, purpose="public_profile")
    notification_send(recipient=twin, kind="privacy_request", message="portal.text", params={"title": "Hello"})
    return twin


def test_the_self_service_erasure_is_the_dpo_erasure(db, dpo, django_capture_on_commit_callbacks):
    """Two members with the same data: one erased by the DPO, one by their own deletion; the reports agree."""
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    forum = Forum.objects.create(name="General", slug="general", description="Anything")
    by_dpo, by_self = _twin("one@example.com", forum), _twin("two@example.com", forum)

    request = services.request_create(member=by_dpo, kind=RequestKind.ERASURE, actor=by_dpo)
    request = services.request_transition(request=request, to=RequestState.IN_PROGRESS, actor=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        dpo_report = services.request_run_erasure(request=request, actor=dpo, confirmation=by_dpo.handle)
        deletion = services.account_deletion_request(member=by_self)
        self_report = services.account_deletion_run(request_id=deletion.pk, now=deletion.erase_after)

    assert self_report.kept == dpo_report.kept
    # The request histories differ by their own steps (and the DPO's "request received" notice); all else is equal.
    own = {"dsar.RequestEvent", "portal.Notification"}
    assert [e for e in self_report.removed if e["model"] not in own] == [
        e for e in dpo_report.removed if e["model"] not in own
    ]
    assert {(e["model"], e["action"]) for e in self_report.removed} == {
        (e["model"], e["action"]) for e in dpo_report.removed
    }
    for member in (by_dpo, by_self):
        member.refresh_from_db()
        assert member.erased_at is not None and member.email == f"erased-{member.pk}@invalid"
    assert Post.objects.filter(author__isnull=True).count() == 4


def test_signing_in_during_the_grace_period_cancels(member, django_capture_on_commit_callbacks):
    """A sign-in withdraws the deletion with a message on the next page and a mail; the sweep erases nothing."""
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    forum = Forum.objects.create(name="General", slug="general", description="Anything")
    thread = community.thread_create(forum=forum, author=member, title="Still here", body="Hello")
    with django_capture_on_commit_callbacks(execute=True):
        deletion = services.account_deletion_request(member=member)
    mail.outbox.clear()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("login") + "?next=/account/",
            {"username": member.email, "password": PASSWORD},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert "Welcome back! You signed in, so the deletion of your account is cancelled." in response.content.decode()
    deletion.refresh_from_db()
    assert deletion.state == RequestState.WITHDRAWN
    assert RequestEvent.objects.filter(request=deletion, action="deletion_cancelled").count() == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["leaving@example.com"], "The deletion of your account is cancelled")
    ]
    assert "nothing was erased" in mail.outbox[0].body
    with time_machine.travel(deletion.erase_after + timedelta(days=1), tick=False):
        assert account_deletions_sweep.call() == []
        assert account_deletion_erase.call(request_id=str(deletion.pk)) == "nothing to do"
    fresh = User.objects.get(pk=member.pk)
    assert fresh.erased_at is None and fresh.email == "leaving@example.com"
    assert Post.objects.get(thread=thread).author_id == member.pk
    assert ErasureReport.objects.count() == 0
    assert may_process(fresh, "community.notifications") is True


def test_a_sign_in_the_login_page_missed_still_cancels_when_due(member, django_capture_on_commit_callbacks):
    """A sign-in recorded after the request (any path) makes the due run withdraw the deletion instead of erasing."""
    deletion = services.account_deletion_request(member=member)
    User.objects.filter(pk=member.pk).update(last_login=deletion.received_at + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.account_deletion_run(request_id=deletion.pk, now=deletion.erase_after) is None
    deletion.refresh_from_db()
    assert deletion.state == RequestState.WITHDRAWN
    assert User.objects.get(pk=member.pk).erased_at is None
    assert mail.outbox[-1].subject == "The deletion of your account is cancelled"


def test_mails_and_messages_are_in_the_members_language(db, django_capture_on_commit_callbacks):
    """A member who prefers German gets the scheduled, cancelled and report mails and the page message in German."""
    member = make_member(email="geht@example.com", preferred_language="de")
    client = _signed_in(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client, HTTP_ACCEPT_LANGUAGE="de")
    done = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Ihr Konto ist gesperrt" in done
    deletion = _deletion(member)
    assert mail.outbox[0].subject == f"Ihr Konto wird am {_date_de(deletion.erase_after)} gelöscht"
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(
            reverse("login") + "?next=/account/",
            {"username": member.email, "password": PASSWORD},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="de",
        )
    assert "Willkommen zurück! Sie haben sich angemeldet, daher ist die Löschung Ihres Kontos aufgehoben." in (
        page.content.decode()
    )
    assert mail.outbox[1].subject == "Die Löschung Ihres Kontos ist aufgehoben"
    assert "nichts wurde gelöscht" in mail.outbox[1].body
    with django_capture_on_commit_callbacks(execute=True):
        again = services.account_deletion_request(member=User.objects.get(pk=member.pk))
        services.account_deletion_run(request_id=again.pk, now=again.erase_after)
    report = mail.outbox[-1]
    assert report.to == ["geht@example.com"]
    assert report.subject == "Ihr Konto wurde gelöscht: das Löschprotokoll"
    assert "Gelöscht oder anonymisiert:" in report.body
    assert "Aufbewahrt, und warum:" in report.body


def _date_de(moment) -> str:
    from django.utils import formats, translation

    with translation.override("de"):
        return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def test_team_accounts_cannot_delete_themselves_here(moderator):
    """A staff account is closed by an administrator: the page says so and the service refuses."""
    client = Client()
    client.force_login(moderator)
    page = client.get(DELETE_URL).content.decode()
    assert "Team accounts are closed by an administrator" in page
    assert 'name="understood"' not in page
    response = _confirm(client)
    assert response.status_code == 400
    assert AccessRequest.objects.filter(member=moderator).count() == 0
    with pytest.raises(ValidationError):
        services.account_deletion_request(member=moderator)


def test_the_dpo_console_lists_self_service_deletions(dpo, django_capture_on_commit_callbacks):
    """Pending (with its time), cancelled and done deletions under the console's self-service filter."""
    pending_member, cancelled_member, done_member = (make_member(role=Role.CUSTOMER) for _ in range(3))
    with django_capture_on_commit_callbacks(execute=True):
        pending = services.account_deletion_request(member=pending_member)
        cancelled = services.account_deletion_request(member=cancelled_member)
        services.account_deletion_cancel(member=cancelled_member)
        done = services.account_deletion_request(member=done_member)
        services.account_deletion_run(request_id=done.pk, now=done.erase_after)
    client = Client()
    client.force_login(dpo)
    listing = client.get("/admin/access-requests/?origin=self_service", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert listing.count('data-origin="self_service"') == 3
    assert listing.count('data-deletion="pending"') == 1
    assert listing.count('data-deletion="cancelled"') == 1
    assert listing.count('data-deletion="done"') == 1
    from django.template.defaultfilters import date as date_filter

    assert f"erased after {date_filter(timezone.localtime(pending.erase_after), 'DATETIME_FORMAT')}" in listing
    assert "cancelled: the member signed in" in listing
    open_only = client.get("/admin/access-requests/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert open_only.count('data-deletion="pending"') == 1 and 'data-deletion="cancelled"' not in open_only
    detail = client.get(f"/admin/access-requests/{pending.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "self-service account deletion" in detail
    assert "erased automatically after" in detail
    assert 'id="erasure-form"' not in detail
    assert 'value="complete"' not in detail
    with pytest.raises(ValidationError):
        services.request_transition(request=pending, to=RequestState.COMPLETED, actor=dpo)
    assert AccessRequest.objects.get(pk=cancelled.pk).state == RequestState.WITHDRAWN
