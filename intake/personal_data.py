"""Classification of the intake models in the personal-data registry.

Outside authors are not members: nothing here has a path to a member. Their data (name, address,
the text they wrote) is found and handled through an access or erasure request for an e-mail
address in the DPO console (intake fills consent.dsar.address_sources from its AppConfig).
"""

from consent.registry import Erasure, not_personal, register

register(
    "intake.IntakeMail",
    subject="",
    category="",
    export_fields=(),
    erasure=Erasure.RETAIN,
    reason="Mails of outside authors (no members): the sanitised text, the author's name and address that the "
    "card and the reply need, never attachments. Deleted by the retention category intake.cards (default 180 days "
    "after the card was processed) and by the erasure of a request for the author's e-mail address in the DPO "
    "console (the cards are anonymised and every CRM that received one redacts its copy).",
)
not_personal("intake.Mailbox", reason="IMAP endpoint, folder and the encrypted company password; counters.")
not_personal("intake.HookSource", reason="A sending tool's name, encrypted signing secret and counters.")
not_personal("intake.Feed", reason="A feed's address, brand keywords, HTTP validators and counters.")
not_personal("intake.ParsingRule", reason="Patterns that recognise notification mails; no person.")
not_personal("intake.Product", reason="Product names, keywords and web addresses.")
