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


def test_erasure_finds_public_addresses_but_not_everybodys_network_addresses():
    """A member's own address is an identifier; the router's 192.168.0.1 in a how-to is not."""
    from portal.pii import find_ip_addresses

    text = (
        "My IP is 203.0.113.42. Router at 192.168.0.1, NAS on 10.0.0.5, docker 172.17.0.2, "
        "localhost 127.0.0.1, v6 2001:db8::1 and fe80::1, version 1.2.3.4.5, time 10:30."
    )
    assert find_ip_addresses(text) == ["203.0.113.42", "2001:db8::1"]
