"""Member-facing idea pages: boards, lists, posting, voting, following, comments, roadmap."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ideas import fragments, permissions, selectors, services
from ideas.forms import CommentForm, HideCommentForm, IdeaForm
from ideas.models import Board, Comment, Status
from portal.forms import add_service_errors
from portal.inputs import page_number, safe_next_url
from portal.markup import render_markdown

PAGE_SIZE = 25


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request, fallback: str) -> str:
    return safe_next_url(request.POST.get("next") or request.GET.get("next"), request=request, fallback=fallback)


@require_GET
def board_index(request):
    boards = list(selectors.board_list())
    return render(request, "ideas/board_index.html", {"boards": boards})


def _int_or_none(value):
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


@require_GET
def board(request, slug: str):
    board_obj = get_object_or_404(Board, slug=slug)
    sort = request.GET.get("sort", "top")
    sort = sort if sort in selectors.SORTS else "top"
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    show = request.GET.get("show", "")
    show = show if show in ("mine", "votes") and request.user.is_authenticated else ""
    page = page_number(request)
    qs = selectors.idea_list(
        board=board_obj, user=request.user, sort=sort, status=status, mine=show == "mine", my_votes=show == "votes"
    )
    offset = (page - 1) * PAGE_SIZE
    ideas = list(qs[offset : offset + PAGE_SIZE + 1])
    has_next = len(ideas) > PAGE_SIZE
    ideas = ideas[:PAGE_SIZE]
    member_can_vote = request.user.is_authenticated and not request.user.is_suspended()
    vote_prefix = reverse("ideas:index") + "idea/"
    fragments.attach_idea_row_fragments(
        request=request, ideas=ideas, vote_prefix=vote_prefix, member_can_vote=member_can_vote
    )
    context = {
        "board": board_obj,
        "ideas": ideas,
        "sort": sort,
        "status": status,
        "show": show,
        "page": page,
        "has_next": has_next,
        "sorts": (("top", _("Top")), ("trending", _("Trending")), ("newest", _("Newest"))),
        "statuses": Status.choices,
        "can_post": permissions.can_post_idea(request.user, board_obj),
        "member_can_vote": member_can_vote,
        "vote_prefix": vote_prefix,
    }
    return render(request, "ideas/board.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def idea_new(request, slug: str):
    """Two steps: write, then confirm after seeing similar ideas and any personal data warning (works without JS)."""
    board_obj = get_object_or_404(Board, slug=slug)
    if not permissions.can_post_idea(request.user, board_obj):
        if request.user.is_suspended():
            messages.error(request, _("Your account is suspended; you cannot post right now."))
        else:
            messages.error(request, _("This board does not take new ideas."))
        return redirect(board_obj.get_absolute_url())
    form = IdeaForm(request.POST or None, board=board_obj)
    step = request.POST.get("step", "")
    if request.method == "POST" and form.is_valid():
        ready, findings = form.personal_data_step(publish_after_removal=True)
        data = form.cleaned_data
        if step == "publish" and ready:
            try:
                idea = services.idea_create(
                    board=board_obj,
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    category=data.get("category"),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your idea is published. Thank you!"))
                return redirect(idea.get_absolute_url())
        if not form.errors:
            context = {
                "board": board_obj,
                "form": form,
                "similar": selectors.similar_ideas(title=data["title"], board=board_obj),
                "preview_html": render_markdown(data["body"]),
                "findings": findings,
            }
            return render(request, "ideas/idea_confirm.html", context)
    return render(
        request, "ideas/idea_new.html", {"board": board_obj, "form": form}, status=400 if form.errors else 200
    )


@require_GET
def similar(request):
    """Suggestions while a member types a title: JSON for the enhancement script."""
    q = (request.GET.get("q") or "")[:200]
    board_obj = None
    board_id = _int_or_none(request.GET.get("board"))
    if board_id:
        board_obj = Board.objects.filter(pk=board_id).first()
    results = selectors.similar_ideas(title=q, board=board_obj)
    return JsonResponse(
        {
            "results": [
                {
                    "id": i.pk,
                    "title": i.title,
                    "url": i.get_absolute_url(),
                    "votes": i.vote_count,
                    "votes_label": ngettext("%(n)s vote", "%(n)s votes", i.vote_count) % {"n": i.vote_count},
                    "status": str(Status(i.status).label),
                }
                for i in results
            ]
        }
    )


def _idea_context(request, idea, *, comment_form=None, findings=None):
    comments = list(selectors.comments_for(idea))
    history = list(selectors.status_history(idea))
    user = request.user
    return {
        "idea": idea,
        "comments": comments,
        "history": history,
        "comment_form": comment_form or CommentForm(),
        "findings": findings or [],
        "can_vote": permissions.can_vote_idea(user, idea),
        "can_comment": permissions.can_comment_idea(user, idea),
        "can_moderate": permissions.can_hide_comment(user, None),
        "can_review": permissions.can_review_ideas(user),
        "hide_prefix": reverse("ideas:index") + "comment/",
    }


@require_GET
def idea_detail(request, pk: int):
    idea = selectors.idea_detail(idea_id=pk, user=request.user)
    if idea is None:
        raise Http404
    return render(request, "ideas/idea_detail.html", _idea_context(request, idea))


@login_required
@require_POST
def comment_create(request, pk: int):
    idea = selectors.idea_detail(idea_id=pk, user=request.user)
    if idea is None:
        raise Http404
    form = CommentForm(request.POST)
    findings = []
    if form.is_valid():
        ready, findings = form.personal_data_step(publish_after_removal=True)
        if ready:
            try:
                services.comment_create(idea=idea, author=request.user, body=form.cleaned_data["body"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You cannot comment on this idea."))
            else:
                messages.success(request, _("Your comment is published."))
                return redirect(idea.get_absolute_url() + "#comments")
    context = _idea_context(request, idea, comment_form=form, findings=findings)
    return render(request, "ideas/idea_detail.html", context, status=400 if form.errors else 200)


@require_POST
def vote(request, pk: int):
    """One click: the form says the wanted state, so a double submission cannot undo the vote."""
    if not request.user.is_authenticated:
        if _wants_json(request):
            return JsonResponse({"error": _("Log in to vote.")}, status=401)
        return redirect(f"{_login_url()}?next=/ideas/idea/{int(pk)}/")
    wanted = request.POST.get("voted")
    if wanted not in ("0", "1"):
        return HttpResponseBadRequest(_("Say whether to vote (voted=1) or take the vote back (voted=0)."))
    try:
        result = services.vote_set(idea_id=pk, voter=request.user, voted=wanted == "1")
    except ValidationError as exc:
        if _wants_json(request):
            return JsonResponse({"error": exc.messages[0]}, status=409)
        messages.error(request, exc.messages[0])
        return redirect(_safe_next(request, f"/ideas/idea/{int(pk)}/"))
    if _wants_json(request):
        return JsonResponse(
            {
                "voted": result.voted,
                "vote_count": result.vote_count,
                "vote_unit": ngettext("vote", "votes", result.vote_count),
                "changed": result.changed,
            }
        )
    return redirect(_safe_next(request, result.idea.get_absolute_url()))


def _login_url() -> str:
    from django.conf import settings
    from django.shortcuts import resolve_url

    return resolve_url(settings.LOGIN_URL)


@login_required
@require_POST
def follow(request, pk: int):
    idea = permissions.access_idea(request.user, pk)
    wanted = request.POST.get("following")
    if wanted not in ("0", "1"):
        return HttpResponseBadRequest(_("Say whether to follow (following=1) or not (following=0)."))
    services.follow_set(idea=idea, user=request.user, following=wanted == "1")
    if wanted == "1":
        messages.success(request, _("You follow this idea and will hear when its status changes."))
    else:
        messages.info(request, _("You no longer follow this idea."))
    return redirect(_safe_next(request, idea.get_absolute_url()))


@login_required
@require_POST
def comment_hide(request, pk: int):
    comment = get_object_or_404(Comment.objects.select_related("idea"), pk=pk)
    if not permissions.can_hide_comment(request.user, comment):
        raise PermissionDenied
    form = HideCommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason for hiding the comment."))
    else:
        try:
            services.comment_hide(comment=comment, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("The comment is hidden."))
    return redirect(comment.idea.get_absolute_url() + "#comments")


@require_GET
def roadmap(request):
    return render(request, "ideas/roadmap.html", {"columns": selectors.roadmap()})
