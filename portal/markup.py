"""Member-written Markdown -> sanitised HTML. The only way member text becomes HTML.

Raw HTML in the source is escaped by the Markdown parser, and the result is cleaned
again by bleach with an allow-list, so even a parser bug cannot let markup through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from html import escape

import bleach
from bleach.linkifier import Linker
from django.conf import settings
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
        "img",
    }
)
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
# The portal's own uploads into posts (community.PostImage): a random name under MEDIA_URL/posts/.
UPLOAD_NAME = r"[A-Za-z0-9_-]{16,64}\.(?:jpg|png|webp)"


@lru_cache(maxsize=1)
def _upload_path() -> re.Pattern:
    return re.compile(rf"^{re.escape(settings.MEDIA_URL)}posts/({UPLOAD_NAME})$")


def upload_name(url: str) -> str | None:
    """The file name when ``url`` is one of the portal's own post images (``/media/posts/<name>``), else None."""
    found = _upload_path().match(url or "")
    return found.group(1) if found else None


def upload_urls(text: str) -> list[str]:
    """The addresses of the portal's own uploads that the member's Markdown embeds as images."""
    tokens = _parser().parse((text or "")[:MAX_SOURCE_CHARS])
    found = []
    for token in tokens:
        for child in token.children or []:
            if child.type != "image":
                continue
            src = child.attrGet("src") or ""
            if upload_name(src) and src not in found:
                found.append(src)
    return found


def _img_attribute(tag, name, value) -> bool:
    # Exactly what ``_image`` writes: an own upload's address, its size, alt text and lazy loading.
    if name == "src":
        return upload_name(value) is not None
    if name in ("width", "height"):
        return value.isdigit() and len(value) <= 5
    if name == "loading":
        return value == "lazy"
    return name == "alt"


ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "ol": ["start"],
    "th": ["align"],
    "td": ["align"],
    "img": _img_attribute,
}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "maxNesting": 20})
    md.enable(["table", "strikethrough"])
    # Member headings start at h3 so they never compete with the page's own h1/h2.
    md.add_render_rule("heading_open", _heading_open)
    md.add_render_rule("heading_close", _heading_close)
    md.add_render_rule("image", _image)
    return md


def _image(self, tokens, idx, options, env):
    # Images from other sites are never loaded (they would tell that site who reads the page): the
    # image becomes a link to it, named by its alt text, so nothing the member wrote silently disappears.
    # Only the portal's own uploads that still exist (``env["images"]``: address -> width, height) are
    # shown; a removed upload leaves nothing behind.
    token = tokens[idx]
    src = token.attrGet("src") or ""
    label = self.renderInlineAsText(token.children or [], options, env)
    images = env.get("images")
    if images is not None and upload_name(src):
        size = images.get(src)
        if size is None:
            return ""
        width, height = size
        return (
            f'<img src="{escape(src)}" alt="{escape(label)}" width="{int(width)}" height="{int(height)}" '
            'loading="lazy">'
        )
    return f'<a href="{escape(src)}">{escape(label or src)}</a>'


def has_images(text: str) -> bool:
    """Does the member's Markdown embed an image from elsewhere (shown as a link; the writer is told so)?"""
    tokens = _parser().parse((text or "")[:MAX_SOURCE_CHARS])
    return any(
        child.type == "image" and not upload_name(child.attrGet("src") or "")
        for token in tokens
        for child in (token.children or [])
    )


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


def render_markdown(text: str, *, images: Mapping[str, tuple[int, int]] | None = None) -> str:
    """Render member Markdown to HTML that is safe to store and show as is.

    ``images`` maps the addresses of the portal's own uploads that exist to their width and height: those
    are shown as images, other own-upload addresses render nothing. Without it every image is a link.
    """
    source = (text or "")[:MAX_SOURCE_CHARS]
    html = _parser().render(source, {"images": images})
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
