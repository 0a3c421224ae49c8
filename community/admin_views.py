"""Back-office views for moderators: the queue, the log, thread tools, suspensions, forum access."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community import moderation_actions, permissions, selectors, services
from community.forms import ForumAccessForm, MergeForm, MoveForm, ReasonForm, SuspendForm
from community.models import Forum
from portal.forms import add_service_errors
from portal.models import User

QUEUE_PERMISSION = "community.work_moderation_queue"


def can_work_queue(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm(QUEUE_PERMISSION)))


def _guard(request) -> None:
    if not can_work_queue(request.user):
        raise PermissionDenied


def queue(request):
    _guard(request)
    data = selectors.moderation_queue_for(user=request.user)
    return render(
        request,
        "community/admin/queue.html",
        {
            "page_title": _("Moderation queue"),
            "header_icon": "warning",
            "hide_form": ReasonForm(),
            "private_forums": list(Forum.objects.filter(is_private=True))
            if permissions.is_moderator(request.user)
            else [],
            **data,
        },
    )


def log(request):
    _guard(request)
    return render(
        request,
        "community/admin/log.html",
        {"page_title": _("Moderation log"), "header_icon": "list-ul", "actions": selectors.moderation_log()},
    )


@require_POST
def post_action(request, post_id: int):
    _guard(request)
    post = permissions.access_post(request.user, post_id)
    if moderation_actions.run(request, moderation_actions.POST_ACTIONS, post) is None:
        messages.error(request, _("Unknown action."))
    return redirect("community_admin:queue")


def _thread_move(request, thread, forms):
    forms["move_form"] = form = MoveForm(request.POST)
    if not form.is_valid():
        return None
    services.thread_move(
        thread=thread, moderator=request.user, forum=form.cleaned_data["forum"], reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("The thread was moved."))
    return thread


def _thread_merge(request, thread, forms):
    forms["merge_form"] = form = MergeForm(request.POST)
    if not form.is_valid():
        return None
    try:
        target = permissions.access_thread(request.user, form.cleaned_data["target"])
    except Http404:
        form.add_error("target", _("No such thread."))
        return None
    services.thread_merge(source=thread, target=target, moderator=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("The threads were merged."))
    return target


def _thread_state(request, thread, forms):
    return thread if moderation_actions.run(request, moderation_actions.THREAD_ACTIONS, thread) else None


# Each returns the thread to show next, or None to show the forms again with their errors.
THREAD_TOOLS = {
    "move": _thread_move,
    "merge": _thread_merge,
    **dict.fromkeys(("lock", "unlock", "hide", "restore"), _thread_state),
}


@require_http_methods(["GET", "POST"])
def thread_tools(request, thread_id: int):
    _guard(request)
    thread = permissions.access_thread(request.user, thread_id, related=("author",))
    if not permissions.can_moderate_thread(request.user, thread):
        raise PermissionDenied
    forms = {"move_form": MoveForm(initial={"forum": thread.forum_id}), "merge_form": MergeForm()}
    tool = THREAD_TOOLS.get(request.POST.get("action")) if request.method == "POST" else None
    if tool is not None:
        try:
            shown = tool(request, thread, forms)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if shown is not None:
                return redirect("community_admin:thread", shown.pk)
    return render(
        request,
        "community/admin/thread.html",
        {"page_title": _("Thread tools"), "header_icon": "doc-full", "thread": thread, **forms},
    )


@require_http_methods(["GET", "POST"])
def member_suspend(request, user_id: int):
    _guard(request)
    member = get_object_or_404(User, pk=user_id)
    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        until = timezone.now() + timedelta(days=form.cleaned_data["days"])
        try:
            services.member_suspend(
                member=member, moderator=request.user, until=until, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("@%(handle)s is suspended.") % {"handle": member.handle})
            return redirect("community_admin:queue")
    return render(
        request,
        "community/admin/suspend.html",
        {"page_title": _("Suspend member"), "header_icon": "user", "member": member, "form": form},
    )


@require_http_methods(["GET", "POST"])
def forum_access(request, forum_id: int):
    """Grant members access to (or moderation of) a private forum by handle."""
    _guard(request)
    if not permissions.is_moderator(request.user):
        raise PermissionDenied
    forum = get_object_or_404(Forum, pk=forum_id)
    form = ForumAccessForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("revoke"):
            member = get_object_or_404(User, pk=request.POST["revoke"])
            services.forum_revoke_access(forum=forum, user=member)
            services.forum_revoke_access(forum=forum, user=member, moderate=True)
            messages.success(request, _("Access removed."))
            return redirect("community_admin:forum_access", forum.pk)
        if form.is_valid():
            member = User.objects.filter(handle=form.cleaned_data["handle"].lstrip("@").lower()).first()
            if member is None:
                form.add_error("handle", _("No member with this handle."))
            else:
                services.forum_grant_access(forum=forum, user=member)
                if form.cleaned_data["moderate"]:
                    services.forum_grant_access(forum=forum, user=member, moderate=True)
                messages.success(request, _("@%(handle)s can now see this forum.") % {"handle": member.handle})
                return redirect("community_admin:forum_access", forum.pk)
    from guardian.shortcuts import get_users_with_perms

    members = get_users_with_perms(forum, with_superusers=False, with_group_users=False, attach_perms=True)
    return render(
        request,
        "community/admin/forum_access.html",
        {
            "page_title": _("Access to %(forum)s") % {"forum": forum.localized_name},
            "header_icon": "lock",
            "forum": forum,
            "form": form,
            "members": sorted(members.items(), key=lambda item: item[0].handle),
        },
    )
