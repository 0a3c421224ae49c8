"""Back-office forms: mailboxes with a write-only password, the rule test, the card list filter."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from intake.models import INTAKE_SOURCES, HookSource, Mailbox, ProcessedAction

RAW_MAX = 5 * 1024 * 1024


class MailboxForm(WagtailAdminModelForm):
    """The password is write-only: never rendered; a blank field keeps the stored one."""

    new_password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        max_length=500,
        help_text=_("Stored encrypted and never shown again; leave empty to keep the current one."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "host",
            "port",
            "security",
            "username",
            "new_password",
            "folder",
            "processed_action",
            "move_to",
            "rule",
            "is_active",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("processed_action") == ProcessedAction.MOVE and not cleaned.get("move_to"):
            self.add_error("move_to", _("Name the folder processed mail is moved to."))
        if not self.instance.password and not cleaned.get("new_password"):
            self.add_error("new_password", _("The mailbox needs a password."))
        return cleaned


class RuleTestForm(forms.Form):
    raw = forms.CharField(
        label=_("Raw mail"),
        max_length=RAW_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text=_("Paste the whole mail with its headers (in most mail programs: “Show original” or “View source”)."),
    )


class IntakeFilterForm(forms.Form):
    source_type = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *INTAKE_SOURCES]
    )
    processed = forms.ChoiceField(
        label=_("Processed"), required=False, choices=[("", _("All")), ("no", _("Open")), ("yes", _("Processed"))]
    )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {"source_type": "", "processed": ""}
        return {"source_type": self.cleaned_data["source_type"], "processed": self.cleaned_data["processed"]}


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Your reply"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8}))


class ReplyRecordForm(forms.Form):
    text = forms.CharField(
        label=_("What was answered there"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 5})
    )
    screenshot = forms.ImageField(label=_("Screenshot of the answer (optional)"), required=False)


class CommunityForm(forms.Form):
    """Bring a card's question into a forum; the staff member can edit title and text first."""

    forum = forms.ModelChoiceField(label=_("Forum"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Question"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))
    private = forms.BooleanField(label=_("Private thread (only the forum's moderators see it)"), required=False)
    tell_author = forms.BooleanField(
        label=_("Send the author a reply with the link (e-mail sources)"), required=False, initial=True
    )

    def __init__(self, *args, forums, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums


class HookSourceForm(WagtailAdminModelForm):
    """The signing secret is write-only, like a mailbox password."""

    new_secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        strip=True,
        max_length=500,
        help_text=_(
            "Standard Webhooks secret (whsec_ followed by base64), shared with the sending tool; never shown again."
        ),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = HookSource
        fields = ["name", "new_secret", "rule", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.secret and not cleaned.get("new_secret"):
            self.add_error("new_secret", _("The hook needs a signing secret."))
        return cleaned
