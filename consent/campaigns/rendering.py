"""A campaign as a mail in one language: HTML with a plain-text twin, links as written, nothing loaded on opening."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from wagtail.rich_text import expand_db_html

from consent.campaigns.models import Campaign

BLOCKS = {"p", "h2", "h3", "ul", "ol", "div"}


class _Links(HTMLParser):
    """Rewrites the rich text's relative links to absolute ones; nothing else changes (no redirect, no tracking)."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, closed=False))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, closed=True))

    def _tag(self, tag, attrs, *, closed):
        from django.utils.html import escape

        parts = [tag]
        for name, value in attrs:
            if tag == "a" and name == "href" and value:
                value = absolute(value)
            parts.append(name if value is None else f'{name}="{escape(value)}"')
        return "<" + " ".join(parts) + (" />" if closed else ">")

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")


class _Text(HTMLParser):
    """The plain-text version: paragraphs, list items with dashes, links as "text (address)"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: str | None = None
        self.list_stack: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCKS:
            self.out.append("\n\n")
        if tag in ("ul", "ol"):
            self.list_stack.append([tag, 0])
        elif tag == "li":
            kind = self.list_stack[-1] if self.list_stack else ["ul", 0]
            kind[1] += 1
            self.out.append("\n" + (f"{kind[1]}. " if kind[0] == "ol" else "- "))
        elif tag == "br":
            self.out.append("\n")
        elif tag == "hr":
            self.out.append("\n\n----\n\n")
        elif tag == "a":
            self.href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag in ("ul", "ol") and self.list_stack:
            self.list_stack.pop()
        if tag == "a" and self.href:
            self.out.append(f" ({self.href})")
            self.href = None
        if tag in BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data):
        self.out.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = "".join(self.out).split("\n")
        cleaned, blank = [], False
        for line in (line.strip() for line in lines):
            if not line:
                if cleaned and not blank:
                    cleaned.append("")
                blank = True
                continue
            cleaned.append(line)
            blank = False
        return "\n".join(cleaned).strip()


def absolute(href: str) -> str:
    """A link as the reader's mail program needs it: relative paths get the portal's address."""
    if href.startswith(("http://", "https://", "mailto:", "tel:", "#")):
        return href
    return urljoin(settings.PORTAL_BASE_URL + "/", href)


def body_html(campaign: Campaign, language: str) -> str:
    """The campaign's text in ``language`` as HTML with absolute links."""
    parser = _Links()
    parser.feed(expand_db_html(campaign.body_for(language)))
    parser.close()
    return "".join(parser.out)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


def render_mail(campaign: Campaign, language: str, *, unsubscribe_url: str) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the campaign in ``language``, with the unsubscribe link in both bodies."""
    body = body_html(campaign, language)
    with translation.override(language):
        context = {
            "subject": campaign.subject_for(language),
            "body": body,
            "unsubscribe_url": unsubscribe_url,
            "site_name": settings.WAGTAIL_SITE_NAME,
            "language": language,
        }
        html = render_to_string("campaigns/mail.html", context)
        footer = render_to_string("campaigns/mail_footer.txt", context).strip()
    text = f"{html_to_text(body)}\n\n-- \n{footer}\n"
    return campaign.subject_for(language), text, html
