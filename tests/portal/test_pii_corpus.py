"""The personal-data warning flags real contact and bank data in German and English writing, and nothing else.

Members write order numbers, dates, versions, prices and addresses far more often than phone
numbers: a warning on those teaches them to click it away.
"""

import pytest

from portal.pii import find_personal_data, remove_personal_data

PERSONAL_DATA = [
    # German writing, national and international formats
    ("Ruf mich an: +49 30 1234567.", "phone", "+49 30 1234567"),
    ("Tel. 030 1234567", "phone", "030 1234567"),
    ("Meine Handynummer ist 0171 2345678", "phone", "0171 2345678"),
    ("Festnetz (030) 123 45 67, ab 9 Uhr", "phone", "(030) 123 45 67"),
    ("Rückruf bitte unter 0301234567", "phone", "0301234567"),
    ("erreichbar unter 0171 234 56 78", "phone", "0171 234 56 78"),
    ("Büro: 089 / 12 34 56 78", "phone", "089 / 12 34 56 78"),
    ("Tel.: 030/1234567", "phone", "030/1234567"),
    ("Fax 030-1234567", "phone", "030-1234567"),
    ("aus dem Ausland 0049 30 1234567", "phone", "0049 30 1234567"),
    ("Zentrale +49 (0)30 1234567", "phone", "+49 (0)30 1234567"),
    ("Mobil +49 171 234 56 78", "phone", "+49 171 234 56 78"),
    ("Wien: 01 5134567", "phone", "01 5134567"),
    ("Zürich 044 668 18 00", "phone", "044 668 18 00"),
    ("Überweisung an DE89 3704 0044 0532 0130 00 bitte", "iban", "DE89 3704 0044 0532 0130 00"),
    ("IBAN: DE89370400440532013000.", "iban", "DE89370400440532013000"),
    ("IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX", "iban", "DE89 3704 0044 0532 0130 00"),
    ("Konto AT61 1904 3002 3457 3201", "iban", "AT61 1904 3002 3457 3201"),
    ("Schreib an max.mustermann@example.de", "email", "max.mustermann@example.de"),
    # English writing
    ("Call me on +1 415 555 0132 tomorrow", "phone", "+1 415 555 0132"),
    ("Our US office: (415) 555-0132", "phone", "(415) 555-0132"),
    ("ring me at 020 7946 0958", "phone", "020 7946 0958"),
    ("my mobile is +44 7911 123456", "phone", "+44 7911 123456"),
    ("text 07911 123456 after six", "phone", "07911 123456"),
    ("the Paris office, +33 1 42 68 53 00", "phone", "+33 1 42 68 53 00"),
    ("pay to GB82 WEST 1234 5698 7654 32", "iban", "GB82 WEST 1234 5698 7654 32"),
    ("mail jane.doe+support@example.co.uk", "email", "jane.doe+support@example.co.uk"),
]

NOT_PERSONAL_DATA = [
    "Order 12345678 has not arrived",
    "Bestellung 12345678 ist nicht angekommen",
    "Released 2024.11.05",
    "The server 192.168.100.200 does not answer",
    "IP 10.0.0.1 and 172.16.254.1:8080",
    "Version 1.2.3.4 fixed it",
    "Build 10.0.19045.3693",
    "Das kostet 1.234.567,89 €",
    "That costs $1,234,567.89",
    "Seit dem 05.11.2024 geht es nicht mehr",
    "am 05.11.2024 um 10:30 Uhr",
    "Zeitraum 01.01.2024 - 31.12.2024",
    "Liefertermin 05-11-2024",
    "since 2024-11-05 and 11/05/2024",
    "See ticket #1234567",
    "Issue #12345 and #67890",
    "10115 Berlin",
    "PLZ 80331 München",
    "1010 Wien",
    "London SW1A 1AA",
    "since 1999",
    "Version 2.4.1 from 2024, ticket 12345",
    "from 2019 to 2024",
    "Kundennummer 123456789",
    "Rechnung RE-2024-00123",
    "ISBN 978-3-16-148410-0",
    "Sendungsnummer 1Z999AA10123456784",
    "10.000 Nutzer und 1.000.000 Downloads",
    "Zeile 120-130, Seite 12 von 345",
    "14:30 Uhr",
    "DE00ABCDEFGHIJKLMNOP",
    "DE89 3704 0044 0532 0130 01",  # checksum off by one
    "ES2015 modules and HTTP2 servers",
]


@pytest.mark.parametrize(("text", "kind", "found"), PERSONAL_DATA)
def test_flags_real_contact_and_bank_data(text, kind, found):
    """Each phone number, IBAN and e-mail address is found once, with exactly its own characters."""
    assert [(f.kind, f.text) for f in find_personal_data(text)] == [(kind, found)]


@pytest.mark.parametrize("text", NOT_PERSONAL_DATA)
def test_does_not_flag_numbers_that_are_not_contact_data(text):
    """Orders, dates, IP addresses, versions, prices, tickets, postcodes and years raise no warning."""
    assert find_personal_data(text) == []


def test_a_post_mixing_both_flags_only_the_contact_data():
    """Findings come in order with their exact positions; dates, orders and prices around them stay."""
    text = (
        "Bestellung 12345678 vom 05.11.2024 (1.234,50 €) fehlt. Server 192.168.100.200, Version 1.2.3.4. "
        "Ruf mich an: 0171 2345678 oder schreib an erika@example.org, IBAN DE89 3704 0044 0532 0130 00."
    )
    findings = find_personal_data(text)
    assert [(f.kind, f.text) for f in findings] == [
        ("phone", "0171 2345678"),
        ("email", "erika@example.org"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
    ]
    assert all(text[f.start : f.end] == f.text for f in findings)
    assert remove_personal_data(text) == (
        "Bestellung 12345678 vom 05.11.2024 (1.234,50 €) fehlt. Server 192.168.100.200, Version 1.2.3.4. "
        "Ruf mich an: [removed] oder schreib an [removed], IBAN [removed]."
    )


def test_national_formats_follow_the_configured_regions(settings):
    """PII_PHONE_REGIONS decides which national formats count; international numbers count for every country."""
    settings.PII_PHONE_REGIONS = ["DE"]
    assert find_personal_data("US office (415) 555-0132") == []
    assert [f.text for f in find_personal_data("US office +1 415 555 0132, Berlin 030 1234567")] == [
        "+1 415 555 0132",
        "030 1234567",
    ]
    settings.PII_PHONE_REGIONS = ["US"]
    assert [f.text for f in find_personal_data("US office (415) 555-0132")] == ["(415) 555-0132"]
    assert find_personal_data("Berlin 030 1234567") == []


def test_empty_text_has_no_findings():
    """An empty field (or none at all) is fine to publish."""
    assert find_personal_data("") == []
    assert find_personal_data(None) == []
    assert remove_personal_data("") == ""
