"""Who may do what in the privacy core."""

from __future__ import annotations

from portal.roles import Role

REIDENTIFY = "consent.reidentify_pseudonym"
RECORD_OF_PROCESSING = "consent.view_record_of_processing"
VERIFY_LEDGER = "consent.verify_ledger"
VIEW_AUDIT = "consent.view_auditentry"


def can_reidentify(user) -> bool:
    """Re-identification is the DPO's alone: a superuser without the DPO role may not."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.groups.filter(name=Role.DPO).exists() and user.has_perm(REIDENTIFY)


def can_view_record_of_processing(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(RECORD_OF_PROCESSING))


def can_verify_ledger(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(VERIFY_LEDGER))


def can_view_audit_log(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(VIEW_AUDIT))
