"""The blog's editorial workflow step: a department approves, but never its own member's submission."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.models import AbstractGroupApprovalTask, TaskState


def own_submission(task_state, user) -> bool:
    """Did ``user`` submit the page to the workflow, or write the revision that would go live?"""
    if user is None or not user.is_authenticated:
        return False
    workflow_state = task_state.workflow_state
    if workflow_state.requested_by_id == user.pk:
        return True
    latest = workflow_state.content_object.get_latest_revision()
    return bool(latest and latest.user_id == user.pk)


class DepartmentApprovalTask(AbstractGroupApprovalTask):
    """One department's sign-off (product management, PR, marketing, social media) in the blog's workflow.

    Like Wagtail's group approval, but nobody approves what they submitted or last edited themselves,
    superusers included: four eyes at every step. They may still ask for changes on their own submission.
    """

    def _current_task_state(self, obj):
        state = getattr(obj, "current_workflow_task_state", None)
        return state if state is not None and state.task_id == self.pk else None

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        state = self._current_task_state(obj)
        if actions and state is not None and own_submission(state, user):
            return [action for action in actions if action[0] != "approve"]
        return actions

    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name == "approve" and own_submission(task_state, user):
            raise PermissionDenied(_("Nobody approves their own submission: another member of the group must."))
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        """The dashboard's "awaiting your review" leaves out what the user submitted."""
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        if not user.is_authenticated:
            return TaskState.objects.none()
        return states.exclude(Q(workflow_state__requested_by=user))

    @classmethod
    def get_description(cls):
        return _("Members of the chosen groups approve this step; nobody approves their own submission.")

    class Meta:
        verbose_name = _("department approval")
        verbose_name_plural = _("department approvals")
