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

from community import permissions, selectors, services
from community.forms import ForumAccessForm, MergeForm, MoveForm, ReasonForm, SuspendForm
from community.models import Forum
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
    action = request.POST.get("action")
    try:
        if action == "approve":
            services.post_approve(post=post, moderator=request.user)
        elif action == "hide":
            services.post_hide(post=post, moderator=request.user, reason=request.POST.get("reason", ""))
        elif action == "restore":
            services.post_restore(post=post, moderator=request.user)
        elif action == "dismiss":
            services.flags_dismiss(post=post, moderator=request.user)
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("community_admin:queue")


@require_http_methods(["GET", "POST"])
def thread_tools(request, thread_id: int):
    _guard(request)
    thread = permissions.access_thread(request.user, thread_id, related=("author",))
    if not permissions.can_moderate_thread(request.user, thread):
        raise PermissionDenied
    move_form = MoveForm(initial={"forum": thread.forum_id})
    merge_form = MergeForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "move":
                move_form = MoveForm(request.POST)
                if move_form.is_valid():
                    services.thread_move(
                        thread=thread,
                        moderator=request.user,
                        forum=move_form.cleaned_data["forum"],
                        reason=move_form.cleaned_data["reason"],
                    )
                    messages.success(request, _("The thread was moved."))
                    return redirect("community_admin:thread", thread.pk)
            elif action == "merge":
                merge_form = MergeForm(request.POST)
                if merge_form.is_valid():
                    try:
                        target = permissions.access_thread(request.user, merge_form.cleaned_data["target"])
                    except Http404:
                        merge_form.add_error("target", _("No such thread."))
                    else:
                        services.thread_merge(
                            source=thread,
                            target=target,
                            moderator=request.user,
                            reason=merge_form.cleaned_data["reason"],
                        )
                        messages.success(request, _("The threads were merged."))
                        return redirect("community_admin:thread", target.pk)
            elif action in ("lock", "unlock"):
                services.thread_set_locked(thread=thread, moderator=request.user, locked=action == "lock")
                messages.success(request, _("Done."))
                return redirect("community_admin:thread", thread.pk)
            elif action in ("hide", "restore"):
                services.thread_set_hidden(
                    thread=thread,
                    moderator=request.user,
                    hidden=action == "hide",
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Done."))
                return redirect("community_admin:thread", thread.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "community/admin/thread.html",
        {
            "page_title": _("Thread tools"),
            "header_icon": "doc-full",
            "thread": thread,
            "move_form": move_form,
            "merge_form": merge_form,
        },
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
            form.add_error(None, exc)
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
            "page_title": _("Access to %(forum)s") % {"forum": forum.name},
            "header_icon": "lock",
            "forum": forum,
            "form": form,
            "members": sorted(members.items(), key=lambda item: item[0].handle),
        },
    )
