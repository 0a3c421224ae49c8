"""Live chat in two browsers: a customer and a moderator talk, the customer's network drops and comes back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_customer_and_moderator_chat_survives_a_network_drop(new_page, as_user, screenshot):
    customer = new_page()
    moderator = new_page()
    as_user(customer, "customer@example.com", "customer-demo-2026")
    as_user(moderator, "moderator@example.com", "moderator-demo-2026")

    customer.goto("/chat/")
    customer.fill("input[name=topic]", "Invoice for March is missing")
    customer.fill("textarea[name=body]", "I cannot find my **March** invoice.")
    customer.click("main button[type=submit]")
    customer.wait_for_url(re.compile(r".*/chat/\d+/$"))
    expect(customer.locator("#chat-queue")).to_contain_text("Your place in the queue: 1")
    expect(customer.locator("#chat-connection")).to_have_text("Connected")

    moderator.goto("/chat/console/")
    expect(moderator.locator('[data-list="waiting"]')).to_contain_text("Invoice for March is missing")
    screenshot(moderator, "chat-console-queue")
    moderator.click('[data-list="waiting"] >> text=Invoice for March is missing')
    expect(moderator.locator("#chat-connection")).to_have_text("Connected")
    moderator.click("#chat-take")

    expect(customer.locator("#chat-status")).to_have_text("Active")
    expect(customer.locator("#chat-log")).to_contain_text("joined the chat.")
    expect(customer.locator("#chat-queue")).to_be_hidden()

    customer.fill("#chat-input", "Hello, are you there?")
    expect(moderator.locator("#chat-typing")).to_contain_text("is typing")
    customer.press("#chat-input", "Enter")
    expect(moderator.locator("#chat-log .chat-line--member", has_text="Hello, are you there?")).to_have_count(1)

    moderator.fill("#chat-input", "Yes! Let me check your invoices.")
    moderator.click("#chat-form button[type=submit]")
    expect(customer.locator("#chat-log .chat-line--staff", has_text="Let me check")).to_have_count(1)
    expect(
        moderator.locator("#chat-log .chat-line--staff", has_text="Let me check").locator(".chat-line__state")
    ).to_have_text("Delivered")
    screenshot(customer, "chat-customer")
    screenshot(moderator, "chat-console")

    # The customer's network drops; support keeps writing; the customer writes too.
    customer.context.set_offline(True)
    expect(customer.locator("#chat-connection")).not_to_have_text("Connected")
    moderator.fill("#chat-input", "Found it: first message while you were away.")
    moderator.click("#chat-form button[type=submit]")
    moderator.fill("#chat-input", "Second message while you were away.")
    moderator.click("#chat-form button[type=submit]")
    expect(moderator.locator("#chat-log .chat-line--staff", has_text="Second message while")).to_have_count(1)
    customer.fill("#chat-input", "Written while offline.")
    customer.press("#chat-input", "Enter")
    customer.context.set_offline(False)

    expect(customer.locator("#chat-connection")).to_have_text("Connected", timeout=20_000)
    for text in ("first message while you were away", "Second message while you were away"):
        expect(customer.locator("#chat-log li", has_text=text)).to_have_count(1)
    expect(moderator.locator("#chat-log .chat-line--member", has_text="Written while offline.")).to_have_count(1)
    seqs = customer.locator("#chat-log li[data-seq]").evaluate_all("(lis) => lis.map((li) => li.dataset.seq)")
    assert len(seqs) == len(set(seqs))
    assert [int(s) for s in seqs] == sorted(int(s) for s in seqs)

    # A reload shows the whole conversation again.
    customer.reload()
    expect(customer.locator("#chat-log li", has_text="Written while offline.")).to_have_count(1)
    expect(customer.locator("#chat-connection")).to_have_text("Connected")

    moderator.click("#chat-close")
    expect(customer.locator("#chat-status")).to_have_text("Closed")
    expect(customer.locator("#chat-ended")).to_contain_text("This chat has ended.")
    with customer.expect_download() as download_info:
        customer.click("#chat-transcript")
    transcript = Path(download_info.value.path()).read_text()
    assert transcript.startswith("Chat transcript: Invoice for March is missing")
    for text in (
        "Hello, are you there?",
        "first message while you were away",
        "Written while offline.",
        "closed the chat.",
    ):
        assert text in transcript


def test_chat_page_in_german(new_page, as_user, live_server):
    """A member who picked German in the language switcher gets the chat page in German."""
    page = new_page(locale="de-DE")
    as_user(page, "customer2@example.com", "customer2-demo-2026")
    page.context.add_cookies([{"name": "django_language", "value": "de", "url": live_server.url}])
    page.goto("/chat/")
    expect(page.locator("h1")).to_have_text("Chat mit dem Support")
    expect(page.locator("main button[type=submit]")).to_have_text("Chat starten")
    expect(page.locator("main")).to_contain_text("Export to CSV fails")


CLOSED_ALL_WEEK = (
    "from community.chat.models import DAYS, ChatSettings\n"
    "config = ChatSettings.load()\n"
    "print(config.hours_enabled, *[getattr(config, f'{d}_{e}') for d in DAYS for e in ('opens', 'closes')])\n"
    "config.hours_enabled = True\n"
    "for day in DAYS:\n"
    "    setattr(config, f'{day}_opens', None)\n"
    "    setattr(config, f'{day}_closes', None)\n"
    "config.save()\n"
)
DEMO_HOURS = (
    "import datetime\n"
    "from community.chat.models import ChatSettings\n"
    "config = ChatSettings.load()\n"
    "config.hours_enabled = False\n"
    "for day in ('mon', 'tue', 'wed', 'thu', 'fri'):\n"
    "    setattr(config, f'{day}_opens', datetime.time(8, 0))\n"
    "    setattr(config, f'{day}_closes', datetime.time(18, 0))\n"
    "config.save()\n"
)


def test_offline_message_becomes_a_private_thread_staff_answer(new_page, as_user, live_server, screenshot):
    """Outside business hours a customer's message becomes a private thread; a moderator answers it there;
    another customer cannot open it."""
    live_server.shell(CLOSED_ALL_WEEK)
    try:
        writer = new_page()
        as_user(writer, "customer2@example.com", "customer2-demo-2026")
        writer.goto("/chat/")
        expect(writer.get_by_role("status").filter(has_text="Support is offline right now.")).to_be_visible()
        writer.get_by_label("Topic").fill("Refund for my annual plan")
        writer.get_by_label("Your message").fill("I was charged twice for the **annual plan** this month.")
        writer.get_by_role("button", name="Send message").click()
        writer.wait_for_url(re.compile(r".*/forums/t/\d+/$"))
        thread_url = writer.url
        expect(writer.get_by_role("heading", level=1)).to_have_text("Refund for my annual plan")
        expect(
            writer.get_by_role("status").filter(has_text="We’re offline — your message became a private question")
        ).to_be_visible()
        expect(writer.locator("#private-notice")).to_contain_text("only you and the support team can see it")
        expect(writer.locator(".post").filter(has_text="I was charged twice")).to_be_visible()
        expect(writer.locator("#post-list")).to_have_attribute("data-live", "connected")
        screenshot(writer, "chat-offline-private-thread")

        moderator = new_page()
        as_user(moderator, "moderator@example.com", "moderator-demo-2026")
        moderator.goto("/chat/console/")
        offline = moderator.locator('[data-list="offline"]')
        expect(offline).to_contain_text("Refund for my annual plan")
        screenshot(moderator, "chat-console-offline")
        offline.get_by_role("link", name="Refund for my annual plan").click()
        moderator.wait_for_url(thread_url)
        expect(moderator.locator("#private-notice")).to_contain_text("only its author and the moderators")
        moderator.get_by_role("textbox", name="Your reply").fill("Sorry about that: the second charge is refunded.")
        moderator.get_by_role("button", name="Post reply").click()
        expect(moderator.locator(".post").filter(has_text="the second charge is refunded")).to_be_visible()
        moderator.goto("/chat/console/")
        expect(moderator.locator('[data-list="offline"]')).not_to_contain_text("Refund for my annual plan")

        live = writer.locator("#post-list .post").filter(has_text="the second charge is refunded")
        expect(live).to_be_visible(timeout=10_000)
        notified = live_server.shell(
            "from portal.models import Notification, User\n"
            "print([n.title for n in Notification.objects.filter("
            "recipient=User.objects.with_email('customer2@example.com').get(), kind='community.reply')])\n"
        )
        assert "Refund for my annual plan" in notified

        other = new_page()
        as_user(other, "customer@example.com", "customer-demo-2026")
        assert other.goto(thread_url).status == 404
        other.goto("/forums/support/")
        expect(other.get_by_role("heading", level=1)).to_have_text("Support")
        expect(other.locator("main")).not_to_contain_text("Refund for my annual plan")
        other.goto("/forums/search/?q=annual+plan")
        expect(other.locator("main")).not_to_contain_text("Refund for my annual plan")
    finally:
        live_server.shell(DEMO_HOURS)


def test_member_is_warned_before_sending_a_phone_number_in_german(new_page, as_user, live_server, screenshot):
    """A German member who types a phone number into the chat is warned first; "Entfernen und senden"
    sends the message without it, so the support team never sees the number."""
    page = new_page(locale="de-DE")
    as_user(page, "customer2@example.com", "customer2-demo-2026")
    page.context.add_cookies([{"name": "django_language", "value": "de", "url": live_server.url}])
    page.goto("/chat/")
    page.fill("input[name=topic]", "Rückruf wegen Rechnung")
    page.fill("textarea[name=body]", "Meine Rechnung fehlt.")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/chat/\d+/$"))
    expect(page.locator("#chat-connection")).to_have_text("Verbunden")

    page.fill("#chat-input", "Bitte ruft mich an: 0171 2345678")
    page.press("#chat-input", "Enter")
    warning = page.locator("#pii-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Das sieht nach personenbezogenen Daten aus:")
    expect(warning.locator("[data-pii-findings]")).to_contain_text("Telefonnummer: 0171 2345678")
    expect(warning).to_be_focused()
    expect(page.locator("#chat-log li", has_text="Bitte ruft mich an")).to_have_count(0)
    screenshot(page, "chat-personal-data-warning-de")

    warning.get_by_role("button", name="Entfernen und senden").click()
    expect(page.locator("#chat-log li", has_text="Bitte ruft mich an")).to_have_count(1)
    assert "2345678" not in page.locator("#chat-log").inner_text()  # not even while it is being sent
    expect(page.locator("#chat-log li[data-seq]", has_text="Bitte ruft mich an")).to_have_count(1)
    expect(warning).to_be_hidden()
    assert "2345678" not in page.locator("#chat-log").inner_text()
    transcript = live_server.shell(
        "from community.chat.models import ChatMessage\n"
        "print([m.body for m in ChatMessage.objects.order_by('pk') if 'ruft mich an' in m.body])\n"
    )
    assert "2345678" not in transcript and "ruft mich an" in transcript
