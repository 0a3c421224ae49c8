"""Spot text that looks like contact or bank data before a member publishes it.

Used by every posting path (forum posts, idea descriptions and comments, chat) to warn
the member and offer to remove it; the member decides. Phone numbers are recognised by
libphonenumber (``phonenumbers``) and IBANs validated by ``python-stdnum``, so order numbers,
dates, IP addresses, versions and prices are not mistaken for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from stdnum import iban

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}\b")
# Where an IBAN may start; how far it runs is settled by validating the candidates (see _ibans).
IBAN_START = re.compile(r"\b[A-Z]{2}\d{2}", re.IGNORECASE)
IBAN_TAIL = re.compile(r"(?: ?[A-Z0-9]){11,30}", re.IGNORECASE)
# libphonenumber skips slash-separated dates and time stamps but reads a German date such as
# 05.11.2024 as a number in Hanover (0511); a day.month.year (or with dashes) is never a phone number.
DATE = re.compile(r"\b(?:0?[1-9]|[12]\d|3[01])([.-])(?:0?[1-9]|1[0-2])\1(?:\d{4}|\d{2})\b")

KIND_LABELS = {"email": _("e-mail address"), "phone": _("phone number"), "iban": _("IBAN")}


@dataclass(frozen=True)
class Finding:
    kind: str  # email | phone | iban
    text: str
    start: int
    end: int

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])


def _ibans(text: str) -> list[tuple[int, int]]:
    """Spans of valid IBANs, compact or in groups of four, the longest valid reading at each start."""
    spans: list[tuple[int, int]] = []
    for start in IBAN_START.finditer(text):
        if spans and start.start() < spans[-1][1]:
            continue
        tail = IBAN_TAIL.match(text, start.end())
        if tail is None:
            continue
        ends = [start.end() + m.end() for m in re.finditer(r"[A-Z0-9]", tail.group(0), re.IGNORECASE)]
        for end in reversed(ends[10:]):
            if (end == len(text) or not text[end].isalnum()) and iban.is_valid(text[start.start() : end]):
                spans.append((start.start(), end))
                break
    return spans


def _phone_numbers(text: str) -> list[tuple[int, int]]:
    """Spans of valid phone numbers: international ones for every country, national ones for PII_PHONE_REGIONS."""
    spans = set()
    for region in settings.PII_PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if not DATE.search(match.raw_string):
                spans.add((match.start, match.end))
    # A number read in two regions may be found with different extents; the longest reading wins.
    return sorted(spans, key=lambda span: (span[0], span[0] - span[1]))


def find_personal_data(text: str) -> list[Finding]:
    """Every e-mail address, phone number and valid IBAN in ``text``, in order, without overlaps."""
    text = text or ""
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        findings.append(Finding(kind=kind, text=text[start:end], start=start, end=end))

    for start, end in _ibans(text):
        add("iban", start, end)
    for match in EMAIL.finditer(text):
        add("email", *match.span())
    for start, end in _phone_numbers(text):
        add("phone", start, end)
    return sorted(findings, key=lambda f: f.start)


def remove_personal_data(text: str, placeholder: str = "[removed]") -> str:
    """``text`` with every finding replaced by ``placeholder``."""
    result = text
    for finding in reversed(find_personal_data(text)):
        result = result[: finding.start] + placeholder + result[finding.end :]
    return result


# A dot or colon right before or after would make it part of a longer dotted or colon run (a version, a
# time); a sentence's full stop after it is fine.
IP_CANDIDATE = re.compile(
    r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?![\w:]|\.\w)", re.I
)


# Addresses that name a machine in anyone's own network, not a person: "set the router to 192.168.0.1"
# in a member's post must not rewrite everybody else's how-tos.
SHARED_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
    "fe80::/10",
)


def find_ip_addresses(text: str) -> list[str]:
    """Public IPv4 and IPv6 addresses in ``text`` (validated by ``ipaddress``), for erasure.

    The member may have typed theirs. Not part of the posting warning (a version number such as
    1.2.3.4 reads like one), but the erasure replaces what the member's own texts held wherever it
    also appears. Loopback, unspecified, multicast and private-network addresses (``SHARED_NETWORKS``)
    are everybody's, so they are left alone.
    """
    import ipaddress

    shared = [ipaddress.ip_network(network) for network in SHARED_NETWORKS]
    found = []
    for match in IP_CANDIDATE.finditer(text or ""):
        candidate = match.group(0)
        if candidate.count(":") < 2 and "." not in candidate:
            continue
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if address.is_loopback or address.is_unspecified or address.is_multicast:
            continue
        if any(address.version == network.version and address in network for network in shared):
            continue
        found.append(candidate)
    return found
