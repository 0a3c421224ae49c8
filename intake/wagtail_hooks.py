"""Back office: the Intake menu (cards from outside, mailbox health, mailboxes, parsing rules, products, rule test)."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from intake import admin_views, permissions, services
from intake.forms import HookSourceForm, MailboxForm
from intake.models import Feed, HookSource, Mailbox, ParsingRule, Product


class _MailboxSaveMixin:
    """The password goes through the service, which encrypts it; the form never sees the stored value."""

    def save_instance(self):
        return services.mailbox_save(mailbox=self.form.instance, password=self.form.cleaned_data.get("new_password"))


class MailboxCreateView(_MailboxSaveMixin, generic.CreateView):
    pass


class MailboxEditView(_MailboxSaveMixin, generic.EditView):
    pass


class MailboxViewSet(ModelViewSet):
    """IMAP mailboxes whose mails become cards."""

    model = Mailbox
    icon = "mail"
    menu_label = _("Mailboxes")
    add_to_admin_menu = False
    add_view_class = MailboxCreateView
    edit_view_class = MailboxEditView
    list_display = ["name", "host", "username", "folder", "last_polled_at", "cards_created"]
    search_fields = ["name", "host", "username"]

    def get_form_class(self, for_update=False):
        return MailboxForm


class _HookSaveMixin:
    def save_instance(self):
        return services.hook_source_save(source=self.form.instance, secret=self.form.cleaned_data.get("new_secret"))


class HookCreateView(_HookSaveMixin, generic.CreateView):
    pass


class HookEditView(_HookSaveMixin, generic.EditView):
    pass


class HookSourceViewSet(ModelViewSet):
    """Tools that push mentions to the signed inbound hook."""

    model = HookSource
    icon = "link"
    menu_label = _("Inbound hooks")
    add_to_admin_menu = False
    add_view_class = HookCreateView
    edit_view_class = HookEditView
    list_display = ["name", "last_received_at", "cards_created", "rejected"]
    search_fields = ["name"]

    def get_form_class(self, for_update=False):
        return HookSourceForm


class FeedViewSet(ModelViewSet):
    """RSS/Atom feeds polled for brand mentions."""

    model = Feed
    icon = "link-external"
    menu_label = _("Feeds")
    add_to_admin_menu = False
    list_display = ["name", "url", "last_polled_at", "cards_created"]
    search_fields = ["name", "url"]
    form_fields = ["name", "url", "keywords", "rule", "is_active"]


class ParsingRuleViewSet(ModelViewSet):
    """How notification mails are recognised and read."""

    model = ParsingRule
    icon = "form"
    menu_label = _("Parsing rules")
    add_to_admin_menu = False
    list_display = ["name", "position", "source_type", "action_type", "is_fallback", "is_active"]
    search_fields = ["name"]
    form_fields = [
        "name",
        "position",
        "source_type",
        "action_type",
        "match_sender",
        "match_list_id",
        "match_subject",
        "match_body",
        "action_patterns",
        "extract_link",
        "extract_author",
        "extract_text",
        "extract_picture",
        "is_fallback",
        "is_active",
    ]


class ProductViewSet(ModelViewSet):
    """Products and the words and addresses that name them."""

    model = Product
    icon = "pick"
    menu_label = _("Products")
    add_to_admin_menu = False
    list_display = ["name"]
    search_fields = ["name", "keywords_en", "keywords_de"]
    form_fields = ["name", "keywords_en", "keywords_de", "urls"]


mailbox_viewset = MailboxViewSet("intake_mailboxes")
rule_viewset = ParsingRuleViewSet("intake_rules")
product_viewset = ProductViewSet("intake_products")
hook_viewset = HookSourceViewSet("intake_hooks")
feed_viewset = FeedViewSet("intake_feeds")


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [mailbox_viewset, rule_viewset, product_viewset, hook_viewset, feed_viewset]


admin_patterns = [
    path("cards/", admin_views.card_index, name="cards"),
    path("cards/<int:mail_id>/", admin_views.card_detail, name="mail"),
    path("cards/<int:mail_id>/claim/", admin_views.card_claim, name="claim"),
    path("cards/<int:mail_id>/release/", admin_views.card_release, name="release"),
    path("cards/<int:mail_id>/reply/", admin_views.reply, name="reply"),
    path("cards/<int:mail_id>/community/", admin_views.bring_to_community, name="community"),
    path("health/", admin_views.mailbox_health, name="health"),
    path("health/<int:mailbox_id>/poll/", admin_views.mailbox_poll, name="poll"),
    path("rule-test/", admin_views.rule_test, name="rule_test"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("intake/", include((admin_patterns, "intake_admin"), namespace="intake_admin"))]


class _CheckedMenuItem(MenuItem):
    check = staticmethod(lambda user: False)

    def is_shown(self, request):
        return self.check(request.user)


class CardsMenuItem(_CheckedMenuItem):
    check = staticmethod(permissions.can_view_intake)


class HealthMenuItem(_CheckedMenuItem):
    check = staticmethod(permissions.can_view_mailboxes)


class RulesMenuItem(_CheckedMenuItem):
    check = staticmethod(permissions.can_test_rules)


class AddressMenuItem(_CheckedMenuItem):
    check = staticmethod(permissions.can_handle_address_requests)


class ProductsMenuItem(_CheckedMenuItem):
    check = staticmethod(lambda user: permissions._has(user, "intake.view_product"))


@hooks.register("register_admin_menu_item")
def register_intake_menu():
    menu = Menu(
        items=[
            CardsMenuItem(_("Cards from outside"), reverse("intake_admin:cards"), icon_name="mail", order=100),
            HealthMenuItem(_("Mailbox health"), reverse("intake_admin:health"), icon_name="pick", order=200),
            HealthMenuItem(_("Mailboxes"), reverse(mailbox_viewset.get_url_name("index")), icon_name="mail", order=300),
            RulesMenuItem(_("Parsing rules"), reverse(rule_viewset.get_url_name("index")), icon_name="form", order=400),
            RulesMenuItem(_("Test a mail"), reverse("intake_admin:rule_test"), icon_name="search", order=500),
            ProductsMenuItem(
                _("Products"), reverse(product_viewset.get_url_name("index")), icon_name="pick", order=600
            ),
            AddressMenuItem(
                _("Requests about an address"), reverse("dsar_admin:create_address"), icon_name="user", order=700
            ),
        ]
    )
    return SubmenuMenuItem(_("Intake"), menu, icon_name="mail", order=265, name="intake")
