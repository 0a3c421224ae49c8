"""Account pages: sign-up, confirmation, login, profile, notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from portal import login_throttle, notifications, profiles, ratelimit, services
from portal.avatars import avatar_url
from portal.bilingual import path_in_language
from portal.client_address import client_ip
from portal.forms import (
    BioForm,
    DisplayNameForm,
    EmailAuthenticationForm,
    HandleForm,
    PasswordResetForm,
    ProfileForm,
    ResendConfirmationForm,
    SignupForm,
    add_service_errors,
)
from portal.roles import is_staff_member


@require_http_methods(["GET", "POST"])
def signup(request):
    """Sign-up answers alike for new and taken addresses: both go to "check your e-mail" (services.user_signup)."""
    if request.user.is_authenticated:
        return redirect("account")
    form = SignupForm(request.POST or None, initial={"preferred_language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.hit(f"signup:{client_ip(request)}", limit=settings.SIGNUP_RATE_PER_HOUR, window=3600)
        except ratelimit.RateLimited:
            form.add_error(None, _("Too many sign-ups from your network. Please try again later."))
            return render(request, "portal/signup.html", {"form": form}, status=429)
        try:
            services.user_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                preferred_language=form.cleaned_data["preferred_language"],
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            return redirect("signup_done")
    return render(request, "portal/signup.html", {"form": form})


def signup_done(request):
    return render(request, "portal/signup_done.html")


def signup_confirm(request, token: str):
    try:
        services.user_confirm_email(token=token)
    except ValidationError as exc:
        return render(request, "portal/signup_confirm_failed.html", {"error": exc.messages[0]}, status=400)
    messages.success(request, _("Your e-mail address is confirmed. You can log in now."))
    return redirect("login")


@require_http_methods(["GET", "POST"])
def resend_confirmation(request):
    form = ResendConfirmationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.hit(f"resend:{client_ip(request)}", limit=5, window=3600)
        except ratelimit.RateLimited:
            form.add_error(None, _("Too many requests. Please try again later."))
        else:
            services.user_resend_confirmation(email=form.cleaned_data["email"])
            messages.info(request, _("If an unconfirmed account uses this address, we sent the link again."))
            return redirect("login")
    return render(request, "portal/resend_confirmation.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Login by e-mail; django-axes throttles failures per client address and account (portal.login_throttle)."""

    form_class = EmailAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            return response
        services.user_set_language(user=user, language=self.request.LANGUAGE_CODE)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Reset mail, at most ``PASSWORD_RESET_PER_EMAIL_PER_HOUR`` per address and ``..._PER_CLIENT_...`` per client.

    Over a limit nothing is sent, and the answer is the same "check your e-mail" page: it must not
    tell whether an address has an account, nor whether a limit was reached for it.
    """

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    form_class = PasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        try:
            ratelimit.hit(
                f"reset-client:{client_ip(self.request)}",
                limit=settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR,
                window=3600,
            )
            # Keyed by a keyed hash of the address: the cache never holds an e-mail address.
            address_key = salted_hmac("portal.reset-limit", email).hexdigest()[:32]
            ratelimit.hit(f"reset-email:{address_key}", limit=settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR, window=3600)
        except ratelimit.RateLimited:
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the mailed link proves the mailbox: it also lifts the account's login locks."""

    def form_valid(self, form):
        response = super().form_valid(form)
        login_throttle.account_unlock(email=self.user.email)
        login_throttle.mark_owner_verified(response, email=self.user.email, secure=self.request.is_secure())
        return response


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    user = request.user
    profile_form = ProfileForm(
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "preferred_language": user.preferred_language,
        }
    )
    handle_form = HandleForm(initial={"handle": user.handle})
    is_staff = is_staff_member(user)
    display_name_form = DisplayNameForm(initial={"display_name": user.display_name}) if is_staff else None
    bio_form = BioForm(initial={"bio": user.bio})
    if request.method == "POST":
        if "save_bio" in request.POST:
            bio_form = BioForm(request.POST)
            if bio_form.is_valid():
                try:
                    profiles.user_bio_set(user=user, bio=bio_form.cleaned_data["bio"])
                except ValidationError as exc:
                    bio_form.add_error("bio", exc)
                else:
                    messages.success(request, _("Your bio is saved."))
                    return redirect(reverse("account") + "#public-profile-heading")
        elif "save_display_name" in request.POST and is_staff:
            display_name_form = DisplayNameForm(request.POST)
            if display_name_form.is_valid():
                try:
                    services.user_display_name_set(
                        user=user, display_name=display_name_form.cleaned_data["display_name"]
                    )
                except ValidationError as exc:
                    add_service_errors(display_name_form, exc)
                else:
                    messages.success(request, _("Your display name is saved."))
                    return redirect("account")
        elif "save_handle" in request.POST:
            handle_form = HandleForm(request.POST)
            if handle_form.is_valid():
                try:
                    services.user_handle_change(user=user, handle=handle_form.cleaned_data["handle"])
                except ValidationError as exc:
                    handle_form.add_error("handle", exc)
                else:
                    messages.success(request, _("Your public handle is now @%(handle)s.") % {"handle": user.handle})
                    return redirect("account")
        else:
            profile_form = ProfileForm(request.POST)
            if profile_form.is_valid():
                services.user_profile_update(user=user, **profile_form.cleaned_data)
                messages.success(request, _("Your profile is saved."))
                response = redirect("account")
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.preferred_language, samesite="Lax")
                return response
    return render(
        request,
        "portal/account.html",
        {
            "profile_form": profile_form,
            "handle_form": handle_form,
            "display_name_form": display_name_form,
            "bio_form": bio_form,
            "avatar_url": avatar_url(user),
            "avatar_max_bytes": settings.AVATAR_MAX_BYTES,
            "profile_public": profiles.profile_visible(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request):
    prefs = notifications.preferences_for(request.user)
    if request.method == "POST":
        choices = {
            code: (f"in_app:{code}" in request.POST, f"email:{code}" in request.POST) for code in notifications.KINDS
        }
        notifications.preferences_update(user=request.user, choices=choices)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications")
    items = list(notifications.recent_for(request.user))
    rows = [(notifications.KINDS[code], pref) for code, pref in prefs.items()]
    response = render(request, "portal/notifications.html", {"items": items, "preference_rows": rows})
    return response


@login_required
@require_GET
def notifications_latest(request):
    """The notifications page's list alone, fetched by the page when the member's notifications change."""
    return render(
        request, "portal/includes/notification_list.html", {"items": list(notifications.recent_for(request.user))}
    )


@login_required
@require_POST
def notifications_mark_read(request):
    notifications.notifications_mark_read(user=request.user)
    return redirect("notifications")


def set_language(request):
    """Django's language switch (``django.views.i18n.set_language``), keeping the member on the same Wagtail page."""
    from_language = translation.get_language() or settings.LANGUAGE_CODE
    to_language = request.POST.get("language", "")
    response = django_set_language(request)
    if (
        request.method == "POST"
        and response.status_code == 302
        and to_language in dict(settings.LANGUAGES)
        and to_language != from_language
    ):
        response["Location"] = path_in_language(
            request, response["Location"], from_language=from_language, to_language=to_language
        )
    return response
