"""Events of access requests; other apps subscribe (the CRM redacts and rectifies its copies).

Sent after the transaction commits. ``member_erased`` gets ``user_id`` and ``report_id``;
``member_rectified`` gets ``user_id`` and ``fields`` (the names of the changed account fields);
``processing_restricted`` gets ``user_id`` and ``kind`` ("restriction" or "objection").
"""

from django.dispatch import Signal

member_erased = Signal()
member_rectified = Signal()
processing_restricted = Signal()
