"""Member-facing pages for what a member follows: watch controls, bookmarks, tag pages and the first unread post.

Every control is an ordinary form (POST, then redirect back); with JavaScript (community/watching.js)
the same forms are sent in the background and answer JSON, so the page stays where it is.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from community import fragments, permissions, selectors, services
from community.forms import WatchForm
from community.views import url_bases
from portal.inputs import MAX_PAGE, bounded_int


def _wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _level_message(level: str) -> str:
    return {
        "watching": _("You are watching it now: you are notified of every new post."),
        "tracking": _("You are tracking it now: lists show how many posts are new."),
        "muted": _("Muted: you get no notifications about it, not even replies to your own threads."),
    }.get(level, _("Back to normal: you are notified of replies to your own threads and of mentions."))


def _watch(request, back: str, **target):
    form = WatchForm(request.POST)
    if not form.is_valid():
        message = _("Choose one of the offered notification levels.")
        if _wants_json(request):
            return JsonResponse({"error": message}, status=400)
        messages.error(request, message)
        return HttpResponseRedirect(back)
    level = form.cleaned_data["level"]
    services.watch_set(user=request.user, level=level, **target)
    message = _level_message(level)
    if _wants_json(request):
        return JsonResponse({"level": level, "message": message})
    messages.success(request, message)
    return HttpResponseRedirect(back)


@login_required
@require_POST
def thread_watch(request, thread_id: int):
    thread = selectors.thread_detail(user=request.user, thread_id=thread_id)
    return _watch(request, thread.get_absolute_url(), thread=thread)


@login_required
@require_POST
def forum_watch(request, slug: str):
    forum = selectors.forum_visible_to(user=request.user, slug=slug)
    if forum is None:
        raise Http404
    return _watch(request, forum.get_absolute_url(), forum=forum)


@login_required
@require_POST
def tag_watch(request, tag_slug: str):
    tag = selectors.tag_visible_to(user=request.user, slug=tag_slug)
    if tag is None:
        raise Http404
    return _watch(request, reverse("community:tag", args=[tag.slug]), tag=tag)


def _bookmarked(request, kept: bool, back: str):
    message = _("Bookmarked. Find it under Bookmarks in your account.") if kept else _("Bookmark removed.")
    if _wants_json(request):
        return JsonResponse({"bookmarked": kept, "message": message})
    messages.success(request, message)
    return HttpResponseRedirect(back)


@login_required
@require_POST
def thread_bookmark(request, thread_id: int):
    thread = selectors.thread_detail(user=request.user, thread_id=thread_id)
    kept = services.bookmark_toggle(user=request.user, thread=thread)
    return _bookmarked(request, kept, thread.get_absolute_url())


@login_required
@require_POST
def post_bookmark(request, post_id: int):
    post = permissions.access_post(request.user, post_id)
    kept = services.bookmark_toggle(user=request.user, post=post)
    return _bookmarked(request, kept, reverse("community:post", args=[post.pk]))


@login_required
@require_GET
def bookmarks(request):
    page = selectors.bookmarks_of(user=request.user, page=request.GET.get("page"))
    return render(request, "community/bookmarks.html", {"page": page, "bookmarks": page.items})


@login_required
@require_POST
def bookmark_remove(request, bookmark_id: int):
    if services.bookmark_remove(user=request.user, bookmark_id=bookmark_id):
        messages.success(request, _("Bookmark removed."))
    else:
        messages.info(request, _("This bookmark was already removed."))
    url = reverse("community:bookmarks")
    number = bounded_int(request.POST.get("page"), 1, MAX_PAGE)
    return redirect(f"{url}?page={number}" if number > 1 else url)


@require_GET
def thread_first_unread(request, thread_id: int):
    """The first post the member has not read, through its permalink (page and anchor); the thread if none."""
    thread = selectors.thread_detail(user=request.user, thread_id=thread_id)
    post = selectors.first_unread_post(user=request.user, thread=thread)
    if post is None:
        return redirect(thread)
    return HttpResponseRedirect(reverse("community:post", args=[post.pk]))


@require_GET
def tag_detail(request, tag_slug: str):
    """Every thread with a tag, across the forums the viewer may see, with the tag's watch control."""
    other = request.GET.get("tag", "")[:50]
    if other and other != tag_slug:  # a tag link inside a row (``?tag=``) opens that tag's page
        return (
            redirect("community:tag", tag_slug=other)
            if selectors.tag_visible_to(user=request.user, slug=other)
            else redirect("community:tag", tag_slug=tag_slug)
        )
    tag = selectors.tag_visible_to(user=request.user, slug=tag_slug)
    if tag is None:
        raise Http404
    page = selectors.thread_list_for_tag(user=request.user, tag=tag, page=request.GET.get("page"))
    bases = url_bases()
    fragments.attach_thread_rows(
        request=request,
        threads=page.items,
        thread_url_base=bases["thread_url_base"],
        # Only a row with a staff-only tag needs to know whether the viewer is staff (saves the role query).
        staff=any(len(label) > 2 and label[2] for t in page.items for label in t.tag_labels)
        and permissions.can_see_internal_tags(request.user),
    )
    return render(request, "community/tag_detail.html", {"topic": tag, "page": page, "threads": page.items, **bases})
