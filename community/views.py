"""Member-facing forum pages: thin views over selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import editor_views, fragments, moderation_actions, permissions, selectors, services
from community.forms import EditForm, FlagForm, ReasonForm, ReplyForm, TagForm, ThreadForm
from community.models import Tag
from portal import ratelimit
from portal.forms import add_service_errors
from portal.inputs import bounded_int, search_shortened_message, search_words
from portal.markup import has_images

#: Typing a handle asks once per keystroke pause; this is far above what typing needs.
MENTION_SUGGESTIONS_PER_MINUTE = 120


def _tell_about_images(request, body: str) -> None:
    """An image from another site is shown as a link only; the writer hears it in the preview and after posting."""
    if has_images(body):
        messages.info(
            request,
            _(
                "Images from other sites are not shown: your post links to them instead. "
                "To show a picture, add it with “Add image”."
            ),
        )


def _personal_data_step(request, form):
    """The warning step of every forum form (works without JS); "Preview" shows the warning without publishing."""
    if request.POST.get("action") == "preview":
        return False, form.personal_data_review().findings
    return form.personal_data_step()


# --- reading ---------------------------------------------------------------------------


def url_bases() -> dict:
    """Prefixes for per-row links, so long lists do not reverse a URL per row."""
    root = reverse("community:index")
    return {"post_url_base": f"{root}p/", "thread_url_base": f"{root}t/"}


@require_GET
def forum_index(request):
    forums = selectors.forum_list_visible_to(user=request.user)
    return render(request, "community/forum_index.html", {"forums": forums})


@require_GET
def forum_detail(request, slug: str):
    forum = selectors.forum_visible_to(user=request.user, slug=slug)
    if forum is None:
        raise Http404
    current = request.GET.get("filter", "newest")
    if current not in selectors.THREAD_FILTERS:
        current = "newest"
    tag = request.GET.get("tag", "")[:50]
    page = selectors.thread_list_visible_to(
        user=request.user, forum=forum, filter=current, tag=tag, page=request.GET.get("page")
    )
    filters = [
        ("newest", _("Newest activity")),
        ("unanswered", _("Unanswered")),
        ("answered", _("Answered")),
    ]
    if request.user.is_authenticated:
        filters.append(("mine", _("My threads")))
    bases = url_bases()
    fragments.attach_thread_rows(
        request=request,
        threads=page.items,
        thread_url_base=bases["thread_url_base"],
        staff=permissions.can_moderate_forum(request.user, forum),
    )
    return render(
        request,
        "community/forum_detail.html",
        {
            "forum": forum,
            "page": page,
            "threads": page.items,
            "filters": filters,
            "current": current,
            "tag": tag,
            **bases,
        },
    )


@require_GET
def thread_detail(request, thread_id: int):
    thread = selectors.thread_detail(user=request.user, thread_id=thread_id, viewer_state=True)
    page = selectors.posts_for_thread(user=request.user, thread=thread, page=request.GET.get("page"))
    if page.items:  # the member has now seen this page: lists count only what comes after it
        services.thread_read_mark(
            user=request.user,
            thread=thread,
            post_id=max(post.pk for post in page.items),
            read_up_to=getattr(thread, "viewer_read", None),
        )
    initial, editor = editor_views.editor_context(request, thread=thread)
    context = _thread_context(request, thread, page, ReplyForm(initial={"body": initial.get("body", "")}))
    return render(request, "community/thread_detail.html", {**context, **editor})


def _viewer_flags(user, thread) -> dict:
    """What the viewer may do on the thread's posts: the values the post include reads besides the post."""
    if thread.blog_page_id:
        # Comments under a blog post are rendered the way the blog page shows them.
        return {"is_moderator": False, "can_reply": False, "can_accept": False}
    return {
        "is_moderator": permissions.can_moderate_thread(user, thread),
        "can_reply": permissions.can_reply_to_thread(user, thread),
        "can_accept": permissions.can_accept_answer(user, thread),
    }


def _live_posts(request, thread, posts: list) -> list[dict]:
    """Posts for a live page: each one's HTML as the thread page renders it for this viewer."""
    fragments.attach_post_fragments(
        request=request, thread=thread, posts=posts, **_viewer_flags(request.user, thread), **url_bases()
    )
    return [
        {
            "post_id": post.pk,
            "html": post.fragment,
            "announcement": _("New reply from %(name)s")
            % {"name": post.author.public_name if post.author else _("deleted member")},
        }
        for post in posts
    ]


def _reply_counter(thread) -> dict:
    """The thread's reply count and the replies heading in the viewer's language."""
    count = thread.reply_count
    return {
        "reply_count": count,
        "replies_heading": ngettext("%(counter)s reply", "%(counter)s replies", count) % {"counter": count},
    }


