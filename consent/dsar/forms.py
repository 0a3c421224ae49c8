"""Forms of the member-facing request pages and the DPO console."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consent.dsar.models import RequestChannel, RequestKind


class PasswordConfirmForm(forms.Form):
    """Re-authentication before anything that hands out or removes the member's data."""

    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user or not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="password")
        return password


class AccountDeletionForm(PasswordConfirmForm):
    """Deleting one's own account: the password, and a tick that the summary above was read."""

    understood = forms.BooleanField(
        label=_("I understand that my account will be erased after the grace period unless I sign in before."),
        error_messages={"required": _("Tick the box to confirm that you want to delete your account.")},
    )
    field_order = ["password", "understood"]


class MemberRequestForm(PasswordConfirmForm):
    kind = forms.ChoiceField(label=_("What do you ask for?"), choices=RequestKind.choices)
    details = forms.CharField(
        label=_("Details (optional)"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    field_order = ["kind", "details", "password"]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the e-mail"), max_length=12, widget=forms.TextInput(attrs={"autocomplete": "one-time-code"})
    )


class StaffRequestForm(forms.Form):
    """A request received by letter or e-mail, entered by the DPO."""

    member = forms.CharField(label=_("Member (e-mail address or handle)"))
    kind = forms.ChoiceField(label=_("Kind"), choices=RequestKind.choices)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[
            (RequestChannel.EMAIL, RequestChannel.EMAIL.label),
            (RequestChannel.LETTER, RequestChannel.LETTER.label),
        ],
    )
    details = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AddressRequestForm(forms.Form):
    """A request by letter or e-mail from someone who is not a member, about the data held for an address."""

    address = forms.EmailField(
        label=_("E-mail address the request is about"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(RequestKind.ACCESS, RequestKind.ACCESS.label), (RequestKind.ERASURE, RequestKind.ERASURE.label)],
    )
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[
            (RequestChannel.EMAIL, RequestChannel.EMAIL.label),
            (RequestChannel.LETTER, RequestChannel.LETTER.label),
        ],
    )
    language = forms.ChoiceField(label=_("Language of our answers"), choices=settings.LANGUAGES)
    details = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Extend by"), coerce=int, choices=[(1, _("one month")), (2, _("two months"))]
    )
    reason = forms.CharField(label=_("Reason (sent to the member)"), widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class RectifyForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    email = forms.EmailField(label=_("E-mail address"))


class RetentionPolicyForm(forms.Form):
    """The DPO's period of one retention category."""

    days = forms.IntegerField(label=_("Kept for (days)"), min_value=0, max_value=36500)
    enabled = forms.BooleanField(label=_("Enforce this policy in the daily run"), required=False)


class LiftRestrictionForm(forms.Form):
    restriction = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why does the restriction end? (kept in the history and sent to the member)"),
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
