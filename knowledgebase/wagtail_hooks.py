"""Back office: the review report in the admin menu."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from knowledgebase import permissions


class ReviewReportMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_view_review_report(request.user)


@hooks.register("register_admin_menu_item")
def register_review_report_menu_item():
    return ReviewReportMenuItem(
        _("KB articles to review"), reverse("knowledgebase:review"), icon_name="doc-full", order=310
    )
