"""The personal-data registry: every installed model is classified here.

Each app declares its models in ``<app>/personal_data.py`` (discovered at start-up),
so consent/ never imports a domain app; the models of portal/, theme/ and third-party
apps, which sit below consent/, are classified in ``consent/personal_data.py``. A model
is either personal data (how it names the member, what is exported, how it is erased)
or explicitly not personal data with a reason. Export and erasure (issue: MyData) are
driven by these rules alone; the system check ``consent.E001`` and a test fail on any unclassified model.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist


class _ErasureReport:
    """Placeholder in ``anonymise``: the id of the erasure report of the run (a copy names its erasure)."""

    def __repr__(self):
        return "ERASURE_REPORT"


# ``anonymise={"erasure_report_id": ERASURE_REPORT}`` lets an app find the rows one erasure anonymised
# (crm: the cards whose every recipient is asked to redact its copy).
ERASURE_REPORT = _ErasureReport()


class Erasure(enum.StrEnum):
    """What erasure does to the member's rows of a model."""

    DELETE = "delete"  # rows are deleted
    ANONYMISE = "anonymise"  # rows stay; the fields in ``anonymise`` are overwritten, the link to the member cut
    RETAIN = "retain"  # rows stay under a legal hold; ``reason`` says why
    ACCOUNT = "account"  # the user row itself: handled by the account erasure


@dataclass(frozen=True)
class PersonalData:
    """How one model holds one member's personal data."""

    model: str  # "app_label.ModelName"
    subject: str  # ORM lookup from the model to the member ("author", "thread__author", "pk" for the user model)
    category: str  # export file name without extension: "posts", "votes"
    export_fields: tuple[str, ...]
    erasure: Erasure
    anonymise: dict[str, Any] = field(default_factory=dict)  # field -> replacement value for ANONYMISE
    reason: str = ""  # why: the legal hold for RETAIN, or a note

    @property
    def model_class(self):
        return apps.get_model(self.model)


@dataclass(frozen=True)
class NotPersonal:
    """A model that holds no personal data, with the reason it was judged so."""

    model: str
    reason: str
    optional: bool = False  # installed only on some database backends (e.g. SQLite's FTS table)


@dataclass(frozen=True)
class TextRewrite:
    """Free-text fields of a model where anyone may quote or mention a member; erasure rewrites them."""

    model: str
    fields: tuple[str, ...]

    @property
    def model_class(self):
        return apps.get_model(self.model)


_personal: dict[str, list[PersonalData]] = {}
_not_personal: dict[str, NotPersonal] = {}
_rewrites: dict[str, TextRewrite] = {}


def _label(model: str) -> str:
    app_label, _, name = model.partition(".")
    return f"{app_label}.{name.lower()}"


def register(
    model: str,
    *,
    subject: str,
    category: str,
    export_fields: tuple[str, ...] | list[str],
    erasure: Erasure,
    anonymise: dict[str, Any] | None = None,
    reason: str = "",
) -> PersonalData:
    """Declare that ``model`` holds personal data about the member reached by ``subject``."""
    if erasure == Erasure.RETAIN and not reason:
        raise ValueError(f"{model}: a retained model needs a written reason")
    if erasure == Erasure.ANONYMISE and not anonymise:
        raise ValueError(f"{model}: an anonymised model needs the fields to overwrite")
    rule = PersonalData(
        model=model,
        subject=subject,
        category=category,
        export_fields=tuple(export_fields),
        erasure=erasure,
        anonymise=dict(anonymise or {}),
        reason=reason,
    )
    rules = _personal.setdefault(_label(model), [])
    rules[:] = [r for r in rules if r.subject != subject] + [rule]
    return rule


def not_personal(model: str, *, reason: str, optional: bool = False) -> None:
    """Declare that ``model`` holds no personal data (``optional``: it exists only on some backends)."""
    if not reason:
        raise ValueError(f"{model}: say why it holds no personal data")
    _not_personal[_label(model)] = NotPersonal(model=model, reason=reason, optional=optional)


def rewrite_text(model: str, *, fields: tuple[str, ...] | list[str]) -> TextRewrite:
    """Declare text fields in which an erased member's handle, name and e-mail are replaced in every row."""
    if not fields:
        raise ValueError(f"{model}: name the text fields to rewrite")
    entry = TextRewrite(model=model, fields=tuple(fields))
    _rewrites[_label(model)] = entry
    return entry


def text_rewrites() -> list[TextRewrite]:
    return list(_rewrites.values())


def rules() -> list[PersonalData]:
    return [rule for group in _personal.values() for rule in group]


def rules_for(model_class) -> list[PersonalData]:
    return list(_personal.get(model_class._meta.label_lower, []))


def is_classified(model_class) -> bool:
    label = model_class._meta.label_lower
    return label in _personal or label in _not_personal


def classified_models():
    """Every installed model that needs a classification (auto-created M2M tables follow their owner)."""
    return [m for m in apps.get_models() if not m._meta.auto_created]


def unclassified_models() -> list[str]:
    return sorted(m._meta.label for m in classified_models() if not is_classified(m))


def problems() -> list[str]:
    """Rules that name a model, subject or field that does not exist."""
    found = []
    for label, group in _personal.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            found.append(f"{label}: no such model")
            continue
        for rule in group:
            names = list(rule.export_fields) + list(rule.anonymise)
            if rule.subject not in ("pk", ""):
                names.append(rule.subject.split("__")[0])
            for name in names:
                try:
                    model._meta.get_field(name.split("__")[0])
                except FieldDoesNotExist:
                    found.append(f"{label}: no field {name!r}")
    for label, entry in _rewrites.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            found.append(f"{label}: no such model")
            continue
        for name in entry.fields:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                found.append(f"{label}: no field {name!r}")
    for label, entry in _not_personal.items():
        if label in _personal:
            found.append(f"{label}: classified both as personal and not personal")
        try:
            apps.get_model(label)
        except LookupError:
            if not entry.optional:
                found.append(f"{label}: no such model")
    return found


@checks.register("consent")
def check_registry(app_configs=None, **kwargs):
    errors = [
        checks.Error(
            f"{label} is not classified in the personal-data registry",
            hint="Register it in its app's personal_data.py (portal, theme and third-party models: consent/personal_data.py) "
            "with consent.registry.register() or not_personal().",
            id="consent.E001",
        )
        for label in unclassified_models()
    ]
    errors += [checks.Error(problem, id="consent.E002") for problem in problems()]
    return errors
