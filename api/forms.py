"""Forms of the token pages: a member's personal token, an administrator's integration token."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.scopes import INTEGRATION_SCOPES, PersonalScope, Scope
from portal.models import User
from portal.roles import Role

EXPIRY_CHOICES = [("30", _("30 days")), ("90", _("90 days")), ("365", _("One year")), ("", _("Never"))]


def expiry_from(days: str):
    return timezone.now() + timedelta(days=int(days)) if days else None


class PersonalTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("What the token is for, e.g. “my script”."))
    scope = forms.ChoiceField(label=_("Access"), choices=PersonalScope.choices, initial=PersonalScope.READ)
    expires = forms.ChoiceField(label=_("Expires after"), choices=EXPIRY_CHOICES, initial="90", required=False)


class IntegrationTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("The company tool that uses the token."))
    user = forms.ModelChoiceField(
        label=_("Acts as"),
        queryset=User.objects.none(),
        help_text=_("The staff account whose permissions the integration has (within the scopes below)."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[(s.value, s.label) for s in Scope if s in INTEGRATION_SCOPES],
        widget=forms.CheckboxSelectMultiple,
    )
    expires = forms.ChoiceField(label=_("Expires after"), choices=EXPIRY_CHOICES, initial="365", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff_groups = Group.objects.filter(name__in=[r for r in Role.STAFF if r != Role.DPO])
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True, erased_at__isnull=True, groups__in=staff_groups)
            .distinct()
            .order_by("handle")
        )
