"""Every installed model is classified in the personal-data registry."""

from django.apps import apps
from django.core.management import call_command

from consent import registry


def test_every_installed_model_is_classified():
    """Adding a model without classifying it fails here (and in `manage.py check`)."""
    assert registry.unclassified_models() == []


def test_rules_name_real_models_and_fields():
    assert registry.problems() == []


def test_every_model_with_a_path_to_the_user_is_personal_data():
    """A foreign key of its own to the member makes a model personal data, never 'not personal'.

    Fields inherited through multi-table inheritance (Wagtail page types) are covered by the parent's rule.
    """
    user_model = apps.get_model("portal", "User")
    for model in registry.classified_models():
        links = [f for f in model._meta.local_concrete_fields if getattr(f, "related_model", None) is user_model]
        if links:
            assert registry.rules_for(model), f"{model._meta.label} links to the user but is registered as not personal"


def test_retained_rules_carry_a_reason():
    for rule in registry.rules():
        if rule.erasure in (registry.Erasure.RETAIN, registry.Erasure.ACCOUNT):
            assert len(rule.reason) > 20, rule.model


def test_system_check_reports_an_unclassified_model(monkeypatch):
    """The check names the model and the way to fix it."""
    monkeypatch.delitem(registry._not_personal, "theme.brandsettings")
    errors = registry.check_registry()
    assert [e.id for e in errors] == ["consent.E001"]
    assert "theme.BrandSettings" in errors[0].msg


def test_system_checks_pass():
    call_command("check", fail_level="ERROR")
