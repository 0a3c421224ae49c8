"""Forms of the privacy pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from consent.receipts import MAX_RECEIPT_LENGTH


class ReceiptVerifyForm(forms.Form):
    """Paste a receipt or upload the downloaded file."""

    receipt = forms.CharField(
        label=_("Receipt"),
        required=False,
        max_length=MAX_RECEIPT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Paste the content of a receipt file (.jws)."),
    )
    receipt_file = forms.FileField(label=_("…or upload the receipt file"), required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("receipt_file")
        if upload is not None:
            if upload.size > MAX_RECEIPT_LENGTH:
                raise forms.ValidationError(_("This file is too large to be a receipt."))
            try:
                data["receipt"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("This file is not a receipt."))
        if not (data.get("receipt") or "").strip():
            raise forms.ValidationError(_("Paste a receipt or choose a receipt file."))
        return data


class ReidentifyForm(forms.Form):
    """The DPO's request to learn who stands behind a pseudonym, with the reason on record."""

    pseudonym = forms.CharField(label=_("Pseudonym"), max_length=64)
    recipient = forms.ChoiceField(
        label=_("Recipient"),
        required=False,
        help_text=_("Who reported the pseudonym. Leave it open to find the recipient from the pseudonym itself."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit log and shown to the member."),
    )

    def __init__(self, *args, recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = [("", _("Find it from the pseudonym"))] + [
            (recipient.key, recipient.label) for recipient in recipients
        ]


class NoticeForm(forms.Form):
    """A new version of a purpose's notice."""

    text_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000)
    text_de = forms.CharField(label=_("Text (German)"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000)
    material = forms.BooleanField(
        label=_("Material change: members must agree again"),
        required=False,
        initial=True,
    )
