"""Private threads (offline chat messages): only the author and the forum's moderators see them, on every read path."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community import services
from community.models import Mention, Post, Thread
from portal.models import Notification
from portal.roles import Role
from portal.tasks import reindex
from tests.community.conftest import reply
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _site(home_page):
    return home_page


@pytest.fixture
def secret(forum, customer):
    """A private question of ``customer`` in the public forum."""
    return services.thread_create(
        forum=forum,
        author=customer,
        title="Refund for order 4711",
        body="Please refund the zebracorn order.",
        is_private=True,
    )


@pytest.fixture
def public(forum, other_customer):
    return services.thread_create(forum=forum, author=other_customer, title="Zebracorn export", body="How?")


@pytest.fixture
def forum_moderator(forum):
    """A customer who moderates just this forum through a guardian object permission."""
    member = make_member(role=Role.CUSTOMER)
    services.forum_grant_access(forum=forum, user=member, moderate=True)
    return member


def _index_all():
    reindex.call(
        refs=[("community.Thread", pk) for pk in Thread.objects.values_list("pk", flat=True)]
        + [("community.Post", pk) for pk in Post.objects.values_list("pk", flat=True)]
    )


def test_only_the_author_and_the_forums_moderators_open_the_thread(
    client, secret, customer, other_customer, moderator, forum_moderator
):
    """Another customer and anonymous visitors get 404 on the page, its posts and the reply form."""
    question = secret.posts.get()
    urls = [f"/forums/t/{secret.pk}/", f"/forums/p/{question.pk}/", f"/forums/t/{secret.pk}/reply/"]
    assert [client.get(url).status_code for url in urls] == [404, 404, 302]  # the reply form asks to log in first
    client.force_login(other_customer)
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    assert client.post(urls[2], {"body": "me too", "action": "publish"}).status_code == 404
    assert secret.posts.count() == 1
    for viewer in (customer, moderator, forum_moderator):
        client.force_login(viewer)
        page = client.get(urls[0])
        assert page.status_code == 200
        assert "Please refund the zebracorn order." in page.content.decode()


def test_private_threads_are_not_counted_in_the_forum(client, secret, public, forum, other_customer, moderator):
    """The forum index shows the counts of shared threads only, also after replies and a recount."""
    reply(secret, moderator, "Refund is on its way.")
    forum.refresh_from_db()
    assert (forum.thread_count, forum.post_count) == (1, 1)
    services.forum_recount(forum)
    forum.refresh_from_db()
    assert (forum.thread_count, forum.post_count, forum.last_activity_at) == (1, 1, public.last_activity_at)
    client.force_login(other_customer)
    page = client.get("/forums/").content.decode()
    assert "1 thread" in page
    assert "2 threads" not in page


@pytest.mark.parametrize("current", ["newest", "unanswered", "mine"])
def test_thread_lists_show_a_private_thread_only_to_its_author_and_staff(
    client, current, secret, public, customer, other_customer, moderator, forum_moderator
):
    """Every list filter of the forum page leaves someone else's private thread out."""

    def listed(user):
        client.force_login(user)
        return {t.pk for t in client.get(f"/forums/general/?filter={current}").context["threads"]}

    assert secret.pk not in listed(other_customer)
    expected_for_author = {secret.pk} if current == "mine" else {secret.pk, public.pk}
    assert listed(customer) == expected_for_author
    if current != "mine":
        assert listed(moderator) == {secret.pk, public.pk}
        assert listed(forum_moderator) == {secret.pk, public.pk}


def test_the_list_marks_private_threads(client, secret, customer):
    client.force_login(customer)
    html = client.get("/forums/general/").content.decode()
    assert '<span class="status status--warning">Private</span>' in html


def test_forum_search_finds_a_private_thread_only_for_its_author_and_staff(
    client, secret, public, customer, other_customer, moderator, forum_moderator
):
    """Neither its title nor its text is a search hit for others, signed in or not."""
    reply(secret, moderator, "Your zebracorn refund is booked.")
    _index_all()

    def hits(user, query):
        client.logout()
        if user is not None:
            client.force_login(user)
        return [t.pk for t in client.get(f"/forums/search/?q={query}").context["results"]]

    for query in ("refund", "zebracorn+order", "booked"):
        assert hits(None, query) == []
        assert hits(other_customer, query) == []
        assert hits(customer, query) == [secret.pk]
        assert hits(moderator, query) == [secret.pk]
        assert hits(forum_moderator, query) == [secret.pk]
    assert hits(other_customer, "zebracorn") == [public.pk]


