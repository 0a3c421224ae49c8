"""Ideas announce newly added tags as ``idea_tagged`` after commit, once per tag (the CRM subscribes)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ideas import events, services
from ideas.models import Status


@pytest.fixture
def tagged():
    """What ``idea_tagged`` receivers get, as (idea id, tag name, actor) in order."""
    received = []

    def listener(*, idea, tag, actor, **kwargs):
        received.append((idea.pk, tag.name, actor))

    events.idea_tagged.connect(listener)
    yield received
    events.idea_tagged.disconnect(listener)


def test_new_tags_are_announced_after_commit_once_each(
    idea, product_manager, tagged, django_capture_on_commit_callbacks
):
    """Two new tags in the review console give two events, and only once the transaction commits."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.idea_set_status(idea=idea, by=product_manager, status=idea.status, response="", tags=["pdf", "lead"])
    assert tagged == []
    for callback in callbacks:
        callback()
    assert tagged == [(idea.pk, "lead", product_manager), (idea.pk, "pdf", product_manager)]


def test_only_added_tags_are_announced(idea, product_manager, tagged, django_capture_on_commit_callbacks):
    """Kept tags are not announced again, removed ones not at all; a status change with the same tags sends none."""
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_set_status(idea=idea, by=product_manager, status=idea.status, response="", tags=["lead", "pdf"])
    tagged.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.idea_set_status(
            idea=idea, by=product_manager, status=Status.PLANNED, response="Soon.", tags=["lead", "pdf"]
        )
    assert tagged == []
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_set_status(
            idea=idea, by=product_manager, status=Status.PLANNED, response="Soon.", tags=["lead", "export"]
        )
    assert tagged == [(idea.pk, "export", product_manager)]
    assert sorted(idea.tags.names()) == ["export", "lead"]


def test_a_refused_change_announces_nothing(idea, product_manager, tagged, django_capture_on_commit_callbacks):
    """When the service refuses the change, no tag is stored and no event goes out."""
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.idea_set_status(idea=idea, by=product_manager, status=Status.DUPLICATE, response="", tags=["lead"])
    assert tagged == []
    assert list(idea.tags.names()) == []
