"""Back office of the privacy core: purposes, notices, re-identification, record of processing, audit log, ledger."""

from __future__ import annotations

from django.forms import modelform_factory
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from consent import admin_views, permissions
from consent.models import Purpose


class PurposeForm(WagtailAdminModelForm):
    """The code is stable once a purpose exists: the ledger and other apps refer to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "code" in self.fields:
            self.fields["code"].disabled = True


class PurposeViewSet(ModelViewSet):
    model = Purpose
    form_fields = [
        "code",
        "name_en",
        "name_de",
        "summary_en",
        "summary_de",
        "legal_basis",
        "data_categories",
        "recipients",
        "retention",
        "double_opt_in",
        "marketing",
        "position",
    ]
    list_display = ["code", "name_en", "legal_basis", "required_notice_version"]
    icon = "clipboard-list"
    menu_label = _("Purposes")
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = True

    def get_form_class(self, for_update=False):
        return modelform_factory(
            Purpose, form=PurposeForm, fields=self.form_fields, formfield_callback=self.formfield_for_dbfield
        )


purpose_viewset = PurposeViewSet("consent_purposes")


@hooks.register("register_admin_viewset")
def register_purposes():
    return purpose_viewset


admin_patterns = (
    [
        path("reidentify/", admin_views.ReidentifyView.as_view(), name="reidentify"),
        path("record/", admin_views.RecordOfProcessingView.as_view(), name="record"),
        path("audit/", admin_views.AuditLogView.as_view(), name="audit"),
        path("ledger/", admin_views.LedgerView.as_view(), name="ledger"),
        path("notices/", admin_views.NoticeListView.as_view(), name="notices"),
        path("notices/<slug:code>/new/", admin_views.NoticePublishView.as_view(), name="notice_publish"),
    ],
    "consent_admin",
)


@hooks.register("register_admin_urls")
def register_urls():
    return [path("privacy/", include(admin_patterns))]


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed

    def is_shown(self, request):
        return self.allowed(request.user)


class PrivacySubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return any(item.is_shown(request) for item in self.menu.menu_items_for_request(request))


def _menu_items():
    return [
        PermissionMenuItem(
            _("Purposes"),
            reverse(purpose_viewset.get_url_name("index")),
            icon_name="clipboard-list",
            order=100,
            allowed=lambda user: user.has_perm("consent.view_purpose"),
        ),
        PermissionMenuItem(
            _("Notices"),
            reverse("consent_admin:notices"),
            icon_name="doc-full",
            order=110,
            allowed=lambda user: user.has_perm("consent.view_noticeversion"),
        ),
        PermissionMenuItem(
            _("Record of processing"),
            reverse("consent_admin:record"),
            icon_name="list-ul",
            order=120,
            allowed=permissions.can_view_record_of_processing,
        ),
        PermissionMenuItem(
            _("Audit log"),
            reverse("consent_admin:audit"),
            icon_name="history",
            order=130,
            allowed=permissions.can_view_audit_log,
        ),
        PermissionMenuItem(
            _("Consent ledger"),
            reverse("consent_admin:ledger"),
            icon_name="link",
            order=140,
            allowed=permissions.can_verify_ledger,
        ),
        PermissionMenuItem(
            _("Re-identify a pseudonym"),
            reverse("consent_admin:reidentify"),
            icon_name="user",
            order=150,
            allowed=permissions.can_reidentify,
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_privacy_menu():
    return PrivacySubmenu(_("Privacy"), Menu(items=_menu_items()), icon_name="lock", order=900, name="privacy")
