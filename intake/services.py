"""Writes of the intake: mailboxes and their secrets, one mail into one card, and the IMAP poll.

A mail becomes a card exactly once: its record (unique per mailbox on Message-ID and on a content
hash) and the card commit together, and the mail is marked or moved only after that commit. A
poller that dies in between leaves the mail unmarked; the next poll finds its record and only marks
it. Two pollers never work one mailbox at once: a poll holds the mailbox's lease (renewed with
every mail, left to run out when the poller is killed), and a second poll finds it taken and
returns at once. Should a lease run out under a live poller, the record's uniqueness still decides:
the loser's insert fails and it only marks the mail.
"""

from __future__ import annotations

import hashlib
import imaplib
import json
import logging
import re
import secrets
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import make_msgid
from functools import partial

import httpx
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import services as community_services
from consent.processors import may_process
from crm import services as crm_services
from crm.signing import SignatureError, standard_verify
from intake import permissions, selectors
from intake.feeds import Entry, FeedError
from intake.feeds import parse as parse_feed
from intake.mailparse import ParsedMail, clean_text, html_to_text, parse
from intake.models import (
    INTAKE_ACTIONS,
    INTAKE_SOURCES,
    Feed,
    HookSource,
    IntakeMail,
    Mailbox,
    ParsingRule,
    ProcessedAction,
    Product,
    Security,
    SkipReason,
)
from intake.rules import Extraction, extract, product_for
from portal import field_crypto
from portal.encrypted_fields import blind_index
from portal.models import User
from portal.pii import remove_personal_data

logger = logging.getLogger(__name__)

LOOP_HEADER = "X-Portal-Intake-Loop"
BULK_PRECEDENCE = {"bulk", "junk", "list"}
IMAP_ERRORS = (imaplib.IMAP4.error, OSError, ssl.SSLError, EOFError, socket.timeout)


@dataclass
class PollResult:
    """What one poll of one mailbox did."""

    read: int = 0
    created: int = 0
    skipped: int = 0
    duplicates: int = 0
    error: str = ""
    notes: list[str] = field(default_factory=list)
    busy: bool = False  # another poller holds the mailbox: nothing was read


def _lease_take(mailbox: Mailbox, owner: str) -> bool:
    """Take (or renew) the mailbox's poll lease for ``owner``; False while another poller holds it."""
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(poll_owner=owner) | Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_owner=owner, poll_lease_until=now + timedelta(seconds=settings.TASK_LEASE_SECONDS))
    )


def _lease_release(mailbox: Mailbox, owner: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk, poll_owner=owner).update(poll_owner="", poll_lease_until=None)


class LeaseLost(Exception):
    """The poll's lease ran out and another poller took the mailbox; this poll stops."""


def mailbox_save(*, mailbox: Mailbox, password: str | None) -> Mailbox:
    """Save a mailbox; a given password is encrypted, an empty one keeps the stored password."""
    with transaction.atomic():
        if password:
            mailbox.password = field_crypto.encrypt_text(
                json.dumps({"password": password}).encode(), aad=mailbox._aad()
            )
        mailbox.save()
    return mailbox


def active_rules() -> list[ParsingRule]:
    return list(ParsingRule.objects.filter(is_active=True).order_by("is_fallback", "position", "pk"))


def products() -> list[Product]:
    return list(Product.objects.order_by("name"))


def skip_reason(mail: ParsedMail, extraction: Extraction | None) -> str:
    """Why a mail makes no card: auto-replies always, bulk and list mail unless a specific rule claims it."""
    if mail.malformed and not mail.text:
        return SkipReason.MALFORMED
    if mail.loop_marker or (mail.sender_address and mail.sender_address == _own_address()):
        return SkipReason.LOOP
    if mail.auto_submitted.startswith("auto-replied"):
        return SkipReason.AUTO_REPLY
    specific = extraction is not None and not extraction.rule.is_fallback
    if not specific and (
        (mail.auto_submitted and mail.auto_submitted != "no") or mail.precedence in BULK_PRECEDENCE or mail.list_id
    ):
        return SkipReason.BULK if mail.precedence in BULK_PRECEDENCE or mail.list_id else SkipReason.AUTO_REPLY
    if extraction is None:
        return SkipReason.BULK
    return ""


