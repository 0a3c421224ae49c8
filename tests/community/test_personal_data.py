"""Personal data: every community model is classified; erased authors show as "deleted member"."""

from __future__ import annotations

from django.apps import apps
from django.utils import timezone

from community.models import Post
from consent import registry
from tests.community.conftest import reply


def test_every_community_model_is_classified():
    """The registry knows every model of the community app."""
    models = [m for m in apps.get_app_config("community").get_models() if not m._meta.auto_created]
    assert [m._meta.label for m in models if not registry.is_classified(m)] == []


def test_post_erasure_rule_anonymises_author_and_keeps_html():
    """Posts are anonymised (author cut), never deleted."""
    rule = {r.subject: r for r in registry.rules_for(Post)}["author"]
    assert rule.erasure == registry.Erasure.ANONYMISE
    assert rule.anonymise == {"author": None}


def test_erased_author_shows_as_deleted_member(client, thread, other_customer, home_page):
    """A post whose author is gone or erased stays readable under "deleted member"."""
    post = reply(thread, other_customer, "still useful answer")
    Post.objects.filter(pk=post.pk).update(author=None)
    other_customer.erased_at = timezone.now()
    other_customer.save()
    html = client.get(f"/forums/t/{thread.pk}/").content.decode()
    assert "still useful answer" in html
    assert "deleted member" in html
    thread.author.erased_at = timezone.now()
    thread.author.save()
    html = client.get(f"/forums/t/{thread.pk}/").content.decode()
    assert f"@{thread.author.handle}" not in html
