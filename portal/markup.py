"""Member-written Markdown -> sanitised HTML. The only way member text becomes HTML.

Raw HTML in the source is escaped by the Markdown parser, and the result is cleaned
again by bleach with an allow-list, so even a parser bug cannot let markup through.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

import bleach
from bleach.linkifier import Linker
from markdown_it import MarkdownIt

MAX_SOURCE_CHARS = 50_000

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "hr",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "maxNesting": 20})
    md.enable(["table", "strikethrough"])
    # Member headings start at h3 so they never compete with the page's own h1/h2.
    md.add_render_rule("heading_open", _heading_open)
    md.add_render_rule("heading_close", _heading_close)
    md.add_render_rule("image", _image_as_link)
    return md


def _image_as_link(self, tokens, idx, options, env):
    # Images from other sites are never loaded (they would tell that site who reads the page): the
    # image becomes a link to it, named by its alt text, so nothing the member wrote silently disappears.
    token = tokens[idx]
    src = token.attrGet("src") or ""
    label = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escape(src)}">{escape(label)}</a>'


def has_images(text: str) -> bool:
    """Does the member's Markdown embed an image (shown as a link; the writer is told so)?"""
    tokens = _parser().parse((text or "")[:MAX_SOURCE_CHARS])
    return any(child.type == "image" for token in tokens for child in (token.children or []))


def _shift(tag: str) -> str:
    return f"h{min(6, int(tag[1]) + 2)}"


def _heading_open(self, tokens, idx, options, env):
    return f"<{_shift(tokens[idx].tag)}>"


def _heading_close(self, tokens, idx, options, env):
    return f"</{_shift(tokens[idx].tag)}>\n"


def _set_rel(attrs, new=False):
    href_key = (None, "href")
    if href_key not in attrs:
        return attrs
    attrs[(None, "rel")] = LINK_REL
    return attrs


@lru_cache(maxsize=1)
def _linker() -> Linker:
    return Linker(callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)


def render_markdown(text: str) -> str:
    """Render member Markdown to HTML that is safe to store and show as is."""
    source = (text or "")[:MAX_SOURCE_CHARS]
    html = _parser().render(source)
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return _linker().linkify(cleaned).strip()


def render_plain(text: str) -> str:
    """Plain text -> escaped HTML paragraphs (for chat lines and notices)."""
    return bleach.clean(text or "", tags=set(), strip=True).replace("\n", "<br>")
