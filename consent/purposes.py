"""The purposes a fresh install starts with, and their first notices (English and German).

Installed by the data migration 0002 and again after every ``migrate``/``flush`` (post_migrate),
idempotently, so the purpose codes other apps rely on always exist.
"""

from __future__ import annotations

DEFAULT_PURPOSES = (
    {
        "code": "crm_followup",
        "position": 1,
        "name_en": "Follow-up by our team",
        "name_de": "Nachfassen durch unser Team",
        "summary_en": "Our sales and support team may contact you about topics you raised.",
        "summary_de": "Unser Vertriebs- und Support-Team darf Sie zu Themen kontaktieren, die Sie angesprochen haben.",
        "data_categories": "e-mail address, name, forum threads you tagged",
        "recipients": "Acme GmbH sales and support (CRM)",
        "retention": "until withdrawal, at most 24 months after the last contact",
        "text_en": "When you agree, threads of yours that our team tags as a sales or support topic are passed to our "
        "CRM together with your e-mail address and name, so that a member of our team can contact you. Without "
        "this consent the CRM only receives a pseudonym. You can withdraw at any time in the privacy centre; the "
        "CRM is then told to remove your data.",
        "text_de": "Wenn Sie zustimmen, werden Ihre Beiträge, die unser Team als Vertriebs- oder Support-Thema "
        "markiert, zusammen mit Ihrer E-Mail-Adresse und Ihrem Namen an unser CRM übergeben, damit Sie jemand aus "
        "unserem Team kontaktieren kann. Ohne diese Einwilligung erhält das CRM nur ein Pseudonym. Sie können "
        "jederzeit im Datenschutzzentrum widerrufen; das CRM wird dann angewiesen, Ihre Daten zu löschen.",
    },
    {
        "code": "newsletter",
        "position": 2,
        "name_en": "Newsletter",
        "name_de": "Newsletter",
        "summary_en": "News about our products and the community by e-mail, about once a month.",
        "summary_de": "Neuigkeiten zu unseren Produkten und der Community per E-Mail, etwa einmal im Monat.",
        "data_categories": "e-mail address, language",
        "recipients": "none (sent by Acme GmbH)",
        "retention": "until withdrawal",
        "double_opt_in": True,
        "marketing": True,
        "text_en": "We send you our newsletter by e-mail, about once a month. You confirm your address through a "
        "link we mail you; until then you receive nothing. Every newsletter has an unsubscribe link that works "
        "with one click, without logging in.",
        "text_de": "Wir senden Ihnen unseren Newsletter per E-Mail, etwa einmal im Monat. Sie bestätigen Ihre "
        "Adresse über einen Link, den wir Ihnen schicken; bis dahin erhalten Sie nichts. Jeder Newsletter enthält "
        "einen Abmeldelink, der mit einem Klick ohne Anmeldung funktioniert.",
    },
    {
        "code": "analytics",
        "position": 3,
        "name_en": "Usage statistics",
        "name_de": "Nutzungsstatistik",
        "summary_en": "Pseudonymous statistics of which pages and features you use, to improve the portal.",
        "summary_de": "Pseudonyme Statistik, welche Seiten und Funktionen Sie nutzen, um das Portal zu verbessern.",
        "data_categories": "pages visited, features used, analytics pseudonym",
        "recipients": "none (self-hosted)",
        "retention": "14 months",
        "text_en": "We count which pages and features you use under an analytics pseudonym that cannot be linked to "
        "your account by anyone but our data protection officer. The figures help us improve the portal.",
        "text_de": "Wir zählen, welche Seiten und Funktionen Sie nutzen, unter einem Statistik-Pseudonym, das nur "
        "unsere Datenschutzbeauftragte Ihrem Konto zuordnen kann. Die Zahlen helfen uns, das Portal zu verbessern.",
    },
    {
        "code": "public_profile",
        "position": 4,
        "name_en": "Public profile page",
        "name_de": "Öffentliche Profilseite",
        "summary_en": "A public page under your handle listing your posts and ideas.",
        "summary_de": "Eine öffentliche Seite unter Ihrem Handle mit Ihren Beiträgen und Ideen.",
        "data_categories": "handle, public posts and ideas",
        "recipients": "the public",
        "retention": "until withdrawal",
        "text_en": "Other visitors can open a profile page under your handle that lists your public posts and ideas. "
        "Your name and e-mail address are never shown. Without this consent your posts show your handle only.",
        "text_de": "Andere Besucher können unter Ihrem Handle eine Profilseite mit Ihren öffentlichen Beiträgen und "
        "Ideen öffnen. Name und E-Mail-Adresse werden nie gezeigt. Ohne diese Einwilligung zeigen Ihre Beiträge nur "
        "Ihr Handle.",
    },
    {
        "code": "chat_transcript",
        "position": 5,
        "name_en": "Keep chat transcripts",
        "name_de": "Chat-Verläufe aufbewahren",
        "summary_en": "We keep your support chats so that you and our team can look back at them.",
        "summary_de": "Wir bewahren Ihre Support-Chats auf, damit Sie und unser Team darauf zurückgreifen können.",
        "data_categories": "chat messages",
        "recipients": "Acme GmbH support",
        "retention": "12 months",
        "text_en": "Transcripts of your support chats are kept for 12 months so that you and our support team can look "
        "back at them. Without this consent a chat is deleted 24 hours after it ends.",
        "text_de": "Verläufe Ihrer Support-Chats werden 12 Monate aufbewahrt, damit Sie und unser Support-Team "
        "darauf zurückgreifen können. Ohne diese Einwilligung wird ein Chat 24 Stunden nach dem Ende gelöscht.",
    },
)


def install_default_purposes(Purpose, NoticeVersion) -> None:
    """Create missing default purposes with notice version 1 (model classes passed for migrations)."""
    for spec in DEFAULT_PURPOSES:
        spec = dict(spec)
        text_en, text_de = spec.pop("text_en"), spec.pop("text_de")
        code = spec.pop("code")
        purpose, _created = Purpose.objects.get_or_create(code=code, defaults=spec)
        if not NoticeVersion.objects.filter(purpose=purpose).exists():
            NoticeVersion.objects.create(purpose=purpose, version=1, text_en=text_en, text_de=text_de, material=True)
