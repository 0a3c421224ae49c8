"""The main navigation: one entry per area of the portal."""

from django.utils.translation import gettext_lazy as _

MAIN_NAV = (
    ("/forums/", _("Forums")),
    ("/ideas/", _("Ideas")),
    ("/blog/", _("Blog")),
    ("/kb/", _("Knowledge base")),
    ("/chat/", _("Chat")),
    ("/privacy/", _("Privacy centre")),
)


def nav_items(path: str) -> list[dict]:
    return [{"url": url, "label": label, "active": path.startswith(url)} for url, label in MAIN_NAV]
