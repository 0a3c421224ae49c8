"""Realistic raw mails for the intake tests: notification shapes, encodings and broken ones."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

DATE = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def facebook_comment(n: int = 1) -> bytes:
    """A Facebook comment notification: multipart/alternative, RFC 2047 subject, a profile picture."""
    message = EmailMessage()
    message["From"] = "Facebook <notification@facebookmail.com>"
    message["To"] = "social@example.com"
    message["Subject"] = "Jürgen Müller commented on your post"
    message["Message-ID"] = f"<fb-{n}@facebookmail.com>"
    message["Date"] = format_datetime(DATE)
    message["Precedence"] = "bulk"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        "Jürgen Müller commented on your post.\n\nJürgen wrote:\n\nDoes the Widget Pro work with 230 V?\n\n"
        "See the comment: https://www.facebook.com/examplebrand/posts/123?comment_id=456\n\n"
        "This message was sent to social@example.com.\n"
    )
    message.add_alternative(
        "<html><body><p><img src='https://scontent.xx.fbcdn.net/v/t1/jm.jpg' alt=''>"
        "<b>Jürgen Müller</b> commented on your post.</p><p>Jürgen wrote:</p>"
        "<p>Does the Widget Pro work with 230 V?</p>"
        "<p><a href='https://www.facebook.com/examplebrand/posts/123?comment_id=456'>See the comment</a></p>"
        "</body></html>",
        subtype="html",
    )
    return message.as_bytes()


def html_only_instagram() -> bytes:
    """An Instagram mention that has only an HTML part."""
    message = EmailMessage()
    message["From"] = "Instagram <no-reply@mail.instagram.com>"
    message["To"] = "social@example.com"
    message["Subject"] = "lena.k mentioned you in a comment"
    message["Message-ID"] = "<ig-1@mail.instagram.com>"
    message["Date"] = format_datetime(DATE)
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>lena.k mentioned you in a comment:</p>"
        "<p>@examplebrand my Gadget&nbsp;Mini arrived broken &amp; nobody answers</p>"
        '<a href="https://www.instagram.com/p/Cxyz/c/789/">View comment</a><script>alert(1)</script></body></html>',
        subtype="html",
    )
    return message.as_bytes()


def latin1_inquiry() -> bytes:
    """A plain inquiry in ISO-8859-1 with an RFC 2047 (Q-encoded) sender name and subject."""
    body = "Guten Tag,\n\nich hätte gern ein Angebot für 12 Stück Widget Pro.\n\nGrüße\nGünther Weiß\n"
    return (
        "From: =?iso-8859-1?q?G=FCnther_Wei=DF?= <guenther@kunde.example>\r\n"
        "To: info@example.com\r\n"
        "Subject: =?iso-8859-1?q?Anfrage_f=FCr_ein_Angebot?=\r\n"
        "Message-ID: <anfrage-1@kunde.example>\r\n"
        f"Date: {format_datetime(DATE)}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii") + body.encode("latin-1").replace("ä".encode("latin-1"), b"=E4").replace(
        "ü".encode("latin-1"), b"=FC"
    ).replace("ß".encode("latin-1"), b"=DF")


def inline_image_form() -> bytes:
    """A website form mail: multipart/related with an inline logo, the visitor in Reply-To."""
    outer = MIMEMultipart("related")
    outer["From"] = "Website <forms@example.com>"
    outer["Reply-To"] = "Anna Schmidt <anna@kundin.example>"
    outer["To"] = "info@example.com"
    outer["Subject"] = "New contact form submission"
    outer["Message-ID"] = "<form-1@example.com>"
    outer["Date"] = format_datetime(DATE)
    outer.attach(
        MIMEText(
            "<html><body><img src='cid:logo'><p>Name: Anna Schmidt</p><p>Page: https://example.com/gadget-mini</p>"
            "<p>Message: Can I return the Gadget Mini after 30 days?</p></body></html>",
            "html",
            "utf-8",
        )
    )
    logo = MIMEImage(PNG, "png")
    logo["Content-ID"] = "<logo>"
    logo["Content-Disposition"] = "inline"
    outer.attach(logo)
    return outer.as_bytes()


def plain(*, n: int, subject: str = "Question about delivery", extra_headers: str = "", size: int = 0) -> bytes:
    """A plain e-mail; ``size`` adds a base64 attachment of that many bytes."""
    message = EmailMessage()
    message["From"] = f"Kim Kunde <kim{n}@kunde.example>"
    message["To"] = "info@example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<plain-{n}@kunde.example>"
    message["Date"] = format_datetime(DATE)
    for line in filter(None, extra_headers.splitlines()):
        name, _, value = line.partition(":")
        message[name.strip()] = value.strip()
    message.set_content(f"Hello,\n\nwhen will order {n} arrive?\n\nKim\n")
    if size:
        message.add_attachment(b"\0" * size, maintype="application", subtype="octet-stream", filename="big.bin")
    return message.as_bytes()


def auto_reply() -> bytes:
    return plain(n=900, subject="Out of office", extra_headers="Auto-Submitted: auto-replied")


def bulk_newsletter() -> bytes:
    return plain(
        n=901, subject="Our November newsletter", extra_headers="Precedence: bulk\nList-Id: <news.vendor.example>"
    )


def malformed() -> bytes:
    """Broken MIME: a multipart without its boundary, a header without a colon, invalid bytes."""
    return (
        b"From: Broken <broken@kunde.example>\r\n"
        b"Subject: Broken =?utf-8?q?mail\r\n"
        b"Message-ID: <broken-1@kunde.example>\r\n"
        b'Content-Type: multipart/mixed; boundary="nothere"\r\n'
        b"this line is no header\r\n\r\n"
        b"--other\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi \xff\xfe there, is the Widget Pro in stock?\r\n"
    )
