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
