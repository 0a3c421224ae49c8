"""Account forms (no box is ever pre-ticked), and how every form shows a service's ValidationError."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.models import User


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on ``form``: each error at its field, the rest above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password."),
    )
    password2 = forms.CharField(
        label=_("Repeat password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def clean_email(self):
        # A taken address is not an error here: the sign-up answers alike for it (services.user_signup).
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=data.get("email", "")))
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class EmailAuthenticationForm(AuthenticationForm):
    """Login by e-mail; failures are throttled by django-axes per client address and account (portal.login_throttle)."""

    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("E-mail address or password is not correct."),
        "unconfirmed": _("Please confirm your e-mail address first. We can send the link again."),
    }

    def clean(self):
        self.cleaned_data["username"] = (self.cleaned_data.get("username") or "").strip().lower()
        return super().clean()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.email_confirmed_at is None:
            raise ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")


class BlindIndexResetMixin:
    """A password-reset form finding the account through the blind index (addresses are encrypted at rest)."""

    def get_users(self, email):
        users = User._default_manager.with_email(email).filter(is_active=True)
        return (user for user in users if user.has_usable_password() and user.email.lower() == email.strip().lower())


class PasswordResetForm(BlindIndexResetMixin, DjangoPasswordResetForm):
    """The portal's reset form."""


class ResendConfirmationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name (private)"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name (private)"), max_length=150, required=False)
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class HandleForm(forms.Form):
    handle = forms.CharField(label=_("Public handle"), max_length=40)


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        required=False,
        help_text=_(
            "Members see this name with the “Team” badge instead of your handle. Leave empty to show the handle."
        ),
    )


class BioForm(forms.Form):
    # No max_length here: browsers send a line break as two characters; portal.profiles counts the cleaned text.
    bio = forms.CharField(
        label=_("Short bio"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 300}),
        help_text=_("Plain text, at most 300 characters. Shown on your public profile page only."),
    )
