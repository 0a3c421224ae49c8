"""A raw mail as the intake reads it: decoded headers, one sanitised plain text, no attachments.

``email`` with ``policy=default`` decodes RFC 2047 headers and any charset Python knows; parts
that cannot be decoded fall back to a lossy decode instead of failing the mail.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

import bleach

TEXT_MAX = 20000
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_DROP = re.compile(r"<\s*(script|style|head)\b.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""<a\b[^>]*?href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_IMG = re.compile(r"""<img\b[^>]*?src\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
# What the email package raises on mail it cannot make sense of (it is lenient, but not everywhere).
MIME_ERRORS = (
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    LookupError,
    AssertionError,
    email.errors.MessageError,
)
_MIME_LINE = re.compile(r"^(--\S+|content-[\w-]+:.*|mime-version:.*)$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class ParsedMail:
    """What the rules and the card need from one mail."""

    message_id: str = ""
    subject: str = ""
    sender_name: str = ""
    sender_address: str = ""
    reply_to: str = ""
    list_id: str = ""
    auto_submitted: str = ""
    precedence: str = ""
    loop_marker: str = ""
    references: str = ""
    sent_at: datetime | None = None
    text: str = ""
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    content_hash: str = ""
    malformed: bool = False


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body: scripts and styles dropped, block ends as line breaks, no tags."""
    markup = _DROP.sub("", markup)
    markup = _BLOCK.sub(lambda m: "\n" if m.group(1).lower() == "br" else "\n\n", markup)
    text = bleach.clean(markup, tags=set(), strip=True, strip_comments=True)
    return html.unescape(text)


def clean_text(text: str, limit: int = TEXT_MAX) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " "))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text[:limit]


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name, "")
        return clean_text(str(value or ""), 998).replace("\n", " ")
    except MIME_ERRORS:  # a header the policy cannot parse: read it raw
        raw = message.get_all(name, failobj=[""])
        return clean_text(str(raw[0] if raw else ""), 998).replace("\n", " ")


def _part_text(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("latin-1", errors="replace")


def _bodies(message: EmailMessage) -> tuple[str, str]:
    """The first text/plain and the first text/html that are not attachments."""
    plain = markup = ""
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not plain:
            plain = _part_text(part)
        elif kind == "text/html" and not markup:
            markup = _part_text(part)
    return plain, markup


def parse(raw: bytes) -> ParsedMail:
    """Parse a raw mail; never raises: an unreadable one comes back with ``malformed`` set."""
    parsed = ParsedMail(content_hash=hashlib.sha256(raw).hexdigest())
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except MIME_ERRORS:
        parsed.malformed = True
        return parsed
    parsed.message_id = _header(message, "Message-ID")[:255]
    parsed.subject = _header(message, "Subject")[:300]
    parsed.list_id = _header(message, "List-Id")
    parsed.auto_submitted = _header(message, "Auto-Submitted").lower()
    parsed.precedence = _header(message, "Precedence").lower()
    parsed.loop_marker = _header(message, "X-Portal-Intake-Loop") or _header(message, "X-Loop")
    parsed.references = " ".join(filter(None, [_header(message, "References"), parsed.message_id]))[:2000]
    addresses = getaddresses([_header(message, "From")])
    if addresses:
        parsed.sender_name, parsed.sender_address = addresses[0][0], addresses[0][1].lower()
    reply_to = getaddresses([_header(message, "Reply-To")])
    parsed.reply_to = reply_to[0][1].lower() if reply_to and reply_to[0][1] else ""
    try:
        date = _header(message, "Date")
        parsed.sent_at = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError, IndexError):
        parsed.sent_at = None
    try:
        plain, markup = _bodies(message)
    except MIME_ERRORS:
        parsed.malformed = True
        plain, markup = "", ""
    if markup:
        parsed.links = [
            html.unescape(href) for href in _HREF.findall(markup) if href.startswith(("http://", "https://"))
        ]
        parsed.images = [html.unescape(src) for src in _IMG.findall(markup) if src.startswith("https://")]
    parsed.text = clean_text(plain or html_to_text(markup))
    if not parsed.text:
        # Broken structure (a boundary that never comes, ...): keep the readable words of the raw body.
        body = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[1:] or [b""]
        lines = [line for line in body[0].decode("utf-8", "replace").splitlines() if not _MIME_LINE.match(line)]
        parsed.text = clean_text(html_to_text("\n".join(lines)).replace("\ufffd", ""))
        parsed.malformed = parsed.malformed or bool(parsed.text)
    if not parsed.links:
        parsed.links = re.findall(r"https?://[^\s<>\"')\]]+", parsed.text)
    # Same mail, same hash, whatever the transport added: the hash covers what the card is made of.
    basis = "\n".join([parsed.message_id, parsed.sender_address, parsed.subject, parsed.text])
    parsed.content_hash = hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()
    if defects := getattr(message, "defects", None):
        parsed.malformed = parsed.malformed or (not parsed.text and bool(defects))
    return parsed
