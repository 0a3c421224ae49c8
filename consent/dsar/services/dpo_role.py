"""Granting and removing the DPO role: the powers over members' data change hands in the open.

Every grant and removal is an audit entry (who, whom, when) and every data protection officer in office
hears of it, in the app and by mail, in their own language.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from consent.services import audit_record
from portal.notifications import notification_send
from portal.roles import Role

GRANTED = "dpo_grant"
REVOKED = "dpo_revoke"


def in_dpo_role(user) -> bool:
    """Membership of the DPO group, read fresh from the database (the role may have just changed)."""
    return user.groups.filter(name=Role.DPO).exists()


def dpo_role_grant(*, user, actor) -> bool:
    """Put ``user`` into the DPO role (``actor`` None: set-up by a command); False when they already hold it."""
    with transaction.atomic():
        if in_dpo_role(user):
            return False
        user.groups.add(Group.objects.get(name=Role.DPO))
        user.__dict__.pop("_role_names", None)
        dpo_role_changed(user=user, actor=actor, was_dpo=False)
    return True


def dpo_role_revoke(*, user, actor) -> bool:
    """Take the DPO role from ``user``; False when they did not hold it."""
    with transaction.atomic():
        if not in_dpo_role(user):
            return False
        user.groups.remove(Group.objects.get(name=Role.DPO))
        user.__dict__.pop("_role_names", None)
        dpo_role_changed(user=user, actor=actor, was_dpo=True)
    return True


def dpo_role_changed(*, user, actor, was_dpo: bool) -> str | None:
    """Record a change of the DPO role someone else already saved (the back office's user form).

    Returns the audit action written, or None when the role did not change.
    """
    is_now = in_dpo_role(user)
    if is_now == was_dpo:
        return None
    action = GRANTED if is_now else REVOKED
    with transaction.atomic():
        audit_record(actor=actor, subject=user, action=action, target=f"@{user.handle}")
        _tell_the_dpos(user=user, actor=actor, granted=is_now)
    return action


def _tell_the_dpos(*, user, actor, granted: bool) -> None:
    recipients = (
        get_user_model()
        .objects.filter(groups__name=Role.DPO, is_active=True, erased_at__isnull=True)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("pk")
    )
    names = {"member": f"@{user.handle}", "actor": f"@{actor.handle}" if actor is not None else ""}
    for recipient in recipients:
        notification_send(
            recipient=recipient,
            kind="dpo_role",
            message="dsar.dpo_granted" if granted else "dsar.dpo_revoked",
            params=names,
            url=reverse("consent_admin:audit"),
        )