def _thread_context(request, thread, page, form, findings=(), preview_html=""):
    user = request.user
    is_moderator = permissions.can_moderate_thread(user, thread)
    can_reply = permissions.can_reply_to_thread(user, thread)
    can_accept = permissions.can_accept_answer(user, thread)
    accepted = thread.accepted_post if thread.accepted_post_id and thread.accepted_post.is_published else None
    bases = url_bases()
    fragments.attach_post_fragments(
        request=request,
        thread=thread,
        posts=page.items,
        is_moderator=is_moderator,
        can_reply=can_reply,
        can_accept=can_accept,
        **bases,
    )
    if accepted is not None:
        fragments.attach_post_fragments(
            request=request, thread=thread, posts=[accepted], is_moderator=is_moderator, accepted_block=True, **bases
        )
    return {
        "thread": thread,
        "forum": thread.forum,
        "page": page,
        "posts": page.items,
        "accepted": accepted,
        "tags": selectors.thread_tags(thread, staff=is_moderator),
        "form": form,
        "findings": findings,
        "preview_html": preview_html,
        "is_moderator": is_moderator,
        "can_reply": can_reply,
        "block_reason": permissions.posting_block_reason(user),
        "can_accept": can_accept,
        "can_tag": permissions.can_tag_thread(user, thread),
        "tag_form": TagForm(),
        "hide_form": ReasonForm(),
        **bases,
    }


@require_GET
def post_redirect(request, post_id: int):
    post = permissions.access_post(request.user, post_id)
    number = selectors.page_of_post(user=request.user, post=post)
    url = post.thread.get_absolute_url()
    if number > 1:
        url += f"?page={number}"
    return HttpResponseRedirect(f"{url}#post-{post.pk}")


@require_GET
def search(request):
    query = request.GET.get("q", "")
    if search_words(query)[1]:
        messages.info(request, search_shortened_message())
    results = selectors.search_visible_to(user=request.user, query=query)
    staff = bool(results) and permissions.can_see_internal_tags(request.user)
    for thread in results:
        thread.shown_tags = selectors.shown_tag_labels(thread.tag_labels, staff=staff)
    return render(request, "community/search.html", {"query": query, "results": results})


@require_GET
def thread_posts_after(request, thread_id: int):
    """JSON for a live thread page: the published posts it missed (while its socket was down or opening)."""
    thread = selectors.thread_detail(user=request.user, thread_id=thread_id)
    after = bounded_int(request.GET.get("after"), -1, 2**63 - 1, minimum=-1)
    if after < 0:
        return JsonResponse({"error": _("Say after which post to continue.")}, status=400)
    rows = selectors.published_posts_after(user=request.user, thread=thread, after_id=after)
    posts = rows[: selectors.LIVE_CATCH_UP_LIMIT]
    return JsonResponse(
        {"posts": _live_posts(request, thread, posts), "more": len(rows) > len(posts), **_reply_counter(thread)}
    )


@require_GET
def post_fragment(request, post_id: int):
    """JSON for a live thread page: one post as the page renders it for this viewer, and the reply count.

    A live message names only the post; every page asks here, so each viewer gets the buttons their
    own permissions allow, and a post or thread the viewer may not see is a 404 as everywhere else.
    """
    post = permissions.access_post(request.user, post_id)
    selectors.mark_viewer_reactions(user=request.user, posts=[post])
    (item,) = _live_posts(request, post.thread, [post])
    return JsonResponse({**item, **_reply_counter(post.thread)})


