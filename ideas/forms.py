"""Forms of the idea pages and the review console; they validate input, services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ideas.models import Category, Status
from ideas.services import BODY_MAX, COMMENT_MAX, HIDE_REASON_MAX, NOTE_MAX, RESPONSE_MAX, TITLE_MAX, TITLE_MIN
from portal.pii_warning import PersonalDataWarningMixin


class IdeaForm(PersonalDataWarningMixin, forms.Form):
    personal_data_fields = ("title", "body")

    title = forms.CharField(
        label=_("Title"),
        min_length=TITLE_MIN,
        max_length=TITLE_MAX,
        help_text=_("One sentence: what should the product do?"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=BODY_MAX,
        help_text=_("Why do you need it? Markdown is supported."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)

    def __init__(self, *args, board, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(board=board)
        if not board.categories.exists():
            del self.fields["category"]


class CommentForm(PersonalDataWarningMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX,
        help_text=_("Markdown is supported."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class HideCommentForm(forms.Form):
    reason = forms.CharField(label=_("Reason for hiding"), max_length=HIDE_REASON_MAX)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(v, label) for v, label in Status.choices if v != Status.DUPLICATE]
    )
    response = forms.CharField(
        label=_("Public response"),
        required=False,
        max_length=RESPONSE_MAX,
        help_text=_("Shown on the idea and the roadmap, and sent to voters and followers. Markdown is supported."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Comma-separated, for filtering the console.")
    )

    def clean_tags(self) -> list[str]:
        return sorted({t.strip()[:100] for t in self.cleaned_data["tags"].split(",") if t.strip()})


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only staff can see internal notes."),
    )


class MergeForm(forms.Form):
    original = forms.IntegerField(
        label=_("Number of the original idea"),
        min_value=1,
        help_text=_("This idea becomes a duplicate of it; votes, followers and comments move there."),
    )
    response = forms.CharField(label=_("Public response"), required=False, max_length=RESPONSE_MAX)
