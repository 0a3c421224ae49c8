"""Writes of access requests, exports and erasure; every DPO action lands in the audit log.

Callers import from here (``from consent.dsar import services``); the submodules hold one concern each.
"""

from consent.dsar.services.address_requests import (
    ADDRESS_KINDS,
    address_erase,
    address_export,
    address_request_create,
)
from consent.dsar.services.dpo_role import dpo_role_changed, dpo_role_grant, dpo_role_revoke
from consent.dsar.services.erasure import (
    erasure_approvers,
    member_erase,
    member_erase_by_retention,
    member_erase_self_service,
    request_run_erasure,
)
from consent.dsar.services.exports import (
    EXPORT_DAYS,
    export_build,
    export_download_record,
    export_fail,
    export_path,
    export_request,
    exports_purge_expired,
    request_run_export,
)
from consent.dsar.services.rectification import request_rectify
from consent.dsar.services.requests import (
    AlreadyErased,
    request_assign,
    request_create,
    request_extend,
    request_note,
    request_transition,
    request_withdraw,
)
from consent.dsar.services.restriction import request_restrict
from consent.dsar.services.self_deletion import (
    account_deletion_cancel,
    account_deletion_request,
    account_deletion_run,
)
from consent.dsar.services.verification import (
    CODE_ATTEMPTS,
    CODE_HOURS,
    CodeResult,
    verification_check,
    verification_send,
)

__all__ = [
    "ADDRESS_KINDS",
    "address_erase",
    "address_export",
    "address_request_create",
    "CODE_ATTEMPTS",
    "CODE_HOURS",
    "EXPORT_DAYS",
    "AlreadyErased",
    "account_deletion_cancel",
    "account_deletion_request",
    "account_deletion_run",
    "CodeResult",
    "dpo_role_changed",
    "dpo_role_grant",
    "dpo_role_revoke",
    "erasure_approvers",
    "export_build",
    "export_download_record",
    "export_fail",
    "export_path",
    "export_request",
    "exports_purge_expired",
    "member_erase",
    "member_erase_by_retention",
    "member_erase_self_service",
    "request_assign",
    "request_create",
    "request_extend",
    "request_note",
    "request_rectify",
    "request_restrict",
    "request_run_erasure",
    "request_run_export",
    "request_transition",
    "request_withdraw",
    "verification_check",
    "verification_send",
]