@require_GET
def mention_suggestions(request):
    """JSON for the editors' "@" autocomplete: at most eight members by handle prefix, members only."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in to mention members.")}, status=403)
    try:
        ratelimit.hit(f"community:mentions:{request.user.pk}", limit=MENTION_SUGGESTIONS_PER_MINUTE, window=60)
    except ratelimit.RateLimited as exc:
        response = JsonResponse({"error": _("Too many requests. Please try again later.")}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    thread = None
    thread_id = bounded_int(request.GET.get("thread"), 0, 2**63 - 1, minimum=0)
    if thread_id:
        try:
            thread = permissions.access_thread(request.user, thread_id)
        except Http404:
            thread = None
    members = selectors.mention_suggestions(user=request.user, prefix=request.GET.get("q", "")[:60], thread=thread)
    return JsonResponse(
        {
            "results": [
                {"handle": m.handle, "name": m.public_name if m.is_team else "", "team": m.is_team} for m in members
            ]
        }
    )


@require_GET
def similar(request):
    """JSON for the ask form: threads like the title being typed, answered first."""
    threads = selectors.similar_threads(user=request.user, title=request.GET.get("title", ""))
    return JsonResponse(
        {
            "results": [
                {"title": t.title, "url": t.get_absolute_url(), "answered": bool(t.accepted_post_id)} for t in threads
            ]
        }
    )


@require_GET
def tag_suggestions(request):
    staff = permissions.can_see_internal_tags(request.user)
    return JsonResponse({"results": selectors.tag_autocomplete(prefix=request.GET.get("q", ""), staff=staff)})


# --- writing -------------------------------------------------------------------------------


def _blocked(request, exc: services.PostingBlocked, status=403):
    return render(request, "community/blocked.html", {"message": exc.message}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def thread_create(request, slug: str):
    forum = selectors.forum_visible_to(user=request.user, slug=slug)
    if forum is None:
        raise Http404
    block = permissions.posting_block_reason(request.user)
    initial, editor = editor_views.editor_context(request, forum=forum, with_draft=request.method == "GET")
    form = ThreadForm(request.POST or None, initial=initial)
    findings, similar_list, preview_html = [], [], ""
    if request.method == "POST" and form.is_valid():
        ready, findings = _personal_data_step(request, form)
        if ready:
            try:
                thread = services.thread_create(
                    forum=forum,
                    author=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    tags=form.tag_names(),
                    clear_draft=editor_views.form_had_draft(request),
                )
            except services.PostingBlocked as exc:
                return _blocked(request, exc)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _tell_about_images(request, form.cleaned_data["body"])
                if thread.is_held:
                    messages.info(request, _("Thanks! Your question is waiting for a moderator and will appear soon."))
                else:
                    messages.success(request, _("Your question is published."))
                return redirect(thread)
        if form.is_valid():
            similar_list = selectors.similar_threads(user=request.user, title=form.cleaned_data["title"])
            preview_html = services.render_post_body(form.cleaned_data["body"])
            _tell_about_images(request, form.cleaned_data["body"])
    return render(
        request,
        "community/thread_form.html",
        {
            "forum": forum,
            "form": form,
            "findings": findings,
            "similar": similar_list,
            "preview_html": preview_html,
            "block_reason": block,
            **editor,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_reply(request, thread_id: int):
    thread = selectors.thread_for_reply(user=request.user, thread_id=thread_id)
    draft_initial, editor = editor_views.editor_context(request, thread=thread, with_draft=request.method == "GET")
    initial = {"body": draft_initial["body"]} if draft_initial else {}
    if request.method == "GET" and request.GET.get("quote"):
        quote_id = bounded_int(request.GET["quote"], 0, 2**63 - 1, minimum=0)
        try:
            quoted = permissions.access_post(request.user, quote_id) if quote_id else None
        except Http404:
            quoted = None
        if quoted is not None and quoted.thread_id == thread.pk and quoted.is_published:
            name = quoted.author.public_name if quoted.author else _("deleted member")
            lines = "\n".join(f"> {line}" for line in quoted.body.splitlines())
            initial["body"] = f"{initial.get('body', '')}> **@{name}** {_('wrote')}:\n{lines}\n\n"
    form = ReplyForm(request.POST or None, initial=initial)
    findings, preview_html = [], ""
    if request.method == "POST" and form.is_valid():
        ready, findings = _personal_data_step(request, form)
        if ready:
            try:
                post = services.post_create(
                    thread=thread,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    clear_draft=editor_views.form_had_draft(request),
                )
            except services.PostingBlocked as exc:
                return _blocked(request, exc)
            except PermissionDenied:
                raise
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _tell_about_images(request, form.cleaned_data["body"])
                if not post.is_published:
                    messages.info(request, _("Thanks! Your reply is waiting for a moderator and will appear soon."))
                return HttpResponseRedirect(reverse("community:post", args=[post.pk]))
        if form.is_valid():
            preview_html = services.render_post_body(form.cleaned_data["body"])
            _tell_about_images(request, form.cleaned_data["body"])
    return render(
        request,
        "community/reply_form.html",
        {
            **editor,
            "thread": thread,
            "form": form,
            "findings": findings,
            "preview_html": preview_html,
            "can_reply": permissions.can_reply_to_thread(request.user, thread),
            "block_reason": permissions.posting_block_reason(request.user),
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, post_id: int):
    post = permissions.access_post(request.user, post_id)
    if not permissions.can_edit_post(request.user, post):
        raise PermissionDenied
    form = EditForm(request.POST or None, initial={"body": post.body})
    findings = []
    if request.method == "POST" and form.is_valid():
        ready, findings = _personal_data_step(request, form)
        if ready:
            try:
                services.post_edit(post=post, editor=request.user, body=form.cleaned_data["body"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your changes are saved."))
                _tell_about_images(request, form.cleaned_data["body"])
                return HttpResponseRedirect(reverse("community:post", args=[post.pk]))
    return render(request, "community/post_edit.html", {"post": post, "form": form, "findings": findings})


@require_GET
def post_history(request, post_id: int):
    post = permissions.access_post(request.user, post_id)
    if not permissions.can_see_history(request.user, post):
        raise PermissionDenied
    return render(
        request, "community/post_history.html", {"post": post, "revisions": selectors.post_history(post=post)}
    )


@login_required
@require_POST
def answer_accept(request, post_id: int):
    post = permissions.access_post(request.user, post_id)
    thread = post.thread
    if request.POST.get("undo"):
        services.answer_unaccept(thread=thread, actor=request.user)
        messages.info(request, _("The answer is no longer marked as accepted."))
    else:
        try:
            services.answer_accept(thread=thread, post=post, actor=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("Marked as the accepted answer."))
    return redirect(thread)


@login_required
@require_POST
def reaction_toggle(request, post_id: int):
    post = permissions.access_post(request.user, post_id)
    marked = services.reaction_toggle(post=post, user=request.user)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"marked": marked, "count": post.helpful_count})
    return HttpResponseRedirect(reverse("community:post", args=[post.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def post_flag(request, post_id: int):
    post = permissions.access_post(request.user, post_id)
    if not permissions.can_flag_post(request.user, post):
        raise PermissionDenied
    if selectors.flag_standing(reporter=request.user, post=post) is not None:
        messages.info(request, _("You already reported this post. A moderator looks at each report."))
        return HttpResponseRedirect(reverse("community:post", args=[post.pk]))
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_flag(
                post=post, reporter=request.user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
            )
        except services.PostingBlocked as exc:
            return _blocked(request, exc, status=429)
        messages.success(request, _("Thank you. A moderator will look at this post."))
        return HttpResponseRedirect(reverse("community:post", args=[post.pk]))
    return render(request, "community/post_flag.html", {"post": post, "form": form})


@login_required
@require_POST
def thread_tag_add(request, thread_id: int):
    thread = selectors.thread_detail(user=request.user, thread_id=thread_id)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please enter a tag of at most 40 characters."))
        return redirect(thread)
    try:
        services.thread_tag_add(thread=thread, name=form.cleaned_data["tag"], actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect(thread)


@login_required
@require_POST
def thread_tag_remove(request, thread_id: int, tag_slug: str):
    thread = selectors.thread_detail(user=request.user, thread_id=thread_id)
    tag = Tag.objects.filter(slug=tag_slug).first()
    if tag is None:
        raise Http404
    services.thread_tag_remove(thread=thread, tag=tag, actor=request.user)
    return redirect(thread)


@login_required
@require_POST
def thread_moderate(request, thread_id: int):
    """Moderator buttons on the thread page: lock, pin, hide (with reason), restore."""
    thread = selectors.thread_detail(user=request.user, thread_id=thread_id)
    if not permissions.can_moderate_thread(request.user, thread):
        raise PermissionDenied
    if moderation_actions.run(request, moderation_actions.THREAD_ACTIONS, thread) is None:
        return render(request, "community/blocked.html", {"message": _("Unknown action.")}, status=400)
    return redirect(thread)


@login_required
@require_POST
def post_moderate(request, post_id: int):
    """Moderator buttons on a post: approve a held post, hide with a reason, restore."""
    post = permissions.access_post(request.user, post_id)
    if not permissions.can_moderate_thread(request.user, post.thread):
        raise PermissionDenied
    if moderation_actions.run(request, moderation_actions.POST_ACTIONS, post) is None:
        return render(request, "community/blocked.html", {"message": _("Unknown action.")}, status=400)
    next_url = request.POST.get("next", "")
    if next_url.startswith("/admin/community/"):
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(reverse("community:post", args=[post.pk]))


@login_required
@require_POST
def blog_comment(request, page_id: int):
    """A comment under a blog post: a reply in the post's community thread."""
    from community.models import BlogPage

    page = BlogPage.objects.live().public().filter(pk=page_id).first()
    if page is None:
        raise Http404
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please write a comment of at most 20,000 characters."))
        return HttpResponseRedirect(page.url + "#comments")
    ready, findings = _personal_data_step(request, form)
    if not ready:
        return render(
            request,
            "community/reply_form.html",
            {
                "thread": {"title": page.title},
                "form": form,
                "findings": findings,
                "preview_html": services.render_post_body(form.cleaned_data.get("body", "")),
                "can_reply": True,
                "action_url": reverse("community:blog_comment", args=[page.pk]),
                "back_url": page.url,
            },
        )
    thread = services.blog_comment_thread(page=page)
    try:
        post = services.post_create(thread=thread, author=request.user, body=form.cleaned_data["body"])
    except services.PostingBlocked as exc:
        return _blocked(request, exc)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return HttpResponseRedirect(page.url + "#comments")
    _tell_about_images(request, form.cleaned_data["body"])
    if not post.is_published:
        messages.info(request, _("Thanks! Your comment is waiting for a moderator and will appear soon."))
    return HttpResponseRedirect(f"{page.url}#post-{post.pk}")
