"""Parsing rules applied to a parsed mail: which source and action it is, and the card's fields.

Pure functions over the rules and products passed in, so the "test this rule" screen and the
poller give the same answer for the same mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.mailparse import ParsedMail, clean_text

CARD_TEXT_MAX = 2000


@dataclass
class Extraction:
    """The card a mail would make."""

    rule: object
    source_type: str
    action_type: str
    title: str
    text: str
    link: str
    author: str
    author_address: str
    picture: str
    product: str


def _search(pattern: str, text: str) -> re.Match | None:
    if not pattern:
        return None
    try:
        return re.search(pattern, text or "", re.IGNORECASE | re.DOTALL)
    except re.error:
        return None


def _value(pattern: str, text: str) -> str:
    match = _search(pattern, text)
    if match is None:
        return ""
    groups = match.groupdict()
    value = next((v for v in groups.values() if v), None) if groups else None
    if value is None:
        value = match.group(1) if match.re.groups else match.group(0)
    return (value or "").strip()


def matches(rule, mail: ParsedMail) -> bool:
    """Every pattern the rule sets must match; a rule with no pattern matches only as fallback."""
    if rule.is_fallback:
        return True
    checks = [
        (rule.match_sender, f"{mail.sender_name} <{mail.sender_address}>"),
        (rule.match_list_id, mail.list_id),
        (rule.match_subject, mail.subject),
        (rule.match_body, mail.text),
    ]
    given = [(pattern, value) for pattern, value in checks if pattern]
    return bool(given) and all(_search(pattern, value) for pattern, value in given)


def _action(rule, mail: ParsedMail) -> str:
    for line in rule.action_patterns.splitlines():
        action, _, pattern = line.partition(":")
        if pattern.strip() and _search(pattern.strip(), f"{mail.subject}\n{mail.text}"):
            return action.strip().lower()
    return rule.action_type


def product_for(products, *, text: str, links: list[str]) -> str:
    """The first product whose address prefix is linked or whose keyword occurs as a whole word."""
    lowered_links = [link.lower() for link in links]
    for product in products:
        if any(link.startswith(prefix) for prefix in product.url_prefixes() for link in lowered_links):
            return product.name
    lowered = text.lower()
    for product in products:
        if any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered) for word in product.keywords()):
            return product.name
    return ""


def extract(mail: ParsedMail, *, rules, products) -> Extraction | None:
    """The card of the first matching rule, or None when no rule (not even a fallback) matches."""
    rule = next((r for r in rules if r.is_active and matches(r, mail)), None)
    if rule is None:
        return None
    haystack = f"{mail.subject}\n{mail.text}"
    link = _value(rule.extract_link, haystack) if rule.extract_link else ""
    if not link and rule.extract_link:
        link = next((candidate for candidate in mail.links if _search(rule.extract_link, candidate)), "")
    if not link.startswith(("http://", "https://")):
        link = ""
    author = _value(rule.extract_author, haystack) or mail.sender_name or mail.sender_address
    text = _value(rule.extract_text, mail.text) or mail.text
    picture = (
        next((image for image in mail.images if _search(rule.extract_picture, image)), "")
        if rule.extract_picture
        else ""
    )
    text = clean_text(text, CARD_TEXT_MAX)
    return Extraction(
        rule=rule,
        source_type=rule.source_type,
        action_type=_action(rule, mail),
        title=(mail.subject or text.split("\n", 1)[0])[:200],
        text=text,
        link=link[:500],
        author=clean_text(author, 200).replace("\n", " "),
        author_address=(mail.reply_to or mail.sender_address) if rule.source_type in {"email", "website_form"} else "",
        picture=picture[:500],
        product=product_for(products, text=haystack, links=mail.links + ([link] if link else [])),
    )