def test_unified_search_leaves_out_private_threads_of_others(secret, public, customer, other_customer, moderator):
    """The knowledge base's search across articles, threads and ideas applies the same rule."""
    from knowledgebase.search import unified_search

    _index_all()

    def thread_titles(user):
        return [h.title for h in unified_search(user=user, query="zebracorn").hits if h.type == "thread"]

    assert thread_titles(other_customer) == ["Zebracorn export"]
    assert sorted(thread_titles(customer)) == ["Refund for order 4711", "Zebracorn export"]
    assert sorted(thread_titles(moderator)) == ["Refund for order 4711", "Zebracorn export"]


def test_similar_suggestions_never_offer_someone_elses_private_thread(client, secret, customer, other_customer):
    _index_all()
    client.force_login(other_customer)
    assert client.get("/forums/similar/?title=refund+for+order").json() == {"results": []}
    client.force_login(customer)
    urls = [r["url"] for r in client.get("/forums/similar/?title=refund+for+order").json()["results"]]
    assert urls == [f"/forums/t/{secret.pk}/"]


def test_a_mention_in_a_private_thread_reaches_only_who_can_see_it(
    secret, customer, other_customer, moderator, forum_moderator, django_capture_on_commit_callbacks
):
    """A named customer without access gets no mention row and no notification; staff and the author do."""
    with django_capture_on_commit_callbacks(execute=True):
        post = reply(secret, moderator, f"@{other_customer.handle} @{forum_moderator.handle} please check this refund.")
    assert list(Mention.objects.values_list("post_id", "user_id")) == [(post.pk, forum_moderator.pk)]
    assert Notification.objects.filter(recipient=other_customer).count() == 0
    notes = sorted(Notification.objects.values_list("recipient_id", "kind"))
    assert notes == sorted([(forum_moderator.pk, "community.mention"), (customer.pk, "community.reply")])


@pytest.mark.django_db(transaction=True)
def test_the_live_socket_of_a_private_thread_refuses_other_customers(secret, customer, other_customer):
    """The thread page's WebSocket runs the same check as the page."""
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from portal.routing import websocket_urlpatterns

    async def attempt(user):
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/forums/threads/{secret.pk}/")
        communicator.scope["user"] = user
        connected, code = await communicator.connect()
        await communicator.disconnect()
        return connected, code

    assert async_to_sync(attempt)(other_customer) == (False, 4403)
    assert async_to_sync(attempt)(customer)[0] is True


def test_promoting_to_the_knowledge_base_is_not_offered(client, secret, customer, moderator):
    """Even answered and accepted, a private question never becomes a public article."""
    from knowledgebase.models import KBArticlePage
    from knowledgebase.permissions import can_promote_thread
    from knowledgebase.services import article_promote

    answer = reply(secret, moderator, "Refund booked.")
    services.answer_accept(thread=secret, post=answer, actor=customer)
    secret.refresh_from_db()
    assert can_promote_thread(moderator, secret) is False
    client.force_login(moderator)
    assert "Promote to knowledge base" not in client.get(f"/forums/t/{secret.pk}/").content.decode()
    assert client.get(f"/kb-tools/promote/{secret.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        article_promote(thread=secret, moderator=moderator)
    assert KBArticlePage.objects.count() == 0


def test_private_threads_cannot_be_merged(secret, public, moderator):
    """Merging would show the private question to others, or others' posts in a private thread."""
    for source, target in ((secret, public), (public, secret)):
        with pytest.raises(ValidationError):
            services.thread_merge(source=source, target=target, moderator=moderator)
    assert (secret.posts.count(), public.posts.count()) == (1, 1)


def test_replying_in_someone_elses_private_thread_is_refused_by_the_service(secret, other_customer):
    with pytest.raises(PermissionDenied):
        services.post_create(thread=secret, author=other_customer, body="Let me in")
    assert secret.posts.count() == 1


def test_private_threads_skip_the_first_post_hold(forum, _no_first_post_hold):
    """Nobody but staff could see a private question, so holding it for approval protects no one."""
    _no_first_post_hold.hold_first_posts = True
    _no_first_post_hold.save()
    newcomer = make_member(role=Role.CUSTOMER)
    thread = services.thread_create(forum=forum, author=newcomer, title="First question", body="Hi", is_private=True)
    assert (thread.is_held, thread.posts.get().status) == (False, "published")


def test_the_thread_list_budget_does_not_grow_with_private_threads(
    client, forum, customer, other_customer, django_assert_num_queries
):
    """Private threads are filtered in the same single list query (shell + 3, as without them)."""
    from tests.community.test_queries import SHELL_MEMBER

    now = timezone.now()
    Thread.objects.bulk_create(
        [
            Thread(forum=forum, author=customer, title=f"Private {i}", is_private=True, last_activity_at=now)
            for i in range(30)
        ]
    )
    client.force_login(other_customer)
    with django_assert_num_queries(SHELL_MEMBER + 3):
        response = client.get("/forums/general/")
    assert response.context["threads"] == []