def _own_address() -> str:
    return re.sub(r"^.*<([^>]+)>.*$", r"\1", settings.DEFAULT_FROM_EMAIL).strip().lower()


def preview(raw: bytes) -> tuple[ParsedMail, Extraction | None, str]:
    """What a raw mail would become, without writing anything (the "test this rule" screen)."""
    mail = parse(raw)
    extraction = None if mail.malformed and not mail.text else extract(mail, rules=active_rules(), products=products())
    return mail, extraction, skip_reason(mail, extraction)


def _card_page(mail_id: int) -> str:
    return settings.PORTAL_BASE_URL + reverse("intake_admin:mail", args=[mail_id])


def mail_ingest(*, mailbox: Mailbox, raw: bytes, rules=None, known_products=None) -> tuple[IntakeMail | None, bool]:
    """Record one raw mail and make its card, in one transaction: ``(record, created)``.

    ``created`` is False when the mailbox already holds a record of this mail (a re-read after a
    crash or a second poller): nothing new is written.
    """
    mail = parse(raw)
    extraction = None
    if not (mail.malformed and not mail.text):
        extraction = extract(
            mail,
            rules=active_rules() if rules is None else rules,
            products=products() if known_products is None else known_products,
        )
    reason = skip_reason(mail, extraction)
    duplicate = IntakeMail.objects.filter(mailbox=mailbox, content_hash=mail.content_hash)
    if mail.message_id:
        duplicate = IntakeMail.objects.filter(mailbox=mailbox, message_id=mail.message_id) | duplicate
    if (found := duplicate.first()) is not None:
        return found, False
    try:
        with transaction.atomic():
            record = IntakeMail.objects.create(
                mailbox=mailbox,
                message_id=mail.message_id,
                content_hash=mail.content_hash,
                rule=extraction.rule if extraction else None,
                skipped=reason,
                source_type=extraction.source_type if extraction else "",
                action_type=extraction.action_type if extraction else "",
                subject=mail.subject,
                author_name=extraction.author if extraction and not reason else "",
                author_address=extraction.author_address if extraction and not reason else "",
                author_picture=extraction.picture if extraction and not reason else "",
                link=extraction.link if extraction and not reason else "",
                text=extraction.text if extraction and not reason else "",
                product=extraction.product if extraction and not reason else "",
                references=mail.references if not reason else "",
                sent_at=mail.sent_at,
            )
            if not reason:
                page = _card_page(record.pk)
                record.card = crm_services.outside_card_create(
                    rule=mailbox.rule,
                    source_type=extraction.source_type,
                    source_id=record.pk,
                    source_url=extraction.link or page,
                    reply_url=page,
                    title=extraction.title,
                    text=extraction.text,
                    product=extraction.product,
                    action_type=extraction.action_type,
                    outside_author=extraction.author,
                )
                record.save(update_fields=["card"])
    except IntegrityError:
        # Another poller recorded the same mail between the check and the insert.
        return duplicate.first(), False
    return record, True


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    timeout = settings.INTAKE_IMAP_TIMEOUT
    if mailbox.security == Security.TLS:
        client = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=timeout
        )
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
        if mailbox.security == Security.STARTTLS:
            client.starttls(ssl.create_default_context())
    client.login(mailbox.username, mailbox.secret())
    return client


def _check(answer: tuple, what: str):
    status, data = answer
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise imaplib.IMAP4.error(f"{what}: {detail}")
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch(client: imaplib.IMAP4, uid: bytes) -> bytes:
    """The raw mail; one larger than INTAKE_MAIL_MAX_BYTES is read as its header and the start of its body."""
    data = _check(client.uid("FETCH", uid, "(RFC822.SIZE)"), "FETCH size")
    size_match = re.search(rb"RFC822\.SIZE (\d+)", data[0] if isinstance(data[0], bytes) else data[0][0])
    size = int(size_match.group(1)) if size_match else 0
    if size and size > settings.INTAKE_MAIL_MAX_BYTES:
        spec = f"(BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.{settings.INTAKE_MAIL_MAX_BYTES // 64}>)"
    else:
        spec = "(BODY.PEEK[])"
    data = _check(client.uid("FETCH", uid, spec), "FETCH")
    return b"".join(item[1] for item in data if isinstance(item, tuple))


