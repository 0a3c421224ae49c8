"""Back office: the CRM menu (cards, outbox, tag rules, connections, demo CRM)."""

import django_filters
from django.urls import include, path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from crm import admin_views, permissions, services
from crm.forms import ConnectionForm, TagRuleForm
from crm.models import CrmConnection, TagRule

YES_NO = [("1", _("Yes")), ("0", _("No"))]


class YesNoColumn(Column):
    """A boolean as the words "Yes"/"No" in the staff member's language (Wagtail prints True/False)."""

    def get_value(self, instance):
        return YES_NO[0][1] if super().get_value(instance) else YES_NO[1][1]


class TagRuleFilterSet(WagtailFilterSet):
    """The active filter as yes/no, so its chip reads "Active: Yes" rather than "Active: True"."""

    is_active = django_filters.ChoiceFilter(label=_("Active"), choices=YES_NO, method="filter_active")
    action_type = django_filters.ChoiceFilter(
        label=capfirst(_("action type")), choices=TagRule._meta.get_field("action_type").choices
    )
    assignee_strategy = django_filters.ChoiceFilter(
        label=capfirst(_("assignee")), choices=TagRule._meta.get_field("assignee_strategy").choices
    )

    class Meta:
        model = TagRule
        fields = ["action_type", "assignee_strategy", "is_active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")


class _ConnectionSaveMixin:
    """Secrets go through the service, which encrypts them; the model form never sees stored values."""

    def save_instance(self):
        return services.connection_save(connection=self.form.instance, secrets=self.form.secrets())


class ConnectionCreateView(_ConnectionSaveMixin, generic.CreateView):
    pass


class ConnectionEditView(_ConnectionSaveMixin, generic.EditView):
    pass


class ConnectionViewSet(ModelViewSet):
    """CRM endpoints; credentials are encrypted and write-only."""

    model = CrmConnection
    icon = "link"
    menu_label = _("Connections")
    add_to_admin_menu = False
    add_view_class = ConnectionCreateView
    edit_view_class = ConnectionEditView
    list_display = ["name", "kind", "url", YesNoColumn("is_active", label=_("Active"))]
    search_fields = ["name", "url"]

    def get_form_class(self, for_update=False):
        return ConnectionForm


class _TagRuleSaveMixin:
    """The service also sets the rule tag's visibility in the forums and on idea boards."""

    def save_instance(self):
        return services.tag_rule_save(rule=self.form.instance, staff_only=self.form.cleaned_data["staff_only"])


class TagRuleCreateView(_TagRuleSaveMixin, generic.CreateView):
    pass


class TagRuleEditView(_TagRuleSaveMixin, generic.EditView):
    pass


class TagRuleViewSet(ModelViewSet):
    """What each tag becomes in the CRM."""

    model = TagRule
    icon = "tag"
    menu_label = _("Tag rules")
    add_to_admin_menu = False
    add_view_class = TagRuleCreateView
    edit_view_class = TagRuleEditView
    list_display = [
        "tag",
        "action_type",
        "priority",
        "due_in_days",
        "assignee_strategy",
        "connection",
        YesNoColumn("is_active", label=_("Active")),
    ]
    filterset_class = TagRuleFilterSet
    search_fields = ["tag", "keywords"]

    def get_form_class(self, for_update=False):
        return TagRuleForm


connection_viewset = ConnectionViewSet("crm_connections")
tag_rule_viewset = TagRuleViewSet("crm_tag_rules")


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [connection_viewset, tag_rule_viewset]


admin_patterns = [
    path("cards/", admin_views.card_index, name="cards"),
    path("cards/<int:card_id>/", admin_views.card_detail, name="card"),
    path("cards/<int:card_id>/claim/", admin_views.card_claim, name="card_claim"),
    path("cards/<int:card_id>/reply/", admin_views.card_reply, name="card_reply"),
    path("outbox/", admin_views.outbox_index, name="outbox"),
    path("outbox/<int:message_id>/retry/", admin_views.outbox_retry, name="outbox_retry"),
    path("demo-receiver/", admin_views.demo_receiver, name="demo_receiver"),
    path("demo-receiver/<int:receipt_id>/complete/", admin_views.demo_complete, name="demo_complete"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("crm/", include((admin_patterns, "crm_admin"), namespace="crm_admin"))]


class CardsMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_view_cards(request.user)


class OutboxMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_view_outbox(request.user)


class PermissionMenuItem(MenuItem):
    permission = ""

    def is_shown(self, request):
        user = request.user
        return bool(user.is_superuser or user.has_perm(self.permission))


class RulesMenuItem(PermissionMenuItem):
    permission = "crm.view_tagrule"


class ConnectionsMenuItem(PermissionMenuItem):
    permission = "crm.view_crmconnection"


@hooks.register("register_admin_menu_item")
def register_crm_menu():
    menu = Menu(
        items=[
            CardsMenuItem(_("Interest cards"), reverse("crm_admin:cards"), icon_name="tasks", order=100),
            OutboxMenuItem(_("Outbox"), reverse("crm_admin:outbox"), icon_name="mail", order=200),
            RulesMenuItem(_("Tag rules"), reverse(tag_rule_viewset.get_url_name("index")), icon_name="tag", order=300),
            ConnectionsMenuItem(
                _("Connections"), reverse(connection_viewset.get_url_name("index")), icon_name="link", order=400
            ),
            CardsMenuItem(_("Demo CRM"), reverse("crm_admin:demo_receiver"), icon_name="download", order=500),
        ]
    )
    return SubmenuMenuItem(_("CRM"), menu, icon_name="tasks", order=260, name="crm")
