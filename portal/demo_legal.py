"""The demo company's imprint and privacy policy in English and German (seed_demo's legal pages).

Plausible texts for the fictitious Acme GmbH; a real operator replaces them in the back office.
"""

from __future__ import annotations

import datetime

UPDATED = datetime.date(2026, 3, 1)


def _body(*sections: tuple[str, str]) -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    for heading, html in sections:
        if heading:
            blocks.append(("heading", heading))
        blocks.append(("paragraph", html))
    return blocks


IMPRINT_EN = _body(
    ("", "<p>Information according to § 5 of the German Digital Services Act (DDG).</p>"),
    ("Provider", "<p>Acme GmbH<br/>Musterstraße 1<br/>10115 Berlin<br/>Germany</p>"),
    ("Represented by", "<p>Managing directors: Jana Beispiel, Tom Muster</p>"),
    ("Contact", "<p>Phone: +49 30 1234567-0<br/>E-mail: community@acme.example</p>"),
    ("Register entry", "<p>Commercial register: Amtsgericht Berlin-Charlottenburg, HRB 123456 B</p>"),
    ("VAT ID", "<p>VAT identification number according to § 27a of the German VAT Act: DE123456789</p>"),
    (
        "Responsible for content",
        "<p>Responsible for journalistic and editorial content according to § 18(2) MStV: "
        "Erika Redaktion, Musterstraße 1, 10115 Berlin</p>",
    ),
    (
        "Consumer dispute resolution",
        "<p>We are neither willing nor obliged to take part in dispute resolution proceedings before a "
        "consumer arbitration board.</p>",
    ),
)

IMPRINT_DE = _body(
    ("", "<p>Angaben gemäß § 5 Digitale-Dienste-Gesetz (DDG).</p>"),
    ("Anbieter", "<p>Acme GmbH<br/>Musterstraße 1<br/>10115 Berlin<br/>Deutschland</p>"),
    ("Vertreten durch", "<p>Geschäftsführung: Jana Beispiel, Tom Muster</p>"),
    ("Kontakt", "<p>Telefon: +49 30 1234567-0<br/>E-Mail: community@acme.example</p>"),
    ("Registereintrag", "<p>Handelsregister: Amtsgericht Berlin-Charlottenburg, HRB 123456 B</p>"),
    ("Umsatzsteuer-ID", "<p>Umsatzsteuer-Identifikationsnummer gemäß § 27a Umsatzsteuergesetz: DE123456789</p>"),
    (
        "Verantwortlich für den Inhalt",
        "<p>Verantwortlich für journalistisch-redaktionelle Inhalte gemäß § 18 Abs. 2 MStV: "
        "Erika Redaktion, Musterstraße 1, 10115 Berlin</p>",
    ),
    (
        "Verbraucherstreitbeilegung",
        "<p>Wir sind nicht bereit und nicht verpflichtet, an Streitbeilegungsverfahren vor einer "
        "Verbraucherschlichtungsstelle teilzunehmen.</p>",
    ),
)

PRIVACY_EN = _body(
    (
        "Controller",
        "<p>Acme GmbH, Musterstraße 1, 10115 Berlin, Germany, e-mail: community@acme.example. "
        "Our data protection officer: Dana Datenschutz, dpo@acme.example.</p>",
    ),
    (
        "What we process and why",
        "<ul><li><b>Your account</b> (e-mail address, password hash, public handle, language) to run the "
        "community (Art. 6(1)(b) GDPR).</li><li><b>Your posts, ideas, votes and chats</b>, shown under your "
        "pseudonymous handle, never under your real name (Art. 6(1)(b) GDPR).</li><li><b>CRM follow-up, "
        "newsletter, analytics and a public profile</b> only with your separate consent (Art. 6(1)(a) GDPR), "
        "which you can withdraw at any time in the privacy centre.</li><li><b>Security logs</b> (failed "
        "log-ins, rate limits) to protect the service (Art. 6(1)(f) GDPR).</li></ul>",
    ),
    (
        "Recipients",
        "<p>Our CRM receives a pseudonym unless you consented to more. We use no tracking pixels, no "
        "advertising networks and no third-party analytics.</p>",
    ),
    (
        "How long we keep data",
        "<p>Account data for as long as your account exists; chat transcripts and security logs for the "
        "periods shown in the privacy centre. Consent records are kept as proof for three years after "
        "withdrawal.</p>",
    ),
    (
        "Your rights",
        "<p>You have the right to access, rectification, erasure, restriction, data portability and "
        "objection (Art. 15–21 GDPR). Download all your data or request erasure yourself in the "
        "privacy centre. You may also complain to a supervisory authority, for example the Berlin "
        "Commissioner for Data Protection and Freedom of Information.</p>",
    ),
)

PRIVACY_DE = _body(
    (
        "Verantwortlicher",
        "<p>Acme GmbH, Musterstraße 1, 10115 Berlin, Deutschland, E-Mail: community@acme.example. "
        "Unsere Datenschutzbeauftragte: Dana Datenschutz, dpo@acme.example.</p>",
    ),
    (
        "Was wir verarbeiten und warum",
        "<ul><li><b>Ihr Konto</b> (E-Mail-Adresse, Passwort-Hash, öffentlicher Name, Sprache), um die "
        "Community zu betreiben (Art. 6 Abs. 1 lit. b DSGVO).</li><li><b>Ihre Beiträge, Ideen, Stimmen und "
        "Chats</b>, angezeigt unter Ihrem pseudonymen öffentlichen Namen, nie unter Ihrem echten Namen (Art. 6 Abs. 1 "
        "lit. b DSGVO).</li><li><b>CRM-Nachverfolgung, Newsletter, Analyse und ein öffentliches Profil</b> "
        "nur mit Ihrer gesonderten Einwilligung (Art. 6 Abs. 1 lit. a DSGVO), die Sie jederzeit im "
        "Datenschutzzentrum widerrufen können.</li><li><b>Sicherheitsprotokolle</b> (fehlgeschlagene "
        "Anmeldungen, Ratenbegrenzung) zum Schutz des Dienstes (Art. 6 Abs. 1 lit. f DSGVO).</li></ul>",
    ),
    (
        "Empfänger",
        "<p>Unser CRM erhält ein Pseudonym, sofern Sie nicht in mehr eingewilligt haben. Wir verwenden "
        "keine Zählpixel, keine Werbenetzwerke und keine Analysedienste Dritter.</p>",
    ),
    (
        "Speicherdauer",
        "<p>Kontodaten, solange Ihr Konto besteht; Chat-Verläufe und Sicherheitsprotokolle für die im "
        "Datenschutzzentrum genannten Fristen. Einwilligungsnachweise bewahren wir nach einem Widerruf "
        "drei Jahre lang als Beleg auf.</p>",
    ),
    (
        "Ihre Rechte",
        "<p>Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung, "
        "Datenübertragbarkeit und Widerspruch (Art. 15–21 DSGVO). Laden Sie alle Ihre Daten selbst herunter "
        "oder beantragen Sie die Löschung im Datenschutzzentrum. Sie können sich außerdem bei einer "
        "Aufsichtsbehörde beschweren, zum Beispiel bei der Berliner Beauftragten für Datenschutz und "
        "Informationsfreiheit.</p>",
    ),
)

TEXTS = {
    "imprint": {
        "en": {"title": "Imprint", "body": IMPRINT_EN},
        "de": {"title": "Impressum", "body": IMPRINT_DE},
    },
    "privacy_policy": {
        "en": {"title": "Privacy policy", "body": PRIVACY_EN},
        "de": {"title": "Datenschutzerklärung", "body": PRIVACY_DE},
    },
}
