"""Back office: the moderation menu (queue, log, forums) and the forum model admin."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from community import admin_views
from community.models import Forum


class QueueMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.can_work_queue(request.user)


class ForumViewSet(ModelViewSet):
    """Forums managed in the back office; access to private ones is granted per member."""

    model = Forum
    icon = "folder-open-inverse"
    menu_label = _("Forums")
    add_to_admin_menu = False
    form_fields = ["name", "name_de", "slug", "description", "description_de", "product", "order", "is_private"]
    list_display = ["name", "name_de", "product", "is_private", "thread_count", "post_count"]
    search_fields = ["name", "name_de", "product"]


forum_viewset = ForumViewSet("community_forums")


@hooks.register("register_admin_viewset")
def register_forum_viewset():
    return forum_viewset


admin_patterns = [
    path("queue/", admin_views.queue, name="queue"),
    path("log/", admin_views.log, name="log"),
    path("posts/<int:post_id>/action/", admin_views.post_action, name="post_action"),
    path("threads/<int:thread_id>/", admin_views.thread_tools, name="thread"),
    path("members/<int:user_id>/suspend/", admin_views.member_suspend, name="suspend"),
    path("forums/<int:forum_id>/access/", admin_views.forum_access, name="forum_access"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("community/", include((admin_patterns, "community_admin"), namespace="community_admin"))]


@hooks.register("register_admin_menu_item")
def register_moderation_menu():
    menu = Menu(
        items=[
            QueueMenuItem(_("Queue"), reverse("community_admin:queue"), icon_name="warning", order=100),
            QueueMenuItem(_("Log"), reverse("community_admin:log"), icon_name="list-ul", order=200),
            QueueMenuItem(
                _("Forums"), reverse(forum_viewset.get_url_name("index")), icon_name="folder-open-inverse", order=300
            ),
        ]
    )
    return SubmenuMenuItem(_("Moderation"), menu, icon_name="warning", order=250, name="moderation")
