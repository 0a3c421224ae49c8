"""Reserved handles and clean names (issue 18, finding 8)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.handles import ADJECTIVES, ANIMALS, is_reserved_handle, normalise_name

pytestmark = pytest.mark.django_db

RESERVED_MESSAGE = "This handle is reserved"


def change_handle(client, handle):
    return client.post(reverse("account"), {"save_handle": "1", "handle": handle})


@pytest.mark.parametrize(
    "handle",
    [
        "admin",
        "administrator",
        "moderator",
        "mod",
        "support",
        "staff",
        "dpo",
        "root",
        "system",
        "team",
        "official",
        "security",
        "help",
        "privacy",
        "Admin",
        "ad-min",
        "Admin_",
        "ADMIN",
        "adm1n",
        "m0derator",
        "5upport",
        "admin-anna",
        "the-support-team",
        "deleted-member",
    ],
)
def test_reserved_handles_are_refused_with_a_clear_message(client, customer, handle):
    """Staff and system names, in any case, with separators or look-alike digits, are refused; the handle stays."""
    before = customer.handle
    client.force_login(customer)
    response = change_handle(client, handle)
    assert response.status_code == 200
    assert RESERVED_MESSAGE in response.content.decode()
    customer.refresh_from_db()
    assert customer.handle == before


@pytest.mark.parametrize(
    "handle", ["quiet-otter-4821", "moderna-fan", "adminton", "staffordshire-bull", "helpful-heron"]
)
def test_ordinary_handles_are_accepted(client, customer, handle):
    client.force_login(customer)
    response = change_handle(client, handle)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.handle == handle


def test_no_generated_handle_is_reserved():
    """Every sign-up gets a generated handle; none of the combinations reads as a reserved one."""
    assert [f"{a}-{b}" for a in ADJECTIVES for b in ANIMALS if is_reserved_handle(f"{a}-{b}-0000")] == []


def test_bidi_overrides_and_invisible_characters_are_removed_from_names(client, customer):
    """Right-to-left overrides, isolates and zero-width characters cannot reach a stored name; NFKC applies."""
    client.force_login(customer)
    response = client.post(
        reverse("account"),
        {
            "first_name": "Anna\u202egpj.exe\u202c\u200b",
            "last_name": "\u2066Ｓｍｉｔｈ\u2069\ufeff\u00ad  Jr\u200f.",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Annagpj.exe", "Smith Jr.")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\u202aLeft\u202b\u202d\u202e", "Left"),
        ("a\u2066b\u2067c\u2068d\u2069", "abcd"),
        ("zero\u200bwidth\u200c\u200d\u200e\u200f", "zerowidth"),
        ("ﬁne ①", "fine 1"),
        ("tab\tand\nnewline\x00nul", "tab and newlinenul"),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_normalise_name(raw, clean):
    assert normalise_name(raw) == clean
