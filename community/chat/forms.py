"""Forms of the chat pages; validation proper happens in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.chat.models import BODY_MAX, TOPIC_MAX
from portal.pii_warning import PersonalDataWarningMixin


class ChatStartForm(PersonalDataWarningMixin, forms.Form):
    """A topic and the first message."""

    personal_data_fields = ("topic", "body")

    topic = forms.CharField(
        label=_("Topic"), max_length=TOPIC_MAX, help_text=_("A few words, e.g. “Invoice is missing”.")
    )
    body = forms.CharField(
        label=_("Your message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown works. Please do not share passwords or bank details."),
    )
