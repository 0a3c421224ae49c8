"""Thin views: unified search, suggestions JSON, helpful votes, promotion, FAQ and the review report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from knowledgebase import events, permissions, selectors, services
from knowledgebase.models import KBArticlePage, KBCategoryPage, KBIndexPage
from knowledgebase.search import article_suggestions, query_was_shortened, unified_search
from knowledgebase.visitor import session_voter_key
from portal.inputs import bounded_int, safe_next_url, search_shortened_message
from portal.middleware import back_office_language
from portal.ratelimit import RateLimited, hit

SUGGEST_PER_MINUTE = 120


@require_GET
def search(request):
    """The unified search page: KB, forum threads and ideas the viewer may see."""
    if query_was_shortened(request.GET.get("q", "")):
        messages.info(request, search_shortened_message())
    results = unified_search(
        user=request.user,
        query=request.GET.get("q", ""),
        type=request.GET.get("type", ""),
        product=request.GET.get("product", ""),
        tag=request.GET.get("tag", ""),
    )
    return render(
        request,
        "knowledgebase/search.html",
        {"results": results, "query": results.query, "raw_query": request.GET.get("q", "")[:200]},
    )


@require_GET
def suggest(request):
    """JSON suggestions of KB articles for what the visitor is typing (forum ask form, chat)."""
    text = request.GET.get("q", "")
    limit = bounded_int(request.GET.get("limit"), 5, 10)
    client = request.user.pk if request.user.is_authenticated else request.META.get("REMOTE_ADDR", "")
    try:
        hit(f"kb-suggest:{client}", limit=SUGGEST_PER_MINUTE, window=60)
    except RateLimited as limited:
        return JsonResponse({"error": _("Too many requests."), "retry_after": limited.retry_after}, status=429)
    results = article_suggestions(text=text, limit=limit)
    if results:
        # Counted for the deflection figure (suggestions shown vs questions posted anyway); nothing about who.
        events.suggestions_shown.send(count=len(results))
    return JsonResponse({"results": results})


def _safe_next(request, fallback: str) -> str:
    return safe_next_url(request.POST.get("next"), request=request, fallback=fallback)


@csrf_exempt
@require_POST
def helpful_vote(request, page_id: int):
    """Record "was this helpful?"; members' votes are CSRF-checked, anonymous ones come from cached pages.

    A cached page is shared by anonymous visitors, so it cannot carry a per-visitor token;
    a forged anonymous vote equals one the attacker could cast themselves, so nothing is lost.
    """
    if request.user.is_authenticated:
        reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if reason is not None:
            return reason
    article = get_object_or_404(KBArticlePage.objects.live(), pk=page_id)
    choice = request.POST.get("helpful")
    if choice not in ("yes", "no"):
        messages.error(request, _("Choose yes or no."))
        return redirect(article.get_url() + "#helpful")
    try:
        services.helpful_vote_cast(
            article=article,
            helpful=choice == "yes",
            user=request.user,
            voter_key=session_voter_key(request, create=True),
        )
    except RateLimited:
        messages.error(request, _("Too many votes. Please try again later."))
    else:
        messages.success(request, _("Thank you for your feedback."))
    return redirect(article.get_url() + "#helpful")


@login_required
@require_http_methods(["GET", "POST"])
def promote(request, thread_id: int):
    """A moderator confirms where the draft article goes; POST creates it and starts the review."""
    thread = permissions.access_thread_for_promotion(request.user, thread_id)
    existing = selectors.thread_article_link(thread_id=thread.pk)
    index = KBIndexPage.objects.first()
    categories = list(KBCategoryPage.objects.child_of(index).order_by("path")) if index else []
    if request.method == "POST" and existing is None:
        parent = None
        raw_parent = request.POST.get("parent", "")
        if raw_parent:
            parent = next((c for c in categories if str(c.pk) == raw_parent), None)
            if parent is None:
                raise Http404
        try:
            article = services.article_promote(thread=thread, moderator=request.user, parent=parent)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(
                request, _("Draft article “%(title)s” created and submitted for review.") % {"title": article.title}
            )
            return HttpResponseRedirect(reverse("wagtailadmin_pages:edit", args=[article.pk]))
    return render(
        request,
        "knowledgebase/promote.html",
        {"thread": thread, "existing": existing, "categories": categories, "index": index},
    )


@require_GET
def faq(request, slug: str):
    """The most helpful articles of one product, as a FAQ page."""
    product, articles = selectors.faq_for_product(slug=slug)
    if product is None:
        raise Http404
    return render(request, "knowledgebase/faq.html", {"product": product, "articles": articles})


@login_required
@require_GET
@back_office_language
def review_report(request):
    """Articles with a low helpful score or an old review date, for editors."""
    if not permissions.can_view_review_report(request.user):
        raise PermissionDenied
    max_age = bounded_int(request.GET.get("max_age"), selectors.REVIEW_MAX_AGE_DAYS, 3650)
    articles = selectors.review_report(max_age_days=max_age)
    return render(request, "knowledgebase/review_report.html", {"articles": articles, "max_age": max_age})
