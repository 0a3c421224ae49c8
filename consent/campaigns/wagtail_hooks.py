"""Back office: "Newsletter" in the menu: campaigns listed, composed (English and German), previewed, tested, sent."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.admin.rich_text import DraftailRichTextArea
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from consent.campaigns import admin_views, services
from consent.campaigns.models import BODY_FEATURES, Campaign
from portal.forms import add_service_errors


class _EditorTextInput(DraftailRichTextArea):
    """Draftail's editor, reading a posted body that is not the editor's own JSON as empty.

    Only the editor's script posts this field; anything else (a hand-made request) gets the form's
    "This field is required." instead of an exception in Wagtail's converter and a server error.
    """

    def value_from_datadict(self, data, files, name):
        try:
            return super().value_from_datadict(data, files, name)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            return None


class _SaveThroughService:
    """The composer's form is Wagtail's; the write is the service's (drafts only)."""

    def save_instance(self):
        return services.campaign_save(campaign=self.form.instance, actor=self.request.user)

    def get_success_url(self):
        return reverse("campaigns:overview", args=[self.object.pk])


class CampaignCreateView(_SaveThroughService, generic.CreateView):
    pass


class CampaignEditView(_SaveThroughService, generic.EditView):
    def dispatch(self, request, *args, **kwargs):
        campaign = Campaign.objects.filter(pk=kwargs.get("pk")).first()
        if campaign is not None and not campaign.editable:
            messages.error(request, _("Only a draft can be changed. Unschedule the campaign first."))
            return redirect("campaigns:overview", campaign.pk)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:  # scheduled by someone else meanwhile
            add_service_errors(form, exc)
            return self.form_invalid(form)


class CampaignViewSet(ModelViewSet):
    """Newsletter campaigns: compose in both languages, then preview, test, send or schedule on the overview."""

    model = Campaign
    icon = "mail"
    menu_label = _("Newsletter")
    menu_order = 250
    add_to_admin_menu = True
    add_view_class = CampaignCreateView
    edit_view_class = CampaignEditView
    list_display = [
        TitleColumn("title", label=_("Campaign"), url_name="campaigns:overview"),
        Column("status", label=_("Status"), accessor="get_status_display"),
        DateColumn("scheduled_at", label=_("Send at")),
        Column("queued_count", label=_("Queued")),
        Column("sent_count", label=_("Sent")),
        Column("failed_count", label=_("Failed")),
    ]
    search_fields = ["title", "subject_en", "subject_de"]
    panels = [
        FieldPanel("title"),
        MultiFieldPanel(
            [FieldPanel("subject_en"), FieldPanel("body_en", widget=_EditorTextInput(features=BODY_FEATURES))],
            heading=_("English"),
        ),
        MultiFieldPanel(
            [FieldPanel("subject_de"), FieldPanel("body_de", widget=_EditorTextInput(features=BODY_FEATURES))],
            heading=_("German"),
        ),
    ]

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("overview/<int:pk>/", admin_views.overview, name="overview"),
            path("overview/<int:pk>/test/", admin_views.test_send, name="test_send"),
            path("overview/<int:pk>/send/", admin_views.send_now, name="send_now"),
            path("overview/<int:pk>/unschedule/", admin_views.unschedule, name="unschedule"),
        ]


campaign_viewset = CampaignViewSet("campaigns")


@hooks.register("register_admin_viewset")
def register_viewset():
    return campaign_viewset
