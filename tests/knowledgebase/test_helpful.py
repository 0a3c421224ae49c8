"""Was this helpful?: one vote per member or anonymous session, scores for editors, review report, FAQ."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.test import Client

from knowledgebase import selectors, services
from knowledgebase.models import HelpfulVote
from knowledgebase.visitor import SESSION_VOTER_KEY


def _vote(client, article, choice):
    return client.post(f"/kb-tools/articles/{article.pk}/helpful/", {"helpful": choice})


def test_member_votes_once_and_can_change_their_mind(client, customer, make_article):
    """A member's second answer replaces the first: one row per member and article."""
    article = make_article(title="Vote article")
    client.force_login(customer)
    assert _vote(client, article, "yes").status_code == 302
    assert _vote(client, article, "no").status_code == 302
    assert list(HelpfulVote.objects.values_list("user_id", "helpful", "voter_key")) == [(customer.pk, False, "")]


def test_reading_an_article_sets_no_session_cookie(make_article):
    """Before voting, an anonymous reader gets no session cookie (nothing that could track them)."""
    article = make_article(title="Quiet article")
    response = Client().get(article.url)
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_anonymous_vote_uses_a_hashed_session_key(make_article):
    """An anonymous vote starts a session; only an HMAC of its random key is stored, once per session."""
    article = make_article(title="Anonymous vote")
    visitor = Client()
    response = _vote(visitor, article, "yes")
    assert response.status_code == 302
    assert settings.SESSION_COOKIE_NAME in response.cookies
    _vote(visitor, article, "yes")
    vote = HelpfulVote.objects.get()
    raw = visitor.session[SESSION_VOTER_KEY]
    assert vote.user_id is None
    assert vote.voter_key == services.voter_key_for(raw)
    assert raw not in vote.voter_key
    assert visitor.session.session_key not in vote.voter_key
    _vote(Client(), article, "no")
    assert sorted(HelpfulVote.objects.values_list("helpful", flat=True)) == [False, True]


def test_voter_sees_their_answer_on_the_page(make_article):
    """After voting, the article (now rendered for the session, not from the cache) thanks the voter."""
    article = make_article(title="Thanked article")
    visitor = Client()
    Client().get(article.url)
    _vote(visitor, article, "yes")
    html = visitor.get(article.url).content.decode()
    assert "You found this article helpful" in html


def test_member_vote_requires_csrf_token(customer, make_article):
    """Members' votes are CSRF-protected: a forged post changes nothing."""
    article = make_article(title="CSRF article")
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(customer)
    assert _vote(forged, article, "yes").status_code == 403
    assert HelpfulVote.objects.count() == 0


def test_invalid_choice_changes_nothing(client, customer, make_article):
    """Anything but yes/no is refused with a message."""
    article = make_article(title="Bad vote")
    client.force_login(customer)
    response = _vote(client, article, "maybe")
    assert response.status_code == 302
    assert HelpfulVote.objects.count() == 0


def test_votes_on_drafts_are_404(client, customer, make_article):
    """Only live articles take votes."""
    draft = make_article(title="Draft vote", live=False)
    client.force_login(customer)
    assert _vote(client, draft, "yes").status_code == 404
    assert HelpfulVote.objects.count() == 0


def test_editor_sees_the_score_and_customer_does_not(client, editor, customer, other_customer, make_article):
    """Editors see "67 % helpful (2 of 3 votes)"; readers see only the question."""
    article = make_article(title="Scored article")
    services.helpful_vote_cast(article=article, helpful=True, user=customer)
    services.helpful_vote_cast(article=article, helpful=True, user=other_customer)
    services.helpful_vote_cast(article=article, helpful=False, voter_key="k" * 64)
    client.force_login(editor)
    assert "67 % helpful (2 of 3 votes)" in client.get(article.url).content.decode()
    client.force_login(customer)
    assert "data-kb-score" not in client.get(article.url).content.decode()


def test_review_report_lists_low_scores_and_stale_articles(client, editor, make_article):
    """Low-rated and long-unreviewed articles are listed; fresh, well-rated ones are not."""
    today = datetime.date.today()
    stale = make_article(title="Stale article", last_reviewed=today - datetime.timedelta(days=400))
    low = make_article(title="Low article", last_reviewed=today)
    fresh = make_article(title="Fresh article", last_reviewed=today)
    for n in range(3):
        services.helpful_vote_cast(article=low, helpful=False, voter_key=f"low{n}")
        services.helpful_vote_cast(article=fresh, helpful=True, voter_key=f"fresh{n}")
    flagged = selectors.review_report()
    assert [(a.title, a.low_score, a.review_overdue) for a in flagged] == [
        ("Low article", True, False),
        ("Stale article", False, True),
    ]
    assert fresh.pk not in [a.pk for a in flagged] and stale.pk in [a.pk for a in flagged]
    client.force_login(editor)
    html = client.get("/kb-tools/review/").content.decode()
    assert "Low article" in html and "Stale article" in html and "Fresh article" not in html


def test_review_report_is_forbidden_for_customers(client, customer, kb_index):
    client.force_login(customer)
    assert client.get("/kb-tools/review/").status_code == 403


def test_faq_orders_a_products_articles_by_helpfulness(client, product, make_article):
    """The product FAQ lists its articles, most helpful first, and leaves other products' articles out."""
    best = make_article(title="Best answer", products=[product])
    worst = make_article(title="Worst answer", products=[product])
    make_article(title="Other product answer")
    for n in range(2):
        services.helpful_vote_cast(article=best, helpful=True, voter_key=f"b{n}")
        services.helpful_vote_cast(article=worst, helpful=False, voter_key=f"w{n}")
    _product, articles = selectors.faq_for_product(slug="acme-cloud")
    assert [a.title for a in articles] == ["Best answer", "Worst answer"]
    html = client.get("/kb-tools/faq/acme-cloud/").content.decode()
    assert html.index("Best answer") < html.index("Worst answer")
    assert "Other product answer" not in html
    assert client.get("/kb-tools/faq/no-such-product/").status_code == 404
