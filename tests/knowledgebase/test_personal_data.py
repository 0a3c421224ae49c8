"""Every knowledge base model is classified; votes and credits follow the registry's erasure rules."""

from __future__ import annotations

from django.apps import apps

from consent import registry


def test_every_knowledgebase_model_is_classified():
    """consent.E001 would fail start-up otherwise."""
    models = [m for m in apps.get_app_config("knowledgebase").get_models() if not m._meta.auto_created]
    assert sorted(m.__name__ for m in models if not registry.is_classified(m)) == []


def test_votes_and_credits_are_personal_data_with_erasure_rules():
    """Member votes are deleted with the member; credits are cut from the account, the article stays."""
    from knowledgebase.models import HelpfulVote, ThreadArticleLink

    [vote_rule] = registry.rules_for(HelpfulVote)
    assert (vote_rule.subject, vote_rule.erasure) == ("user", registry.Erasure.DELETE)
    credit_rules = {rule.subject: rule for rule in registry.rules_for(ThreadArticleLink)}
    assert set(credit_rules) == {"answerer", "promoted_by"}
    assert credit_rules["answerer"].erasure == registry.Erasure.ANONYMISE
    assert credit_rules["answerer"].anonymise == {"answerer": None}
    assert [p for p in registry.problems() if p.startswith("knowledgebase.")] == []
