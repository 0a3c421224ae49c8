"""Back office: idea boards and categories as model viewsets, and the product managers' review console."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from ideas import admin_views, permissions
from ideas.models import Board, Category


class BoardViewSet(ModelViewSet):
    """Boards per product; product managers open and close them for new ideas."""

    model = Board
    name = "idea_boards"
    icon = "list-ul"
    menu_label = _("Idea boards")
    form_fields = ["name", "name_de", "slug", "description", "description_de", "is_active", "position"]
    list_display = ["name", "name_de", "slug", "is_active", "position"]
    search_fields = ["name", "name_de"]


class CategoryViewSet(ModelViewSet):
    """Optional areas within a board that members pick when posting."""

    model = Category
    name = "idea_categories"
    icon = "tag"
    menu_label = _("Idea categories")
    form_fields = ["board", "name", "name_de"]
    list_display = ["name", "name_de", "board"]
    list_filter = ["board"]


class IdeasViewSetGroup(ViewSetGroup):
    items = (BoardViewSet, CategoryViewSet)
    menu_icon = "pick"
    menu_label = _("Idea boards")
    menu_name = "idea-boards"
    menu_order = 210


@hooks.register("register_admin_viewset")
def register_viewsets():
    return IdeasViewSetGroup()


class ReviewMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_review_ideas(request.user)


@hooks.register("register_admin_menu_item")
def register_review_menu_item():
    return ReviewMenuItem(_("Idea review"), reverse("ideas_review"), name="idea-review", icon_name="pick", order=200)


@hooks.register("register_admin_urls")
def register_review_urls():
    return [
        path("ideas-review/", admin_views.console, name="ideas_review"),
        path("ideas-review/<int:pk>/", admin_views.review_idea, name="ideas_review_idea"),
        path("ideas-review/<int:pk>/status/", admin_views.set_status, name="ideas_review_status"),
        path("ideas-review/<int:pk>/note/", admin_views.add_note, name="ideas_review_note"),
        path("ideas-review/<int:pk>/merge/", admin_views.merge, name="ideas_review_merge"),
        path("ideas-review/export/<int:board_id>/", admin_views.export_board, name="ideas_review_export"),
    ]
