"""Intake figures: how fast mails become cards, and how long one poll of 1,000 mails in a real Dovecot takes.

- ``intake.mail_to_card_per_s``: 500 raw mails (a mix of the notification shapes) parsed, matched
  against the shipped rules and written as record, card and outbox row, in one process, no IMAP.
- ``intake.poll_1000_s``: 1,000 plain mails in a throwaway Dovecot on loopback; one poll reads,
  records, makes cards of and marks them all.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

MAILS = 500
POLLED = 1000


def _rule():
    from crm import services as crm_services
    from crm.models import ActionType, ConnectionKind, CrmConnection, TagRule

    connection = crm_services.connection_save(
        connection=CrmConnection(name="Bench CRM", kind=ConnectionKind.WEBHOOK, url="http://127.0.0.1:9/hook"),
        secrets={"signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    )
    return TagRule.objects.create(tag="bench-outside", action_type=ActionType.INQUIRY, connection=connection)


def run(report):
    from django.test.utils import override_settings

    from intake import services
    from intake.models import IntakeMail, Mailbox, Security
    from tests.intake import mails
    from tests.intake.dovecot import Dovecot

    rule = _rule()
    shapes = [mails.facebook_comment, mails.html_only_instagram, mails.latin1_inquiry, mails.inline_image_form]
    raws = []
    for n in range(MAILS):
        raw = shapes[n % len(shapes)]() if n % 5 else mails.plain(n=100_000 + n)
        # Each mail its own Message-ID, so every one makes a card.
        raws.append(raw.replace(b"Message-ID: <", f"Message-ID: <bench{n}-".encode(), 1))
    stored = services.mailbox_save(
        mailbox=Mailbox(name="Bench store", host="127.0.0.1", port=1, username="bench", rule=rule), password="x"
    )
    rules, products = services.active_rules(), services.products()
    started = time.perf_counter()
    for raw in raws:
        services.mail_ingest(mailbox=stored, raw=raw, rules=rules, known_products=products)
    elapsed = time.perf_counter() - started
    report("intake.mail_to_card_per_s", MAILS / elapsed, "mails/s")
    report("intake.mail_to_card_cards", IntakeMail.objects.filter(mailbox=stored, card__isnull=False).count(), "cards")

    root = Path(tempfile.mkdtemp(prefix="bench-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root).start()
    try:
        server.append(*(mails.plain(n=n) for n in range(POLLED)))
        mailbox = services.mailbox_save(
            mailbox=Mailbox(
                name="Bench IMAP",
                host="127.0.0.1",
                port=server.port,
                security=Security.NONE,
                username=server.user,
                rule=rule,
            ),
            password=server.password,
        )
        with override_settings(INTAKE_POLL_BATCH=POLLED):
            started = time.perf_counter()
            result = services.mailbox_poll(mailbox=mailbox)
            report("intake.poll_1000_s", time.perf_counter() - started, "s")
        report("intake.poll_1000_cards", result.created, "cards")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
