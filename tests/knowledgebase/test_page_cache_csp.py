"""The whole-page KB cache never hands one visitor's Content-Security-Policy nonce to another."""

from __future__ import annotations

import re

from django.test import Client

from knowledgebase import page_cache

NONCES = re.compile(r'\bnonce="([^"]+)"')


def test_cached_kb_page_gets_the_nonce_of_its_own_response(make_article):
    article = make_article(title="Nonce article")
    first = Client().get(article.url)
    second = Client().get(article.url)
    assert (first[page_cache.HIT_HEADER], second[page_cache.HIT_HEADER]) == ("miss", "hit")
    for response in (first, second):
        html = response.content.decode()
        header_nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert set(NONCES.findall(html)) == {header_nonce}
        assert page_cache.NONCE_PLACEHOLDER not in html
    assert NONCES.findall(first.content.decode())[0] != NONCES.findall(second.content.decode())[0]
