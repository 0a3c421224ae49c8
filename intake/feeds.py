"""RSS 2.0 and Atom entries read with the standard library's XML parser.

Feeds need no document type, so a document declaring one (the door to entity expansion) is refused
before parsing; ElementTree never fetches external resources.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from intake.mailparse import clean_text, html_to_text

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


class FeedError(ValueError):
    """The document is no feed that can be read; the message says why."""


@dataclass
class Entry:
    entry_id: str
    link: str
    title: str
    text: str
    author: str
    size: int = 0


def _text(node, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def parse(document: bytes) -> list[Entry]:
    """The entries of an RSS or Atom document, in document order."""
    # A document type can only stand in the prolog, before the first start tag.
    first_tag = re.search(rb"<[A-Za-z_]", document)
    prolog = document[: first_tag.start()] if first_tag else document
    if re.search(rb"<!DOCTYPE|<!ENTITY", prolog, re.IGNORECASE):
        raise FeedError("the feed declares a document type, which feeds never need")
    try:
        root = ET.fromstring(document)  # noqa: S314 - no DTD (refused above), so no entity expansion; no fetches
    except ET.ParseError as exc:
        raise FeedError(f"invalid XML: {exc}") from exc
    entries = []
    if root.tag == f"{ATOM}feed":
        for node in root.findall(f"{ATOM}entry"):
            link = next(
                (el.get("href", "") for el in node.findall(f"{ATOM}link") if el.get("rel", "alternate") == "alternate"),
                "",
            )
            body = _text(node, f"{ATOM}content") or _text(node, f"{ATOM}summary")
            entries.append(
                Entry(
                    entry_id=_text(node, f"{ATOM}id") or link,
                    link=link,
                    title=_text(node, f"{ATOM}title"),
                    text=clean_text(html_to_text(body)),
                    author=_text(node, f"{ATOM}author/{ATOM}name"),
                    size=len(body),
                )
            )
    elif root.tag == "rss" and root.find("channel") is not None:
        for node in root.find("channel").findall("item"):
            link = _text(node, "link")
            body = _text(node, CONTENT) or _text(node, "description")
            entries.append(
                Entry(
                    entry_id=_text(node, "guid") or link,
                    link=link,
                    title=_text(node, "title"),
                    text=clean_text(html_to_text(body)),
                    author=_text(node, DC_CREATOR) or _text(node, "author"),
                    size=len(body),
                )
            )
    else:
        raise FeedError(f"not an RSS or Atom feed (root element {root.tag!r})")
    return entries
