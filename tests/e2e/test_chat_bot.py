"""The chat's help bot in English and German: it answers, the member says No and talks to a person, who takes over."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CASES = {
    "en": {
        "locale": "en-GB",
        "topic": "Export of a large project",
        "body": "How do I export large projects without timeouts?",
        "article": "Export large projects without timeouts",
        "automated": "Automated",
        "no": "No",
        "sorry": "Sorry it did not help.",
        "talk": "Talk to a person",
        "queue": re.compile(r"Your place in the queue: \d+"),  # other journeys may have left a chat waiting
        "take": "Take chat",
        "active": "Active",
        "reply": "I will look at your export now.",
    },
    "de": {
        "locale": "de-DE",
        "topic": "Export eines großen Projekts",
        "body": "Wie kann ich große Projekte ohne Zeitüberschreitung exportieren?",
        "article": "Große Projekte ohne Zeitüberschreitung exportieren",
        "automated": "Automatisch",
        "no": "Nein",
        "sorry": "Schade, dass es nicht geholfen hat.",
        "talk": "Mit einer Person sprechen",
        "queue": re.compile(r"Ihr Platz in der Warteschlange: \d+"),
        "take": "Chat übernehmen",
        "active": "Aktiv",
        "reply": "Ich sehe mir Ihren Export jetzt an.",
    },
}

# Whatever happens in the test, the demo member leaves no open chat behind (the live server is shared).
CLOSE_OPEN_CHATS = (
    "from community.chat.models import OPEN_STATUSES, Chat, ChatStatus\n"
    "from portal.models import User\n"
    "Chat.objects.filter(member__in=User.objects.with_email('customer@example.com'), status__in=OPEN_STATUSES)"
    ".update(status=ChatStatus.CLOSED)\n"
)


@pytest.mark.parametrize("language", ["en", "de"])
def test_help_bot_answers_and_hands_over_to_a_person(new_page, as_user, live_server, screenshot, language):
    """The bot's answer is labelled automated; No, then "Talk to a person"; an agent sees it all and takes it."""
    case = CASES[language]
    member = new_page(locale=case["locale"])
    agent = new_page(locale=case["locale"])
    other_agent = new_page(locale=case["locale"])
    as_user(member, "customer@example.com", "customer-demo-2026")
    as_user(agent, "moderator@example.com", "moderator-demo-2026")
    as_user(other_agent, "admin@example.com", "admin-demo-2026")
    for page in (member, agent, other_agent):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    # The demo content is indexed by the task worker after the live server starts: wait until it is searchable.
    ready = live_server.shell(
        "import time\nfrom community.chat import bot\n"
        f"question = {case['topic'] + ' ' + case['body']!r}\n"
        "for _ in range(300):\n"
        f"    if bot.best_answer(question, language={language!r}):\n"
        "        break\n"
        "    time.sleep(0.2)\n"
        f"print(bot.best_answer(question, language={language!r}).title)\n"
    )
    assert case["article"] in ready.splitlines()
    try:
        member.goto("/chat/")
        member.fill("input[name=topic]", case["topic"])
        member.fill("textarea[name=body]", case["body"])
        member.click("main form button[type=submit]")
        member.wait_for_url(re.compile(r".*/chat/\d+/$"))
        bot_line = member.locator("#chat-log .chat-line--bot").first
        expect(bot_line).to_contain_text(case["article"])
        expect(bot_line.locator(".tag--bot")).to_have_text(case["automated"])
        expect(member.locator("#chat-connection")).not_to_be_empty()

        bot_line.get_by_role("button", name=case["no"], exact=True).click()
        member.wait_for_load_state()
        expect(member.locator("#chat-log .chat-line--bot").nth(1)).to_contain_text(case["sorry"])
        member.get_by_role("button", name=case["talk"]).click()
        member.wait_for_load_state()
        expect(member.locator("#chat-queue")).to_contain_text(case["queue"])
        expect(member.locator("#chat-wait-panel")).to_be_visible()
        expect(member.locator("#chat-bot-bar")).to_be_hidden()

        chat_path = member.url.split(live_server.url, 1)[-1]
        console_path = chat_path.replace("/chat/", "/chat/console/")
        for page in (agent, other_agent):
            page.goto(console_path)
            expect(page.locator("#chat-connection")).not_to_be_empty()
            expect(page.locator("#chat-log .chat-line--member")).to_contain_text(case["body"])
            expect(page.locator("#chat-log .chat-line--bot")).to_have_count(2)
            expect(page.locator("#chat-log .chat-line--bot").first).to_contain_text(case["article"])
            expect(page.locator("#chat-take")).to_have_text(case["take"])
            expect(page.locator("#chat-take")).to_be_visible()

        agent.click("#chat-take")
        expect(agent.locator("#chat-take")).to_be_hidden()
        expect(other_agent.locator("#chat-take")).to_be_hidden()  # live, without a reload
        expect(member.locator("#chat-status")).to_have_text(case["active"])
        expect(member.locator("#chat-wait-panel")).to_be_hidden()

        agent.fill("#chat-input", case["reply"])
        agent.click("#chat-form button[type=submit]")
        live_line = member.locator("#chat-log .chat-line--staff", has_text=case["reply"])
        expect(live_line).to_have_count(1)
        seq = live_line.get_attribute("data-seq")
        live_time = live_line.locator("time").inner_text()
        assert re.fullmatch(r"\d\d:\d\d", live_time)
        screenshot(member, f"chat_bot_{language}")
        screenshot(agent, f"chat_bot_agent_{language}")
        # The line rendered by the server after a reload shows the same time as the live one.
        member.reload()
        expect(member.locator(f'#chat-log li[data-seq="{seq}"] time')).to_have_text(live_time)
        agent.click("#chat-close")
        expect(member.locator("#chat-ended")).to_be_visible()
    finally:
        live_server.shell(CLOSE_OPEN_CHATS)
