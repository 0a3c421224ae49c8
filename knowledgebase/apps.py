from django.apps import AppConfig


class KnowledgebaseConfig(AppConfig):
    name = "knowledgebase"
    verbose_name = "Knowledge base"

    def ready(self):
        from wagtail.signals import page_published, page_unpublished

        from community.extensions import add_bot_answer_source, add_chat_suggester, add_panel
        from knowledgebase import receivers, search
        from knowledgebase.models import KBArticlePage
        from portal.roles import Role, grant

        page_published.connect(receivers.purge_page_cache, dispatch_uid="kb-purge-on-publish")
        page_unpublished.connect(receivers.purge_page_cache, dispatch_uid="kb-purge-on-unpublish")
        page_published.connect(
            receivers.announce_article_published, sender=KBArticlePage, dispatch_uid="kb-article-published-event"
        )
        grant(
            Role.EDITOR,
            "knowledgebase.add_kbproduct",
            "knowledgebase.change_kbproduct",
            "knowledgebase.view_kbproduct",
            "wagtailsearchpromotions.add_searchpromotion",
            "wagtailsearchpromotions.change_searchpromotion",
            "wagtailsearchpromotions.delete_searchpromotion",
            "wagtailsearchpromotions.view_searchpromotion",
        )
        grant(Role.MODERATOR, "knowledgebase.view_kbproduct")
        # The thread page shows "answered in the knowledge base" / "promote"; ask form and chat suggest articles.
        add_panel("thread_page", "knowledgebase/includes/thread_panel.html")
        add_panel("ask_form", "knowledgebase/includes/ask_suggestions.html")
        add_chat_suggester(search.chat_suggestions)
        add_bot_answer_source("kb_article", search.bot_answers)
