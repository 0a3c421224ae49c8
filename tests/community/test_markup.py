"""Member Markdown through portal.markup.render_markdown: XSS corpus, malformed and huge input."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from portal.markup import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;script:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    '![img](x" onerror="alert(1))',
    '[x](http://a.example "title" onmouseover=alert(1))',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width:expression(alert(1))">x</p>',
    "<style>body{background:red}</style>",
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<form action=javascript:alert(1)><input type=submit></form>",
    "<body onload=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<details open ontoggle=alert(1)>",
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
    "[x](<javascript:alert(1)>)",
    '<http://a.example/"onmouseover="alert(1)>',
    "<javascript:alert(1)>",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<x onpointerenter=alert(1)>hover</x>",
    "[x](//evil.example)",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]

ALLOWED_TAGS = {
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
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


class _Elements(HTMLParser):
    """Collects the real elements and attributes of rendered HTML (escaped text is not an element)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize("payload", XSS)
def test_xss_payload_never_survives(payload):
    """Only allow-listed elements and attributes remain; links are http(s)/mailto with rel set; no comments."""
    html = render_markdown(payload)
    parsed = _elements(html)
    assert parsed.comments == []
    for tag, attrs in parsed.elements:
        assert tag in ALLOWED_TAGS, (payload, html)
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()), (payload, html)
        if tag == "a":
            href = (attrs.get("href") or "").strip().lower()
            assert href == "" or re.match(r"^(https?:|mailto:|/|#)", href), (payload, html)
            assert attrs.get("rel") == "nofollow ugc noopener", (payload, html)


def test_links_get_nofollow_ugc_noopener():
    """Member links are marked so search engines and the opened page get no trust or opener."""
    html = render_markdown("[docs](https://docs.example/a) and https://bare.example.com/b")
    assert html == (
        '<p><a href="https://docs.example/a" rel="nofollow ugc noopener">docs</a> and '
        '<a href="https://bare.example.com/b" rel="nofollow ugc noopener">https://bare.example.com/b</a></p>'
    )


def test_headings_are_shifted_below_the_page_headings():
    """# in a post becomes h3, so members never compete with the page's h1/h2."""
    assert render_markdown("# Title\n## Sub") == "<h3>Title</h3>\n<h4>Sub</h4>"


def test_empty_and_whitespace_render_to_nothing():
    """Empty input renders to an empty string (the services refuse it)."""
    assert render_markdown("") == ""
    assert render_markdown("   \n\n ") == ""
    assert render_markdown(None) == ""


def test_malformed_markdown_does_not_raise():
    """Unclosed emphasis, fences, links and tables render to something sane."""
    for text in ["**bold", "```\nunclosed", "[link](", "| a | b\n|--", "> > > >", "*" * 500, "[" * 1000, "<" * 1000]:
        html = render_markdown(text)
        assert isinstance(html, str)
        assert "<script" not in html


def test_deeply_nested_lists_are_bounded():
    """10,000 levels of nested lists do not blow the stack and stay bounded in size."""
    text = "\n".join("  " * i + "- x" for i in range(10_000))
    html = render_markdown(text)
    assert html.count("<ul>") <= 25
    nested_quotes = ">" * 5000 + " deep"
    assert render_markdown(nested_quotes).count("<blockquote>") <= 25


def test_huge_input_is_truncated_at_the_source_limit():
    """Input past 50,000 characters is cut before parsing (the services allow 20,000)."""
    html = render_markdown("a" * 200_000)
    assert html == "<p>" + "a" * 50_000 + "</p>"


def test_invalid_unicode_and_nul_are_harmless():
    """Lone surrogates and NUL bytes do not crash rendering."""
    html = render_markdown("abc\x00def \ud800 end")
    assert "abc" in html and "end" in html
