"""The personal-data warning of every posting path (forums, ideas, chat): one protocol for forms and sockets.

A text with personal data in it (see ``portal.pii``) is held back once with the findings. The
member answers in the field ``action``: ``remove_pii`` replaces each finding, ``post_anyway``
publishes as written. The member decides; nothing is published before the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portal.pii import Finding, find_personal_data, remove_personal_data

FIELD = "action"
REMOVE = "remove_pii"
KEEP = "post_anyway"

# Idea pages answered in "pii_action" before the warning was shared; pages still open from then keep working.
_ANSWERS = {
    (FIELD, REMOVE): REMOVE,
    (FIELD, KEEP): KEEP,
    ("pii_action", "remove"): REMOVE,
    ("pii_action", "keep"): KEEP,
}


def answer_in(data: Mapping) -> str:
    """The member's answer in a POST or a socket frame: ``REMOVE``, ``KEEP`` or "" when not asked yet."""
    for (field, value), answer in _ANSWERS.items():
        if data.get(field) == value:
            return answer
    return ""


@dataclass(frozen=True)
class Review:
    """What the finder saw in a posting and how the member answered."""

    findings: list[Finding]
    answer: str

    @property
    def held(self) -> bool:
        """True while the posting waits for the member's answer."""
        return bool(self.findings) and not self.answer

    def applied(self, text: str) -> str:
        return remove_personal_data(text) if self.answer == REMOVE else text

    def payload(self) -> list[dict]:
        """The findings as a socket frame carries them, labelled in the active language."""
        return [{"kind": f.kind, "label": f.label, "text": f.text} for f in self.findings]


def review(data: Mapping, *texts: str) -> Review:
    return Review(findings=[f for text in texts for f in find_personal_data(text or "")], answer=answer_in(data))


class PersonalDataWarningMixin:
    """Holds a bound form's posting back until the member has answered the warning about ``personal_data_fields``."""

    personal_data_fields: tuple[str, ...] = ("body",)

    def personal_data_review(self) -> Review:
        return review(self.data, *(self.cleaned_data.get(name) or "" for name in self.personal_data_fields))

    def personal_data_step(self, *, publish_after_removal: bool = False) -> tuple[bool, list[Finding]]:
        """``(ready, findings)``: ready publishes ``cleaned_data``; "Remove it" shows the cleaned text first unless told."""
        result = self.personal_data_review()
        if result.answer == REMOVE:
            data = self.data.copy()
            for name in self.personal_data_fields:
                data[self.add_prefix(name)] = result.applied(data.get(self.add_prefix(name), ""))
            self.data = data
            self.full_clean()
            return publish_after_removal and not self.errors, []
        return (False, result.findings) if result.held else (True, [])
