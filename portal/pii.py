"""Spot text that looks like contact or bank data before a member publishes it.

Used by every posting path (forum posts, idea descriptions and comments, chat) to warn
the member and offer to remove it; the member decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}\b")
# International or national numbers with at least 7 digits, allowing spaces, dashes, slashes, dots and brackets.
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[\s\-/.()]*\d){6,14}(?!\w)")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")

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


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def find_personal_data(text: str) -> list[Finding]:
    """Every e-mail address, phone number and valid IBAN in ``text``, in order, without overlaps."""
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind, match):
        start, end = match.span()
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        findings.append(Finding(kind=kind, text=match.group(0), start=start, end=end))

    for match in IBAN.finditer(text or ""):
        if _iban_valid(match.group(0)):
            add("iban", match)
    for match in EMAIL.finditer(text or ""):
        add("email", match)
    for match in PHONE.finditer(text or ""):
        digits = re.sub(r"\D", "", match.group(0))
        if 7 <= len(digits) <= 15 and not re.fullmatch(r"(19|20)\d{2}", digits):
            add("phone", match)
    return sorted(findings, key=lambda f: f.start)


def remove_personal_data(text: str, placeholder: str = "[removed]") -> str:
    """``text`` with every finding replaced by ``placeholder``."""
    result = text
    for finding in reversed(find_personal_data(text)):
        result = result[: finding.start] + placeholder + result[finding.end :]
    return result
