"""Back office: the "Insight" menu for moderators, product managers and administrators."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from insight import admin_views, permissions

admin_patterns = [
    path("", admin_views.section, {"name": "volume"}, name="volume"),
    path("service/", admin_views.section, {"name": "service"}, name="service"),
    path("cards/", admin_views.section, {"name": "cards"}, name="cards"),
    path("topics/", admin_views.section, {"name": "topics"}, name="topics"),
    path("mood/", admin_views.section, {"name": "mood"}, name="mood"),
    path("questions/", admin_views.section, {"name": "questions"}, name="questions"),
    path("content/", admin_views.drill, name="drill"),
    path("digest/", admin_views.digest_toggle, name="digest"),
    path("faq-draft/", admin_views.faq_draft, name="faq_draft"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("insight/", include((admin_patterns, "insight_admin"), namespace="insight_admin"))]


class InsightMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_view_insight(request.user)


class InsightSubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return permissions.can_view_insight(request.user)


@hooks.register("register_admin_menu_item")
def register_insight_menu():
    items = [
        (_("Volume"), "volume", "list-ul"),
        (_("Service"), "service", "time"),
        (_("Interest cards"), "cards", "tasks"),
        (_("Topics"), "topics", "tag"),
        (_("Mood"), "mood", "comment"),
        (_("Frequent questions"), "questions", "help"),
    ]
    menu = Menu(
        items=[
            InsightMenuItem(label, reverse(f"insight_admin:{name}"), icon_name=icon, order=100 * (i + 1))
            for i, (label, name, icon) in enumerate(items)
        ]
    )
    return InsightSubmenu(_("Insight"), menu, icon_name="view", order=270, name="insight")
