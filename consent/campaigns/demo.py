"""Demo content: a draft newsletter campaign in English and German, ready to preview, test and send."""

from __future__ import annotations

from consent.campaigns import services
from consent.campaigns.models import Campaign
from portal.models import User

TITLE = "October newsletter"


def seed(*, stdout) -> list[str]:
    """Create the draft campaign once (idempotent)."""
    editor = User.objects.with_email("editor@example.com").first()
    if editor is None or Campaign.objects.filter(title=TITLE).exists():
        return []
    services.campaign_save(
        campaign=Campaign(
            title=TITLE,
            subject_en="What's new at Acme in October",
            body_en=(
                "<h2>Offline mode is coming</h2><p>Work on your projects without a connection; everything syncs "
                'when you are back online. Read more on <a href="/blog/">our blog</a>.</p>'
                "<ul><li>Faster exports</li><li>Weekly reports</li></ul>"
            ),
            subject_de="Neues von Acme im Oktober",
            body_de=(
                "<h2>Der Offline-Modus kommt</h2><p>Arbeiten Sie ohne Verbindung an Ihren Projekten; alles wird "
                'abgeglichen, sobald Sie wieder online sind. Mehr dazu in <a href="/blog/">unserem Blog</a>.</p>'
                "<ul><li>Schnellere Exporte</li><li>Wöchentliche Berichte</li></ul>"
            ),
        ),
        actor=editor,
    )
    return []
