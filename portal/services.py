"""Account writes: sign-up, e-mail confirmation, profile and handle changes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import ratelimit
from portal.handles import is_reserved_handle, is_valid_handle, normalise_name
from portal.models import User
from portal.roles import Role

CONFIRM_SALT = "portal.signup.confirm"


def confirmation_token(user: User) -> str:
    """Signed token naming the account and the address it confirms."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRM_SALT, compress=True)


def confirmation_url(user: User) -> str:
    return settings.PORTAL_BASE_URL + reverse("signup_confirm", args=[confirmation_token(user)])


def user_signup(*, email: str, password: str, preferred_language: str) -> User | None:
    """Create an unconfirmed Customer account and mail the confirmation link after commit.

    A taken address gets the same work and the same answer (no enumeration): the password is hashed
    all the same and exactly one mail goes out, to the owner, saying someone tried to sign up.
    Returns the new account, or None when the address was taken.
    """
    email = User.objects.normalize_email(email).strip().lower()
    try:
        with transaction.atomic():
            if not User.objects.with_email(email).exists():
                user = User.objects.create_user(email=email, password=password, preferred_language=preferred_language)
                user.groups.add(Group.objects.get(name=Role.CUSTOMER))
                send_confirmation(user)
                return user
    except IntegrityError:
        pass  # the same address signed up concurrently: answer as for a taken one
    make_password(password)  # the hashing a new account costs, so both answers take as long
    existing = User.objects.with_email(email).first()
    if existing is not None:
        send_signup_attempt_notice(existing)
    return None


def send_signup_attempt_notice(user: User) -> None:
    """Tell an address' owner that someone tried to sign up with it (an unconfirmed owner gets the link again).

    At most ``SIGNUP_NOTICES_PER_HOUR`` such mails per address, so sign-ups cannot flood a mailbox.
    """
    from portal.mail import mail_queue

    try:
        ratelimit.hit(f"signup-notice:{user.pk}", limit=settings.SIGNUP_NOTICES_PER_HOUR, window=3600)
    except ratelimit.RateLimited:
        return
    if user.email_confirmed_at is None:
        send_confirmation(user)
        return
    with translation.override(user.preferred_language):
        subject = _("Someone tried to sign up with your e-mail address")
        body = _(
            "Someone, perhaps you, tried to create a new account with this e-mail address. "
            "You already have an account, so nothing was changed.\n\n"
            "To log in: %(login_url)s\nForgot your password? %(reset_url)s\n\n"
            "If this was not you, you can ignore this e-mail."
        ) % {
            "login_url": settings.PORTAL_BASE_URL + reverse("login"),
            "reset_url": settings.PORTAL_BASE_URL + reverse("password_reset"),
        }
    mail_queue(user=user, processor="portal.account", subject=subject, body=body)


def send_confirmation(user: User) -> None:
    """Mail the confirmation link once the account is committed; a rolled-back sign-up gets no mail."""
    from portal.mail import mail_queue

    with translation.override(user.preferred_language):
        subject = _("Confirm your e-mail address")
        body = _(
            "Welcome to the community!\n\nPlease confirm your e-mail address by opening this link "
            "(valid for 3 days):\n\n%(url)s\n\nYour public handle is @%(handle)s. If you did not sign up, ignore this e-mail."
        ) % {"url": confirmation_url(user), "handle": user.handle}
    mail_queue(user=user, processor="portal.account", subject=subject, body=body)


def user_confirm_email(*, token: str) -> User:
    """Mark the address confirmed; raises ValidationError for bad, expired or stale tokens."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.ACCOUNT_CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This confirmation link has expired. Request a new one."), code="expired") from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This confirmation link is not valid."), code="invalid") from exc
    with transaction.atomic():
        user = User.objects.select_for_update().with_email(str(data.get("e") or "")).filter(pk=data.get("u")).first()
        if user is None:
            raise ValidationError(_("This confirmation link is not valid."), code="invalid")
        if user.email_confirmed_at is None:
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["email_confirmed_at"])
    return user


def user_resend_confirmation(*, email: str) -> None:
    """Send the link again to an unconfirmed account; silent for unknown addresses (no enumeration)."""
    user = User.objects.with_email(email).filter(email_confirmed_at__isnull=True, is_active=True).first()
    if user:
        send_confirmation(user)


def user_profile_update(*, user: User, first_name: str, last_name: str, preferred_language: str) -> User:
    if preferred_language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unknown language."), code="language")
    user.first_name = normalise_name(first_name)[:150]
    user.last_name = normalise_name(last_name)[:150]
    user.preferred_language = preferred_language
    user.save(update_fields=["first_name", "last_name", "preferred_language"])
    return user


def user_handle_change(*, user: User, handle: str) -> User:
    """Change the public handle; unique, lower-case letters, digits and hyphens, not read as a staff or system name."""
    if is_reserved_handle(handle):
        raise ValidationError(
            _(
                "This handle is reserved: it could be mistaken for the team, staff or the system. Please choose another."
            ),
            code="reserved",
        )
    handle = normalise_name(handle).lower()
    if not is_valid_handle(handle):
        raise ValidationError(
            _("Use 3 to 40 lower-case letters, digits and single hyphens, starting and ending with a letter or digit."),
            code="format",
        )
    if User.objects.filter(handle=handle).exclude(pk=user.pk).exists():
        raise ValidationError(_("This handle is taken."), code="taken")
    try:
        with transaction.atomic():
            user.handle = handle
            user.save(update_fields=["handle"])
    except IntegrityError as exc:
        raise ValidationError(_("This handle is taken."), code="taken") from exc
    return user


DISPLAY_NAME_MAX = 60


def user_display_name_set(*, user: User, display_name: str) -> User:
    """A staff member chooses the name members see with the "Team" badge; an empty name shows the handle again.

    Only staff hold a display name, so a name with the badge always is the team speaking.
    """
    from portal.fragments import fragments_purge
    from portal.roles import is_staff_member

    if not is_staff_member(user):
        raise ValidationError(_("Only team members can choose a display name."), code="not_staff")
    name = normalise_name(display_name or "")
    if len(name) > DISPLAY_NAME_MAX:
        raise ValidationError(_("Use at most %(max)s characters.") % {"max": DISPLAY_NAME_MAX}, code="length")
    if name and len(name) < 2:
        raise ValidationError(_("Use at least 2 characters."), code="length")
    if name != user.display_name:
        user.display_name = name
        user.save(update_fields=["display_name"])
        transaction.on_commit(fragments_purge)  # cached post HTML still shows the old name
    return user


def user_display_name_reconcile(*, user: User) -> bool:
    """Clear the display name of an account that no longer holds a staff role; True when it was cleared."""
    from portal.fragments import fragments_purge
    from portal.roles import is_staff_member

    user.__dict__.pop("_role_names", None)
    if not user.display_name or is_staff_member(user):
        return False
    user.display_name = ""
    user.save(update_fields=["display_name"])
    transaction.on_commit(fragments_purge)
    return True


def user_set_language(*, user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
