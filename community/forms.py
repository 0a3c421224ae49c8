"""Forms of the forum pages; limits mirror the services' validation so errors show next to the field."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from community.models import Forum
from community.models.forum import BODY_MAX, TITLE_MAX
from community.models.moderation import FlagReason
from community.services.posting import MAX_TAGS_PER_THREAD
from portal.pii_warning import PersonalDataWarningMixin

#: The editors' "@" autocomplete (community/mentions.js): where to ask, and its words in the page's language.
MENTION_ATTRS = {
    "data-mention-source": reverse_lazy("community:mention_suggestions"),
    "data-mention-label": _("Members to mention"),
    "data-mention-count": _("{count} members found. Up and down arrows choose, Enter inserts, Escape closes."),
    "data-mention-none": _("No member found."),
    "data-mention-team": _("Team"),
}


class ThreadForm(PersonalDataWarningMixin, forms.Form):
    personal_data_fields = ("title", "body")

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        min_length=5,
        help_text=_("Summarise your question in one sentence."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label=_("Your question"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10, **MENTION_ATTRS}),
        help_text=_("Markdown works: **bold**, *italic*, `code`, lists, links. Mention someone with @handle."),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=250,
        help_text=_("Up to five, separated by commas."),
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off", "data-tag-source": ""}),
    )

    def clean_tags(self) -> str:
        """More tags than a thread takes are refused with a message, never dropped without a word."""
        raw = self.cleaned_data.get("tags") or ""
        distinct = {" ".join(t.split()).lower() for t in raw.split(",") if t.strip()}
        if len(distinct) > MAX_TAGS_PER_THREAD:
            raise forms.ValidationError(
                _("A thread has at most %(max)d tags.") % {"max": MAX_TAGS_PER_THREAD}, code="too_many_tags"
            )
        return raw

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [t.strip() for t in raw.split(",") if t.strip()]


class ReplyForm(PersonalDataWarningMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6, **MENTION_ATTRS}),
        help_text=_("Markdown works. Mention someone with @handle."),
    )


class EditForm(PersonalDataWarningMixin, forms.Form):
    body = forms.CharField(
        label=_("Text"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 10, **MENTION_ATTRS})
    )


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why should a moderator look at this post?"), choices=FlagReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Anything else a moderator should know? (optional)"), required=False, max_length=500)


class TagForm(forms.Form):
    tag = forms.CharField(label=_("Add a tag"), max_length=40)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the author)"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveForm(forms.Form):
    forum = forms.ModelChoiceField(label=_("Move to forum"), queryset=Forum.objects.all())
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Merge into thread number"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class SuspendForm(forms.Form):
    days = forms.IntegerField(label=_("Suspend for days"), min_value=1, max_value=3650, initial=7)
    reason = forms.CharField(label=_("Reason (shown to the member)"), max_length=500)


class ForumAccessForm(forms.Form):
    handle = forms.CharField(label=_("Member handle"), max_length=40)
    moderate = forms.BooleanField(label=_("Also moderate this forum"), required=False)


class WatchForm(forms.Form):
    """The watch control of a thread, forum or tag page (a select; empty is the default, no choice of one's own)."""

    level = forms.ChoiceField(
        label=_("Notifications"),
        required=False,
        choices=[
            ("", _("Normal")),
            ("watching", _("Watching")),
            ("tracking", _("Tracking")),
            ("muted", _("Muted")),
        ],
    )
