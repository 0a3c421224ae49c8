"""Back-office forms: a subscription (URL and events) and the delivery log's filter."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from api.webhooks.models import DeliveryState, WebhookSubscription
from api.webhooks.payloads import SUBSCRIBABLE

EVENT_LABELS = {
    "thread.created": _("A question was published"),
    "post.created": _("A reply was published"),
    "thread.tagged": _("A thread was tagged"),
    "thread.answered": _("An answer was accepted"),
    "idea.created": _("An idea was posted"),
    "idea.status_changed": _("An idea's status changed"),
    "card.created": _("An interest card was created"),
    "card.processed": _("An interest card was processed"),
    "consent.changed": _("A member granted or withdrew a consent (pseudonymous)"),
    "kb.article.published": _("A knowledge base article was published"),
}


class SubscriptionForm(forms.ModelForm):
    """Name, URL and events; the signing secret is made by the portal, never typed in."""

    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https", help_text=_("Where the portal POSTs each event.")
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, f"{name}: {EVENT_LABELS[name]}") for name in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "is_active"]


class DeliveryFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All states")), *DeliveryState.choices])
