"""Back-office forms: tag rules, connections with write-only secrets, card filters."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from community import selectors as community_selectors
from crm.models import AssigneeStrategy, CardState, ConnectionKind, CrmConnection, OutboxState, SourceType, TagRule
from crm.services import SECRET_FIELDS, normalise_tag
from portal.models import User
from portal.roles import ROLE_LABELS, Role

REQUIRED_SECRETS = {
    ConnectionKind.WEBHOOK: ("signing_secret",),
    ConnectionKind.BOTTLECRM: ("api_token",),
    ConnectionKind.SALESFORCE: ("client_secret",),
    ConnectionKind.HUBSPOT: ("api_token",),
}


def _secret_field(label, help_text):
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        max_length=500,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class ConnectionForm(WagtailAdminModelForm):
    """Secrets are write-only: the form never renders a stored value; a blank field keeps it."""

    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Webhook: the receiving URL. CRMs: the base URL of the instance or API."),
    )
    signing_secret = _secret_field(
        _("Signing secret"),
        _("Webhook and BottleCRM: the shared secret for signatures (Standard Webhooks: whsec_…)."),
    )
    api_token = _secret_field(_("API token"), _("BottleCRM personal access token or HubSpot private app token."))
    client_secret = _secret_field(_("Client secret"), _("Salesforce: the connected app's consumer secret."))
    pseudonym_prefix = forms.CharField(
        label=_("Pseudonyms"),
        required=False,
        disabled=True,
        help_text=_(
            "Every pseudonym this connection receives starts with this. No other connection gets them, "
            "except connections made before each got its own (“crm_”)."
        ),
    )

    class Meta:
        model = CrmConnection
        fields = ["name", "kind", "url", "client_id", "options", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.secrets() if self.instance.pk and self.instance.credentials else {}
        for name in SECRET_FIELDS:
            if stored.get(name):
                self.fields[name].help_text = _("A secret is stored. Leave blank to keep it, or type a new one.")
        if self.instance.pk:
            self.fields["pseudonym_prefix"].initial = f"{self.instance.pseudonym_domain}_"
        else:
            del self.fields["pseudonym_prefix"]  # the key is drawn when the connection is stored

    def clean_options(self):
        options = self.cleaned_data.get("options") or {}
        if not isinstance(options, dict):
            raise forms.ValidationError(_("Options must be a JSON object."))
        return options

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        stored = self.instance.secrets() if self.instance.pk and self.instance.credentials else {}
        for name in REQUIRED_SECRETS.get(kind, ()):
            if not cleaned.get(name) and not stored.get(name):
                self.add_error(name, _("This connection type needs it."))
        if kind == ConnectionKind.SALESFORCE and not cleaned.get("client_id"):
            self.add_error("client_id", _("Salesforce needs the connected app's client ID."))
        return cleaned

    def secrets(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in SECRET_FIELDS}


class TagRuleForm(WagtailAdminModelForm):
    class Meta:
        model = TagRule
        fields = [
            "tag",
            "action_type",
            "priority",
            "due_in_days",
            "assignee_strategy",
            "owner",
            "team",
            "connection",
            "keywords",
            "is_active",
            "staff_only",
        ]

    staff_only = forms.BooleanField(
        label=_("Staff-only tag"),
        required=False,
        initial=True,
        help_text=_(
            "Members and visitors never see this tag on threads, ideas, feeds or in search; moderators see it marked "
            "“internal”."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["staff_only"].initial = community_selectors.tag_is_internal(self.instance.tag)
        self.fields["owner"].queryset = (
            User.objects.filter(groups__name__in=[Role.MODERATOR, Role.ADMINISTRATOR], is_active=True)
            .distinct()
            .order_by("handle")
        )
        self.fields["owner"].label_from_instance = lambda user: user.staff_label
        # Only groups whose members can see interest cards can take turns on them (never the Customer group).
        self.fields["team"].queryset = (
            Group.objects.filter(permissions__content_type__app_label="crm", permissions__codename="view_interestcard")
            .distinct()
            .order_by("name")
        )
        self.fields["team"].label_from_instance = lambda group: str(ROLE_LABELS.get(group.name, group.name))

    def clean_tag(self):
        tag = normalise_tag(self.cleaned_data.get("tag", ""))
        if not tag:
            raise forms.ValidationError(_("Enter the tag."))
        return tag

    def clean_keywords(self):
        lines = [" ".join(line.split()).lower() for line in self.cleaned_data.get("keywords", "").splitlines()]
        return "\n".join(line for line in lines if line)

    def clean(self):
        cleaned = super().clean()
        strategy = cleaned.get("assignee_strategy")
        if strategy == AssigneeStrategy.FIXED and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the owner for a fixed assignment."))
        if strategy == AssigneeStrategy.ROUND_ROBIN and not cleaned.get("team"):
            self.add_error("team", _("Choose the team whose members take turns."))
        if strategy == AssigneeStrategy.LEAST_LOADED and not cleaned.get("team"):
            self.add_error("team", _("Choose the team whose members share the cards."))
        return cleaned


class CardFilterForm(forms.Form):
    FILTERS = ("state", "source_type", "tag", "assignee", "processed")

    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All"))] + list(CardState.choices))
    source_type = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All"))] + list(SourceType.choices)
    )
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    processed = forms.ChoiceField(
        label=_("Processed"), required=False, choices=[("", _("All")), ("yes", _("Yes")), ("no", _("No"))]
    )

    def __init__(self, *args, tags=(), assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All"))] + [(t, t) for t in tags]
        self.fields["assignee"].choices = [("", _("All")), ("none", _("Unclaimed"))] + [
            (str(u.pk), u.get_full_name() or u.handle) for u in assignees
        ]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: self.cleaned_data.get(name) or "" for name in self.FILTERS}


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All"))] + list(OutboxState.choices))
