"""Template tags of the knowledge base, also used by the forum pages through the includes."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from knowledgebase import permissions, selectors

register = template.Library()

FACETS = ("q", "type", "product", "tag")


@register.simple_tag
def kb_type_label(value: str) -> str:
    return {"article": _("Knowledge base"), "thread": _("Forum threads"), "idea": _("Ideas")}.get(value, value)


@register.simple_tag
def kb_search_url(request, name: str, value: str) -> str:
    """The search URL with one facet set (or cleared when ``value`` is empty), the others kept."""
    params = {key: request.GET.get(key, "")[:200] for key in FACETS}
    params[name] = value
    return reverse("knowledgebase:search") + "?" + urlencode({k: v for k, v in params.items() if v})


@register.inclusion_tag("knowledgebase/includes/thread_notice.html", takes_context=True)
def kb_thread_notice(context, thread):
    """ "Answered in the knowledge base" on a thread page, and the promote button for moderators (one query)."""
    user = context.get("user") or getattr(context.get("request"), "user", None)
    link = selectors.thread_article_link(thread_id=thread.pk)
    in_review = link is not None and not link.article.live
    return {
        "thread": thread,
        "link": link,
        "can_promote": link is None and permissions.can_promote_thread(user, thread),
        "is_staff_reviewer": in_review and permissions.can_see_article_score(user),
    }
