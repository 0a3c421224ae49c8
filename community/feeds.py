"""RSS and Atom feeds of the blog index (served by the index page's routes)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed


class BlogRssFeed(Feed):
    """The 20 newest published blog posts."""

    def __init__(self, index_page):
        super().__init__()
        self.index_page = index_page

    def __call__(self, request, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def title(self):
        return self.index_page.title

    def link(self):
        return self.index_page.get_url(self.request)

    def description(self):
        return self.index_page.intro or self.index_page.title

    def items(self):
        return self.index_page.posts()[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.intro

    def item_link(self, item):
        return item.get_url(self.request)

    def item_author_name(self, item):
        return item.author.public_name if item.author else None

    def item_pubdate(self, item):
        return timezone.make_aware(datetime.combine(item.date, time(9, 0)))

    def item_categories(self, item):
        return [tag.name for tag in item.tags.all()]


class BlogAtomFeed(BlogRssFeed):
    feed_type = Atom1Feed

    def subtitle(self):
        return self.description()