def _mark(client: imaplib.IMAP4, mailbox: Mailbox, uid: bytes, *, can_move: bool) -> None:
    if mailbox.processed_action == ProcessedAction.MOVE and mailbox.move_to:
        if can_move:
            _check(client.uid("MOVE", uid, _quoted(mailbox.move_to)), "MOVE")
            return
        _check(client.uid("COPY", uid, _quoted(mailbox.move_to)), "COPY")
        _check(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
        client.expunge()
        return
    _check(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"), "STORE")


def mailbox_poll(*, mailbox: Mailbox, limit: int | None = None) -> PollResult:
    """Read up to INTAKE_POLL_BATCH new mails of one mailbox into cards and note the outcome on its health panel.

    Only one poll works a mailbox at a time (its lease); a poll that finds the lease taken reads nothing
    and returns ``busy``.
    """
    result = PollResult()
    owner = secrets.token_hex(16)
    if not _lease_take(mailbox, owner):
        result.busy = True
        return result
    limit = limit or settings.INTAKE_POLL_BATCH
    rules, known_products = active_rules(), products()
    client = None
    try:
        client = _connect(mailbox)
        can_move = "MOVE" in client.capabilities
        if mailbox.processed_action == ProcessedAction.MOVE and mailbox.move_to:
            client.create(_quoted(mailbox.move_to))  # "already exists" is a NO, which is fine
        _check(client.select(_quoted(mailbox.folder)), "SELECT")
        criterion = "ALL" if mailbox.processed_action == ProcessedAction.MOVE and mailbox.move_to else "UNSEEN"
        uids = _check(client.uid("SEARCH", None, criterion), "SEARCH")[0].split()[:limit]
        for uid in uids:
            if not _lease_take(mailbox, owner):
                raise LeaseLost("the poll lease ran out and another poller took the mailbox")
            raw = _fetch(client, uid)
            if not raw:
                continue  # gone since the search (moved or deleted by someone else): nothing to read
            record, created = mail_ingest(mailbox=mailbox, raw=raw, rules=rules, known_products=known_products)
            _mark(client, mailbox, uid, can_move=can_move)
            result.read += 1
            if not created:
                result.duplicates += 1
            elif record.card_id:
                result.created += 1
            else:
                result.skipped += 1
                if record.skipped == SkipReason.MALFORMED:
                    result.notes.append(
                        _("Unreadable mail skipped: %(id)s") % {"id": record.message_id or uid.decode()}
                    )
            _count(mailbox, result, created=created, record=record)
    except (*IMAP_ERRORS, LeaseLost) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:1000]
        logger.warning("intake: mailbox %s: %s", mailbox.pk, result.error)
    finally:
        if client is not None:
            try:
                client.logout()
            except IMAP_ERRORS:
                pass
        _lease_release(mailbox, owner)
    _record_poll(mailbox, result)
    return result


def _count(mailbox: Mailbox, result: PollResult, *, created: bool, record: IntakeMail) -> None:
    """Counters move with every mail, so a poll that dies half-way still shows what it did."""
    changes = {"mails_seen": F("mails_seen") + 1}
    if created and record.card_id:
        changes["cards_created"] = F("cards_created") + 1
    elif created:
        changes["mails_skipped"] = F("mails_skipped") + 1
    Mailbox.objects.filter(pk=mailbox.pk).update(**changes)


def _record_poll(mailbox: Mailbox, result: PollResult) -> None:
    now = timezone.now()
    changes: dict = {"last_polled_at": now}
    if result.error:
        changes.update(last_error=result.error, last_error_at=now)
    elif result.notes:
        changes.update(last_success_at=now, last_error="; ".join(result.notes)[:1000], last_error_at=now)
    else:
        changes.update(last_success_at=now)
    Mailbox.objects.filter(pk=mailbox.pk).update(**changes)


def mailboxes_poll() -> dict[int, PollResult]:
    """Poll every active mailbox once; one failing mailbox does not stop the others."""
    return {
        mailbox.pk: mailbox_poll(mailbox=mailbox)
        for mailbox in Mailbox.objects.filter(is_active=True).select_related("rule")
    }


def _reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith(("re:", "aw:")) else f"Re: {subject}".strip()


def reply_send(*, record: IntakeMail, user, text: str) -> IntakeMail:
    """Answer an e-mail source from its card: one reply, threaded under the mail, stored, the card processed.

    The row lock makes a second reply (another tab, another moderator) wait and then find the
    first; the mail is sent inside that lock, so a failed send stores nothing and can be retried.
    """
    if not permissions.can_reply(user, record):
        raise PermissionDenied
    text = clean_text(text, 10000)
    if not text:
        raise ValidationError(_("Write a reply first."))
    with transaction.atomic():
        record = IntakeMail.objects.select_for_update(of=("self",)).select_related("card").get(pk=record.pk)
        if record.replied_at is not None:
            raise ValidationError(_("This card has been answered already."))
        if not record.answers_by_mail:
            raise ValidationError(_("This source is answered where it was written, not by e-mail."))
        # The author may also be a member (same address): their restriction or objection stops the reply.
        member = User.objects.with_email(record.author_address).first()
        if not may_process(member, "intake.replies"):
            raise ValidationError(_("Processing of this person's data is restricted; the reply was not sent."))
        message_id = make_msgid(domain=_own_address().rpartition("@")[2] or None)
        headers = {"Message-ID": message_id, LOOP_HEADER: "1", "Auto-Submitted": "no"}
        if record.message_id:
            headers["In-Reply-To"] = record.message_id
            headers["References"] = record.references or record.message_id
        mail = EmailMessage(
            subject=_reply_subject(record.subject),
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[record.author_address],
            headers=headers,
        )
        try:
            mail.send(fail_silently=False)
        except (OSError, smtplib.SMTPException) as exc:
            raise ValidationError(_("The reply could not be sent: %(error)s") % {"error": exc}) from exc
        now = timezone.now()
        record.reply_text, record.reply_message_id, record.replied_at, record.replied_by = text, message_id, now, user
        record.save(update_fields=["reply_text", "reply_message_id", "replied_at", "replied_by"])
        if record.card_id:
            crm_services.card_answered(card=record.card)
    return record


def reply_record(*, record: IntakeMail, user, text: str, screenshot=None) -> IntakeMail:
    """Note what staff answered at the source (social network, review site): text and an optional screenshot."""
    if not permissions.can_reply(user, record):
        raise PermissionDenied
    text = clean_text(text or "", 10000)
    if not text and screenshot is None:
        raise ValidationError(_("Write what was answered or attach a screenshot of it."))
    with transaction.atomic():
        record = IntakeMail.objects.select_for_update(of=("self",)).select_related("card").get(pk=record.pk)
        if record.replied_at is not None:
            raise ValidationError(_("This card has been answered already."))
        record.reply_text, record.replied_at, record.replied_by = text, timezone.now(), user
        fields = ["reply_text", "replied_at", "replied_by"]
        if screenshot is not None:
            record.reply_screenshot = screenshot
            fields.append("reply_screenshot")
        record.save(update_fields=fields)
        if record.card_id:
            crm_services.card_answered(card=record.card)
    return record


def retention_due(cutoff) -> QuerySet[IntakeMail]:
    """Intake records whose card was processed before ``cutoff``, and skipped mails received before it."""
    return IntakeMail.objects.filter(Q(card__processed_at__lt=cutoff) | Q(card__isnull=True, received_at__lt=cutoff))


def retention_apply(cutoff) -> int:
    """Delete what ``retention_due`` finds: the records (text, author, reply, screenshot) and their cards."""
    with transaction.atomic():
        rows = list(retention_due(cutoff).values_list("pk", "card_id", "reply_screenshot"))
        IntakeMail.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        crm_services.outside_cards_delete(card_ids=[card for _, card, _ in rows if card])
        screenshots = [name for _, _, name in rows if name]
        transaction.on_commit(partial(_files_delete, screenshots))
    return len(rows)


def _files_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def erase_address(*, address: str, report_id) -> list[dict]:
    """An erasure for an e-mail address (the DPO console's request, or a member's erasure): every record
    from it goes, and its card loses what named the author while each CRM that received it redacts its copy.

    Returns the erasure report's entries (none when the intake holds nothing from the address).
    """
    with transaction.atomic():
        rows = list(selectors.mails_about(address).values_list("pk", "card_id", "reply_screenshot"))
        if not rows:
            return []
        IntakeMail.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        cards = crm_services.outside_cards_erase(card_ids=[card for _, card, _ in rows if card], report_id=report_id)
        screenshots = [name for _, _, name in rows if name]
        transaction.on_commit(partial(_files_delete, screenshots))
    entries = [
        {
            "model": "intake.IntakeMail",
            "rows": len(rows),
            "action": "deleted",
            "reason": "Mails, feed entries and hook messages from the address, with their replies and screenshots.",
        }
    ]
    if cards:
        entries.append(
            {
                "model": "crm.InterestCard",
                "rows": cards,
                "action": "anonymised",
                "reason": "Cards from outside: author, title, text, reply and source link removed; every CRM that "
                "received one is asked to redact its copy.",
            }
        )
    return entries


EXPORT_FIELDS = (
    "subject",
    "source_type",
    "action_type",
    "author_name",
    "author_address",
    "author_picture",
    "link",
    "text",
    "product",
    "reply_text",
)


def address_export(*, address: str) -> dict:
    """Everything the intake holds from one address, for an access request (Art. 15)."""
    rows = (
        IntakeMail.objects.filter(author_address_index=blind_index(IntakeMail, "author_address", address))
        .select_related("card")
        .order_by("pk")
    )
    return {
        "address": address.strip(),
        "records": [
            {field_name: getattr(row, field_name) for field_name in EXPORT_FIELDS}
            | {
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "received_at": row.received_at.isoformat(),
                "replied_at": row.replied_at.isoformat() if row.replied_at else None,
                "card_title": row.card.title if row.card else None,
            }
            for row in rows
        ],
    }


SOURCE_LABELS = dict(INTAKE_SOURCES)


def community_intro(record: IntakeMail) -> str:
    """How the seeded question names its author: a customer via the source, never their name."""
    return _("A customer via %(source)s asked:") % {"source": SOURCE_LABELS.get(record.source_type, record.source_type)}


def without_author(text: str, record: IntakeMail) -> str:
    """The text with the outside author's name (whole and in parts), address and other contact data taken out."""
    words = [record.author_name, record.author_address, *record.author_name.replace(",", " ").split()]
    for word in sorted({w.strip() for w in words if len(w.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "[…]", text, flags=re.IGNORECASE)
    return remove_personal_data(text, placeholder="[…]")


def thread_from_card(
    *, record: IntakeMail, user, forum, title: str, body: str, private: bool, tell_author: bool
) -> IntakeMail:
    """Bring an outside question into the community: a thread seeded with it, posted by the staff member.

    The outside author is no member, so the thread names them only as "a customer via <source>";
    their name and address are not copied. With ``tell_author`` an e-mail source gets a reply linking to it.
    """
    if not permissions.can_view_intake(user) or not permissions._has(user, "crm.claim_interestcard"):
        raise PermissionDenied
    if record.thread_id:
        raise ValidationError(_("This card is already in the community."))
    with transaction.atomic():
        thread = community_services.thread_create(
            forum=forum,
            author=user,
            title=without_author(title, record),
            body=f"*{community_intro(record)}*\n\n{without_author(body, record)}",
            is_private=private,
        )
        updated = IntakeMail.objects.filter(pk=record.pk, thread__isnull=True).update(thread=thread)
        if not updated:
            raise ValidationError(_("This card is already in the community."))
    record.refresh_from_db()
    if tell_author and record.answers_by_mail and record.replied_at is None:
        link = settings.PORTAL_BASE_URL + thread.get_absolute_url()
        reply_send(
            record=record,
            user=user,
            text=_(
                "Thank you for your question. We have posted it in our community, where our team and other "
                "customers answer it:\n\n%(link)s"
            )
            % {"link": link},
        )
    return record


HOOK_MAX_BODY = 256 * 1024
HOOK_TEXT_MAX = 20000


class HookRejected(Exception):
    """An inbound hook request that is not stored; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def hook_source_save(*, source: HookSource, secret: str | None) -> HookSource:
    """Save a hook source; a given secret (Standard Webhooks ``whsec_…``) is encrypted, an empty one kept."""
    with transaction.atomic():
        if secret:
            source.secret = field_crypto.encrypt_text(json.dumps({"secret": secret}).encode(), aad=source._aad())
        source.save()
    return source


def _hook_error(source: HookSource, message: str) -> None:
    now = timezone.now()
    HookSource.objects.filter(pk=source.pk).update(
        last_error=message[:1000], last_error_at=now, rejected=F("rejected") + 1
    )


def _hook_payload(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HookRejected("the body is not JSON", 400) from exc
    if not isinstance(data, dict):
        raise HookRejected("the body must be a JSON object", 400)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise HookRejected("text is required", 400)
    if len(text) > HOOK_TEXT_MAX:
        raise HookRejected(f"text is longer than {HOOK_TEXT_MAX} characters", 413)
    source_type = data.get("source_type") or "web_mention"
    if source_type not in dict(INTAKE_SOURCES):
        raise HookRejected(f"unknown source_type {source_type!r}", 400)
    action = data.get("action") or "mention"
    if action not in {value for value, _label in INTAKE_ACTIONS}:
        raise HookRejected(f"unknown action {action!r}", 400)
    author = data.get("author") if isinstance(data.get("author"), dict) else {}
    url = data.get("url") if isinstance(data.get("url"), str) else ""
    return {
        "source_type": source_type,
        "action": action,
        "url": url if url.startswith(("https://", "http://")) else "",
        "author_name": str(author.get("name") or "")[:200],
        "author_email": str(author.get("email") or "")[:254] if "@" in str(author.get("email") or "") else "",
        "title": str(data.get("title") or "")[:300],
        "text": clean_text(html_to_text(text), HOOK_TEXT_MAX),
    }


def hook_receive(*, source: HookSource, headers, body: bytes) -> tuple[IntakeMail, bool]:
    """One signed push from a tool: verified against the raw body, then one record and card per message id.

    A bad signature or body stores nothing but the rejection on the source's health panel.
    """
    if len(body) > HOOK_MAX_BODY:
        _hook_error(source, "body too large")
        raise HookRejected("body too large", 413)
    try:
        message_id = standard_verify(secret=source.signing_secret(), headers=headers, body=body)
    except SignatureError as exc:
        _hook_error(source, f"invalid signature: {exc}")
        raise HookRejected("invalid signature", 401) from exc
    try:
        data = _hook_payload(body)
    except HookRejected as exc:
        _hook_error(source, str(exc))
        raise
    message_id = message_id[:255]
    existing = IntakeMail.objects.filter(hook=source, message_id=message_id).first()
    if existing is not None:
        return existing, False
    products_found = rules_product(data)
    try:
        with transaction.atomic():
            record = IntakeMail.objects.create(
                hook=source,
                message_id=message_id,
                content_hash=hashlib.sha256(body).hexdigest(),
                source_type=data["source_type"],
                action_type=data["action"],
                subject=data["title"],
                author_name=data["author_name"],
                author_address=data["author_email"],
                link=data["url"],
                text=data["text"],
                product=products_found,
            )
            page = _card_page(record.pk)
            record.card = crm_services.outside_card_create(
                rule=source.rule,
                source_type=data["source_type"],
                source_id=record.pk,
                source_url=data["url"] or page,
                reply_url=page,
                title=data["title"] or data["text"].split("\n", 1)[0][:200],
                text=data["text"],
                product=products_found,
                action_type=data["action"],
                outside_author=data["author_name"],
            )
            record.save(update_fields=["card"])
            HookSource.objects.filter(pk=source.pk).update(
                last_received_at=timezone.now(), cards_created=F("cards_created") + 1
            )
    except IntegrityError:
        return IntakeMail.objects.get(hook=source, message_id=message_id), False
    return record, True


def rules_product(data: dict) -> str:
    return product_for(products(), text=f"{data['title']}\n{data['text']}", links=[data["url"]] if data["url"] else [])


FEED_MAX_BYTES = 5 * 1024 * 1024
FEED_ENTRY_MAX = 100_000


def _mentions(feed: Feed, entry: Entry) -> bool:
    words = feed.keyword_list()
    if not words:
        return True
    haystack = f"{entry.title}\n{entry.text}".lower()
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", haystack) for word in words)


def feed_poll(*, feed: Feed) -> PollResult:
    """Fetch a feed with a conditional GET; each new entry naming a brand keyword becomes a mention card, once.

    The validators (ETag, Last-Modified) are stored only after every entry is recorded, so a poll that
    fails half-way is repeated in full and the per-entry uniqueness keeps it from making doubles.
    """
    result = PollResult()
    feed = Feed.objects.select_related("rule").get(pk=feed.pk)  # the validators the last poll stored
    headers = {"User-Agent": "portal-intake/1"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    now = timezone.now()
    try:
        with httpx.Client(timeout=settings.INTAKE_IMAP_TIMEOUT, follow_redirects=True) as client:
            response = client.get(feed.url, headers=headers)
        if response.status_code == 304:
            Feed.objects.filter(pk=feed.pk).update(last_polled_at=now, last_success_at=now)
            return result
        if response.status_code != 200:
            raise FeedError(f"HTTP {response.status_code}")
        if len(response.content) > FEED_MAX_BYTES:
            raise FeedError("the feed is larger than 5 MB")
        entries = parse_feed(response.content)
    except (httpx.HTTPError, FeedError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:1000]
        Feed.objects.filter(pk=feed.pk).update(last_polled_at=now, last_error=result.error, last_error_at=now)
        return result
    known_products = products()
    for entry in entries:
        if not entry.entry_id:
            continue
        result.read += 1
        if entry.size > FEED_ENTRY_MAX:
            result.skipped += 1
            result.notes.append(_("Oversized entry skipped: %(id)s") % {"id": entry.entry_id[:200]})
            continue
        if not _mentions(feed, entry):
            result.skipped += 1
            continue
        if IntakeMail.objects.filter(feed=feed, message_id=entry.entry_id[:255]).exists():
            result.duplicates += 1
            continue
        link = entry.link if entry.link.startswith(("https://", "http://")) else ""
        product = product_for(known_products, text=f"{entry.title}\n{entry.text}", links=[link] if link else [])
        try:
            with transaction.atomic():
                record = IntakeMail.objects.create(
                    feed=feed,
                    message_id=entry.entry_id[:255],
                    content_hash=hashlib.sha256(f"{entry.entry_id}\n{entry.text}".encode()).hexdigest(),
                    source_type="web_mention",
                    action_type="mention",
                    subject=entry.title[:300],
                    author_name=entry.author[:200],
                    link=link[:500],
                    text=entry.text,
                    product=product,
                )
                record.card = crm_services.outside_card_create(
                    rule=feed.rule,
                    source_type="web_mention",
                    source_id=record.pk,
                    source_url=link or _card_page(record.pk),
                    reply_url=_card_page(record.pk),
                    title=entry.title or entry.text.split("\n", 1)[0][:200],
                    text=entry.text,
                    product=product,
                    action_type="mention",
                    outside_author=entry.author,
                )
                record.save(update_fields=["card"])
        except IntegrityError:
            result.duplicates += 1
            continue
        result.created += 1
    changes = {
        "last_polled_at": now,
        "last_success_at": now,
        "etag": response.headers.get("ETag", "")[:255],
        "last_modified": response.headers.get("Last-Modified", "")[:255],
        "entries_seen": F("entries_seen") + result.read,
        "cards_created": F("cards_created") + result.created,
        "last_error": "; ".join(result.notes)[:1000],
    }
    if result.notes:
        changes["last_error_at"] = now
    Feed.objects.filter(pk=feed.pk).update(**changes)
    return result


def feeds_poll() -> dict[int, PollResult]:
    """Poll every active feed once; one failing feed does not stop the others."""
    return {feed.pk: feed_poll(feed=feed) for feed in Feed.objects.filter(is_active=True).select_related("rule")}
