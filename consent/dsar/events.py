"""Events of access requests; other apps subscribe (the CRM redacts and rectifies its copies).

Sent by the access-request services after the transaction commits.
"""

from __future__ import annotations

from portal.events import Event

# member_erased(user_id, report_id): the erasure run finished; report_id names its ErasureReport.
member_erased = Event("member_erased")
# member_rectified(user_id, fields): fields lists the names of the corrected account fields.
member_rectified = Event("member_rectified")
# processing_restricted(user_id, kind): kind is "restriction" or "objection".
processing_restricted = Event("processing_restricted")
