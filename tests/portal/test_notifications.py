"""Members choose per kind how they are notified; e-mail leaves through the task worker."""

import pytest
from django.core import mail
from django.urls import reverse

from portal import notifications
from portal.models import Notification

pytestmark = pytest.mark.django_db


def test_in_app_by_default_and_no_email_without_opt_in(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notification_send(
            recipient=customer, kind="account", message="portal.text", params={"title": "Hello"}, url="/account/"
        )
    assert Notification.objects.filter(recipient=customer, params__title="Hello").count() == 1
    assert len(mail.outbox) == 0
    customer.refresh_from_db()
    assert notifications.unread_count(customer) == 1


def test_email_after_opt_in_through_the_page(client, customer, django_capture_on_commit_callbacks):
    """Ticking the e-mail box for a kind sends the next notice by mail, in-app unticked stops the badge."""
    client.force_login(customer)
    response = client.post(reverse("notifications"), {"email:account": "on"})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        result = notifications.notification_send(
            recipient=customer,
            kind="account",
            message="portal.text",
            params={"title": "Security notice"},
            url="/account/",
        )
    assert result is None
    assert Notification.objects.filter(recipient=customer).count() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]
    assert mail.outbox[0].subject == "Security notice"
    assert "http://127.0.0.1:8000/account/" in mail.outbox[0].body


def test_unread_badge_and_mark_read(client, customer):
    notifications.notification_send(recipient=customer, kind="account", message="portal.text", params={"title": "One"})
    notifications.notification_send(recipient=customer, kind="account", message="portal.text", params={"title": "Two"})
    client.force_login(customer)
    html = client.get(reverse("notifications")).content.decode()
    assert "data-unread-count>2<" in html
    client.post(reverse("notifications_mark_read"))
    customer.refresh_from_db()
    assert notifications.unread_count(customer) == 0
    assert "data-unread-count" not in client.get(reverse("notifications")).content.decode()


def test_the_unread_counter_follows_every_change(customer, other_customer):
    """The counter on the user row equals a recount after sends, partial and full mark-read, for each member."""
    sent = [
        notifications.notification_send(
            recipient=customer, kind="account", message="portal.text", params={"title": f"N{i}"}
        )
        for i in range(3)
    ]
    notifications.notification_send(
        recipient=other_customer, kind="account", message="portal.text", params={"title": "Other"}
    )
    assert notifications.notifications_mark_read(user=customer, ids=[sent[0].pk]) == 1
    assert customer.unread_notifications == 2  # the caller's object is updated too
    customer.refresh_from_db()
    other_customer.refresh_from_db()
    assert (customer.unread_notifications, other_customer.unread_notifications) == (2, 1)
    from portal.models import User

    User.objects.filter(pk=customer.pk).update(unread_notifications=99)  # drifted, e.g. by a raw delete
    assert notifications.unread_recount() == User.objects.count()
    customer.refresh_from_db()
    assert customer.unread_notifications == 2


def test_the_badge_costs_no_query(client, customer, django_assert_num_queries):
    """Session, user row (with the counter), the page's preferences, notification list, the member's roles (which
    staff notices to offer) and the staff-role check; no count of notifications."""
    notifications.notification_send(
        recipient=customer, kind="account", message="portal.text", params={"title": "Badge"}
    )
    client.force_login(customer)
    client.get(reverse("notifications"))  # warm the site and brand caches
    with django_assert_num_queries(6) as captured:
        html = client.get(reverse("notifications")).content.decode()
    assert "data-unread-count>1<" in html
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"] and "portal_notification" in q["sql"]]


def test_unknown_kind_is_refused(customer):
    with pytest.raises(ValueError):
        notifications.notification_send(recipient=customer, kind="nope", message="portal.text", params={"title": "x"})
    assert Notification.objects.count() == 0


def test_notification_page_needs_login(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert "/account/login/" in response.url


STAFF_KINDS = {"dpo_role": "Changes of the data protection officer role", "chat.assigned": "Chats transferred to me"}


def test_every_staff_notice_is_offered_only_to_its_roles(client, customer, moderator, dpo):
    """A customer's preferences list no staff workings; each staff kind is offered to its own roles only."""
    staff_kinds = {code: kind for code, kind in notifications.KINDS.items() if kind.roles}
    assert set(staff_kinds) >= set(STAFF_KINDS)
    pages = {}
    for name, user in (("customer", customer), ("moderator", moderator), ("dpo", dpo)):
        client.force_login(user)
        pages[name] = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for code, kind in staff_kinds.items():
        label = str(kind.label)
        assert label not in pages["customer"], code
        assert set(notifications.preferences_for(customer)).isdisjoint(staff_kinds)
    assert STAFF_KINDS["chat.assigned"] in pages["moderator"] and STAFF_KINDS["dpo_role"] not in pages["moderator"]
    assert STAFF_KINDS["dpo_role"] in pages["dpo"]
    # A forged choice for a staff kind is ignored for a customer.
    notifications.preferences_update(user=customer, choices={"dpo_role": (False, True)})
    assert not customer.notification_preferences.filter(kind="dpo_role").exists()
