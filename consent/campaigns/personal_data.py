"""Classification of the campaigns' model: the issue is not personal data; who wrote and sent it is staff authorship.

Which member got which issue is never stored: sending walks the subscribers by id and keeps only counts;
each mail waits as a ``portal.OutgoingMail`` row (classified in ``consent.personal_data``) until it has left.
"""

from consent.registry import Erasure, register

for subject in ("created_by", "sent_by"):
    register(
        "campaigns.Campaign",
        subject=subject,
        category="back_office_activity",
        export_fields=("title", "status", "created_at", "started_at"),
        erasure=Erasure.ANONYMISE,
        anonymise={subject: None},
        reason="The newsletter issue and its counts stay; the link to the erased staff account is cut.",
    )
