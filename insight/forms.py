"""The period picker and filters of the insight pages; bad dates get a clear message, never an error page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insight.models import Source
from insight.reports import EARLIEST, MAX_DAYS, Filters, Period, period_last_days

RANGES = [("7", _("Last 7 days")), ("30", _("Last 30 days")), ("90", _("Last 90 days")), ("custom", _("Custom range"))]


class InsightFilterForm(forms.Form):
    range = forms.ChoiceField(label=_("Period"), choices=RANGES, required=False, initial="30")
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.ChoiceField(label=_("Source"), required=False)
    forum = forms.TypedChoiceField(label=_("Forum"), required=False, coerce=int, empty_value=None)
    board = forms.TypedChoiceField(label=_("Idea board"), required=False, coerce=int, empty_value=None)
    product = forms.ChoiceField(label=_("Product"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("All")), ("de", _("German")), ("en", _("English"))]
    )

    def __init__(self, data=None, *, forums=(), boards=(), products=()):
        if data is not None and not data.get("range") and not (data.get("start") or data.get("end")):
            data = data.copy()
            data["range"] = "30"  # what the page shows without a choice, so the picker says so too
        super().__init__(data)
        every = [("", _("All"))]
        self.fields["source"].choices = every + list(Source.choices)
        self.fields["forum"].choices = every + [(f.pk, f.localized_name) for f in forums]
        self.fields["board"].choices = every + [(b.pk, b.localized_name) for b in boards]
        self.fields["product"].choices = every + [(p, p) for p in products]

    def clean(self):
        data = super().clean()
        chosen = data.get("range") or ("custom" if data.get("start") or data.get("end") else "30")
        data["range"] = chosen
        if chosen != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if not start or not end:
            raise forms.ValidationError(_("Give both a start and an end date for a custom range."))
        today = timezone.localdate()
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date; swap them."))
        if start < EARLIEST or end > today + dt.timedelta(days=1):
            raise forms.ValidationError(
                _("Choose dates between %(earliest)s and today.") % {"earliest": EARLIEST.isoformat()}
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(_("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return data

    def period(self) -> Period:
        """The chosen period, or the last 30 days when the input was invalid."""
        data = self.cleaned_data if self.is_valid() else {"range": "30"}
        if data["range"] == "custom":
            return Period(data["start"], data["end"])
        return period_last_days(int(data["range"]))

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            source=data.get("source") or "",
            forum=data.get("forum"),
            board=data.get("board"),
            product=data.get("product") or "",
            language=data.get("language") or "",
        )
