"""The shared personal-data warning (portal.pii_warning) and the shared service-error helper (portal.forms)."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from portal.forms import add_service_errors
from portal.pii_warning import KEEP, REMOVE, PersonalDataWarningMixin, answer_in, review


class PostingForm(PersonalDataWarningMixin, forms.Form):
    personal_data_fields = ("title", "body")

    title = forms.CharField(max_length=100)
    body = forms.CharField(max_length=100)


def _form(prefix=None, **data) -> PostingForm:
    query = QueryDict(mutable=True)
    for name, value in data.items():
        query[f"{prefix}-{name}" if prefix and name in ("title", "body") else name] = value
    form = PostingForm(query, prefix=prefix)
    assert form.is_valid()
    return form


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        ({"action": "remove_pii"}, REMOVE),
        ({"action": "post_anyway"}, KEEP),
        ({"pii_action": "remove"}, REMOVE),
        ({"pii_action": "keep"}, KEEP),
        ({"action": "publish"}, ""),
        ({"action": "remove"}, ""),
        ({"action": ["remove_pii"]}, ""),
        ({}, ""),
    ],
)
def test_answer_is_read_from_forms_and_frames_alike(data, answer):
    """Both spellings of the answer count; anything else means the member has not answered yet."""
    assert answer_in(data) == answer


def test_review_holds_findings_until_answered_and_applies_the_answer():
    """Findings hold the text back; "remove" replaces them, "keep" leaves the text as written."""
    text = "Mail max@example.org or call +49 30 1234567"
    held = review({}, text)
    assert ([f.kind for f in held.findings], held.held) == (["email", "phone"], True)
    assert held.payload() == [
        {"kind": "email", "label": "e-mail address", "text": "max@example.org"},
        {"kind": "phone", "label": "phone number", "text": "+49 30 1234567"},
    ]
    removed = review({"action": REMOVE}, text)
    assert (removed.held, removed.applied(text)) == (False, "Mail [removed] or call [removed]")
    kept = review({"action": KEEP}, text)
    assert (kept.held, kept.applied(text)) == (False, text)
    assert review({}, "Nothing personal here").held is False


def test_form_step_holds_back_text_with_personal_data():
    """Without an answer the form is not ready and names every finding of every checked field."""
    form = _form(title="Call 0301234567", body="max@example.org", action="publish")
    ready, findings = form.personal_data_step()
    assert (ready, [f.kind for f in findings]) == (False, ["phone", "email"])


def test_form_step_remove_shows_the_cleaned_text_again_unless_told_to_publish():
    """ "Remove it" rewrites the fields; the forum shows them again, ideas and chat publish them."""
    review_form = _form(prefix="p", title="Call 0301234567", body="Thanks", action=REMOVE)
    assert review_form.personal_data_step() == (False, [])
    assert (review_form.data["p-title"], review_form.cleaned_data["title"]) == ("Call [removed]", "Call [removed]")
    publish_form = _form(title="Question", body="Mail max@example.org", action=REMOVE)
    assert publish_form.personal_data_step(publish_after_removal=True) == (True, [])
    assert publish_form.cleaned_data["body"] == "Mail [removed]"


def test_form_step_keep_and_clean_text_are_ready_unchanged():
    """ "Publish as written" and text without findings publish the fields as they are."""
    kept = _form(title="Question", body="Mail max@example.org", action=KEEP)
    assert kept.personal_data_step() == (True, [])
    assert kept.cleaned_data["body"] == "Mail max@example.org"
    clean = _form(title="Question", body="Nothing personal")
    assert clean.personal_data_step() == (True, [])


def test_service_errors_land_at_their_fields_or_above_the_form():
    """A field error stays at its field; one for a field the form lacks, or without a field, goes above it."""
    form = _form(title="Question", body="Text")
    add_service_errors(form, ValidationError({"body": "Too short.", "until": "In the past."}))
    add_service_errors(form, ValidationError("Not now."))
    assert form.errors == {"body": ["Too short."], "__all__": ["In the past.", "Not now."]}
