"""Who may do what in the privacy core."""

from __future__ import annotations

from portal.roles import Role, role_names

REIDENTIFY = "consent.reidentify_pseudonym"
RECORD_OF_PROCESSING = "consent.view_record_of_processing"
VERIFY_LEDGER = "consent.verify_ledger"
VIEW_AUDIT = "consent.view_auditentry"
MANAGE_REQUESTS = "dsar.manage_accessrequest"


def is_dpo(user, permission: str = MANAGE_REQUESTS) -> bool:
    """Powers over another member's data belong to the DPO role: being a superuser grants none of them."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    # The permission first: it is cached on the user, so staff without it cost no group query.
    return user.has_perm(permission) and Role.DPO in role_names(user)


def can_reidentify(user) -> bool:
    """Re-identification is the DPO's alone: a superuser without the DPO role may not."""
    return is_dpo(user, REIDENTIFY)


def can_view_record_of_processing(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(RECORD_OF_PROCESSING))


def can_verify_ledger(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(VERIFY_LEDGER))


def can_view_audit_log(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(VIEW_AUDIT))
