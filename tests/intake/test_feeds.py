"""Web mentions: RSS/Atom feeds from a local HTTP server, conditional GET, brand keywords, each entry once."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crm.models import InterestCard
from intake import services
from intake.models import Feed, IntakeMail

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Brand alerts</title>
<item><guid>tag:alerts,1</guid><link>https://blog.example.org/widget-review</link><title>Widget Pro review</title>
<dc:creator>Sam Blogger</dc:creator><description>&lt;p&gt;The &lt;b&gt;ExampleBrand&lt;/b&gt; Widget Pro is loud.&lt;/p&gt;</description></item>
<item><guid>tag:alerts,2</guid><link>https://news.example.org/other</link><title>Weather</title>
<description>Nothing about us.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Comments</title>
<entry><id>urn:c:9</id><title>Comment on Setup guide</title><link href="https://blog.example.com/setup#c9"/>
<author><name>Alex</name></author><content type="html">Is ExampleBrand support open on Sundays?</content></entry>
</feed>"""


class FeedServer:
    """A real HTTP server that serves one document with an ETag and answers 304 to a matching If-None-Match."""

    def __init__(self):
        self.document = RSS
        self.etag = '"v1"'
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(dict(self.headers))
                if self.headers.get("If-None-Match") == server.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", server.etag)
                self.send_header("Content-Length", str(len(server.document)))
                self.end_headers()
                self.wfile.write(server.document)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.xml"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server():
    server = FeedServer()
    yield server
    server.stop()


@pytest.fixture
def feed(crm_rule, feed_server):
    return Feed.objects.create(name="Brand alerts", url=feed_server.url, keywords="examplebrand", rule=crm_rule)


def test_matching_entries_become_mention_cards_once(feed, feed_server):
    """Only the entry naming the brand becomes a card; the second poll is a 304 and makes nothing."""
    first = services.feed_poll(feed=feed)
    second = services.feed_poll(feed=feed)

    assert (first.read, first.created, first.skipped, first.error) == (2, 1, 1, "")
    assert (second.read, second.created) == (0, 0)
    assert feed_server.requests[1]["If-None-Match"] == '"v1"'
    record = IntakeMail.objects.get()
    assert (record.message_id, record.author_name, record.link, record.text) == (
        "tag:alerts,1",
        "Sam Blogger",
        "https://blog.example.org/widget-review",
        "The ExampleBrand Widget Pro is loud.",
    )
    card = record.card
    assert (card.source_type, card.action_type, card.title, card.outside_author) == (
        "web_mention",
        "mention",
        "Widget Pro review",
        "Sam Blogger",
    )
    feed.refresh_from_db()
    assert (feed.etag, feed.entries_seen, feed.cards_created, feed.last_error) == ('"v1"', 2, 1, "")


def test_changed_feed_adds_only_new_entries(feed, feed_server):
    """A new version of the feed (new ETag) with an old and a new entry: only the new one is added."""
    services.feed_poll(feed=feed)
    feed_server.etag = '"v2"'
    feed_server.document = RSS.replace(
        b"</channel>",
        b"<item><guid>tag:alerts,3</guid><title>ExampleBrand news</title><description>ExampleBrand opens a shop.</description></item></channel>",
    )
    feed.refresh_from_db()

    result = services.feed_poll(feed=feed)

    assert (result.created, result.duplicates) == (1, 1)
    assert sorted(IntakeMail.objects.values_list("message_id", flat=True)) == ["tag:alerts,1", "tag:alerts,3"]


def test_atom_feed(feed, feed_server):
    """Atom entries are read the same way."""
    feed_server.document = ATOM

    result = services.feed_poll(feed=feed)

    assert result.created == 1
    record = IntakeMail.objects.get()
    assert (record.author_name, record.link, record.text) == (
        "Alex",
        "https://blog.example.com/setup#c9",
        "Is ExampleBrand support open on Sundays?",
    )


@pytest.mark.parametrize(
    ("document", "error"),
    [
        (b"<rss><channel><item>", "FeedError: invalid XML: no element found: line 1, column 20"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel/></rss>',
            "FeedError: the feed declares a document type, which feeds never need",
        ),
        (b"<html><body>Moved</body></html>", "FeedError: not an RSS or Atom feed (root element 'html')"),
    ],
)
def test_bad_feeds_show_a_clear_error_and_store_nothing(feed, feed_server, document, error):
    """Invalid XML, a DTD, or no feed at all: the error is on the health panel, nothing stored, validators kept."""
    feed_server.document = document

    result = services.feed_poll(feed=feed)

    assert result.error == error
    feed.refresh_from_db()
    assert (feed.last_error, feed.etag) == (error, "")
    assert IntakeMail.objects.count() == 0
    assert InterestCard.objects.count() == 0


def test_oversized_entry_is_skipped_with_a_note(feed, feed_server):
    """An entry over 100,000 characters makes no card; the health panel names it."""
    feed_server.document = RSS.replace(b"Nothing about us.", b"ExampleBrand " + b"x" * 100_001)

    result = services.feed_poll(feed=feed)

    assert (result.created, result.skipped) == (1, 1)
    feed.refresh_from_db()
    assert feed.last_error == "Oversized entry skipped: tag:alerts,2"


def test_pollers_are_scheduled():
    """The scheduler reads the mailboxes every minute and the feeds every 15 minutes."""
    from datetime import timedelta

    from portal import schedule

    every = {job.name: job.every for job in schedule.jobs()}
    assert (every["intake.poll"], every["intake.feeds"]) == (timedelta(minutes=1), timedelta(minutes=15))
