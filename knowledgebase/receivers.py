"""Cache purges when knowledge base pages change; a purge, never business logic."""

from __future__ import annotations

from knowledgebase import page_cache


def purge_page_cache(sender, instance=None, **kwargs) -> None:
    """Publishing or unpublishing any KB page (or the home page above it) drops every cached KB page."""
    from knowledgebase.models import KBArticlePage, KBCategoryPage, KBIndexPage

    if issubclass(sender, KBArticlePage | KBCategoryPage | KBIndexPage) or instance is None or instance.depth <= 2:
        page_cache.purge()


def announce_article_published(sender, instance=None, **kwargs) -> None:
    """Wagtail published a KB article (editor, workflow or schedule): the domain event, once committed."""
    from knowledgebase import events

    if instance is not None:
        events.article_published.send_on_commit(article=instance)
