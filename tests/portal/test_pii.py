"""Text that looks like contact or bank data is spotted before publishing."""

from portal.pii import find_personal_data, remove_personal_data


def test_finds_email_phone_and_valid_iban():
    text = "Ruf an: +49 30 1234567, schreib an max@example.com, IBAN DE89 3704 0044 0532 0130 00."
    assert [(f.kind, f.text) for f in find_personal_data(text)] == [
        ("phone", "+49 30 1234567"),
        ("email", "max@example.com"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
    ]


def test_ignores_versions_years_and_invalid_ibans():
    assert find_personal_data("Version 2.4.1 from 2024, ticket 12345, DE00ABCDEFGHIJKLMNOP") == []


def test_remove_replaces_every_finding():
    assert remove_personal_data("mail a@b.de or 030 12345678") == "mail [removed] or [removed]"
