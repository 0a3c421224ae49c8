"""Every CRM connection gets its own pseudonyms: two vendors cannot join records, the DPO re-identifies per recipient."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection as db_connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from consent.models import AuditEntry, ConsentEvent
from consent.pseudonyms import InvalidDomain, parse, pseudonym_for, recipient_domain
from crm import services
from crm.models import ActionType, ConnectionKind, CrmConnection, InterestCard, TagRule
from portal.roles import Role
from tests.crm.conftest import CrmStore
from tests.factories import make_member

pytestmark = pytest.mark.django_db
PSEUDONYM = re.compile(r"\b[a-z][a-z0-9]{1,19}_\d+_[a-z2-7]{20}\b")
REASON = "Complaint CRM-2231 needs a personal answer"


def test_recipient_keys_give_valid_distinct_domains_and_the_legacy_key_keeps_its_own(customer):
    """``crm:<token>``, ``webhook:<id>``, ``api:<id>`` each get a domain of their kind; ``crm`` stays ``crm``."""
    keys = [CrmConnection().recipient_key, CrmConnection().recipient_key, "webhook:12", "api:12", "crm:12"]
    domains = [recipient_domain(key) for key in keys]
    assert len(set(domains)) == len(keys)
    assert [d[: len(k.split(":")[0])] for d, k in zip(domains, keys, strict=True)] == [
        "crm",
        "crm",
        "webhook",
        "api",
        "crm",
    ]
    assert all(len(domain) == 20 and parse(pseudonym_for(customer, domain)) == (domain, 1) for domain in domains)
    assert recipient_domain("crm") == "crm"
    for bad in ("", "crm:", "CRM:12", "crm:a-b", "x:12", "verylongkind:12"):
        with pytest.raises(InvalidDomain):
            recipient_domain(bad)


@pytest.fixture
def vendors(receiver_factory, signing_secret):
    """Two CRMs of two different vendors, connected after per-recipient domains: "lead" goes to A, "bug" to B."""
    made = {}
    for name, tag, action in (("Vendor A", "lead", ActionType.LEAD), ("Vendor B", "bug", ActionType.BUG)):
        store = CrmStore(signing_secret)
        receiver = receiver_factory(store.accept)
        connection = services.connection_save(
            connection=CrmConnection(name=name, kind=ConnectionKind.WEBHOOK, url=receiver.url + "/hook"),
            secrets={"signing_secret": signing_secret},
        )
        TagRule.objects.create(tag=tag, action_type=action, connection=connection)
        made[tag] = (connection, store)
    return made


@pytest.fixture
def members(db):
    return [make_member(role=Role.CUSTOMER) for _ in range(4)]


def _threads_naming_each_other(members, make_thread, tag, moderator) -> list:
    """Each member asks, naming every other member by @handle; moderators send each thread to both CRMs."""
    threads = []
    for author in members:
        others = " ".join(f"@{m.handle}" for m in members if m != author)
        thread = make_thread(author, title="Quote for 40 seats", body=f"My colleagues {others} agree, {author.handle}.")
        tag(thread, moderator, "lead")
        tag(thread, moderator, "bug")
        threads.append(thread)
    return threads


def _pseudonyms_held(store: CrmStore) -> set[str]:
    return set(PSEUDONYM.findall(json.dumps(store.tasks)))


def test_two_vendors_holding_the_same_cards_share_no_pseudonym(members, vendors, make_thread, tag, moderator):
    """The join attack: A and B receive the same threads, yet no member has one pseudonym in both CRMs."""
    _threads_naming_each_other(members, make_thread, tag, moderator)
    (a, store_a), (b, store_b) = vendors["lead"], vendors["bug"]
    assert len(store_a.tasks) == len(store_b.tasks) == len(members)
    assert a.pseudonym_domain != b.pseudonym_domain and "crm" not in (a.recipient_key, b.recipient_key)

    held_a, held_b = _pseudonyms_held(store_a), _pseudonyms_held(store_b)
    assert held_a == {pseudonym_for(m, a.pseudonym_domain) for m in members}
    assert held_b == {pseudonym_for(m, b.pseudonym_domain) for m in members}
    assert held_a.isdisjoint(held_b)
    for thread in InterestCard.objects.filter(tag="lead").values_list("source_id", flat=True):
        card_a = store_a.tasks[str(InterestCard.objects.get(source_id=thread, tag="lead").key)]
        card_b = store_b.tasks[str(InterestCard.objects.get(source_id=thread, tag="bug").key)]
        # The same text with the handles replaced: what differs are exactly the pseudonyms, each recipient's own.
        assert PSEUDONYM.sub("X", card_a["text"]) == PSEUDONYM.sub("X", card_b["text"])
        assert set(PSEUDONYM.findall(card_a["text"])).isdisjoint(PSEUDONYM.findall(card_b["text"]))
        assert card_a["author"]["pseudonym"] != card_b["author"]["pseudonym"]
        for member in members:
            assert member.handle not in card_a["text"] + card_b["text"]


def test_the_dpo_re_identifies_each_recipients_pseudonym_and_the_audit_names_the_recipient(
    client, members, vendors, make_thread, tag, moderator, dpo
):
    """From each vendor's record the DPO finds the member; the result, the audit and the ledger name the recipient."""
    _threads_naming_each_other(members[:2], make_thread, tag, moderator)
    member = members[0]
    client.force_login(dpo)
    for tag_name in ("lead", "bug"):
        connection, store = vendors[tag_name]
        card = InterestCard.objects.get(member=member, tag=tag_name)
        held = store.tasks[str(card.key)]["author"]["pseudonym"]
        for recipient in ("", connection.recipient_key):
            response = client.post(
                reverse("consent_admin:reidentify"), {"pseudonym": held, "reason": REASON, "recipient": recipient}
            )
            assert response.status_code == 200
            body = response.content.decode()
            assert member.email in body
            assert re.search(r"data-recipient>\s*" + re.escape(str(connection)), body)
            entry = AuditEntry.objects.order_by("-id").first()
            assert (entry.actor, entry.subject, entry.action, entry.reason) == (dpo, member, "reidentify", REASON)
            assert entry.target == f"{held} ({connection})"
            event = ConsentEvent.objects.filter(kind="reidentify").order_by("-id").first()
            assert json.loads(event.payload)["evidence"]["recipient"] == connection.recipient_key
    assert AuditEntry.objects.filter(action="reidentify").count() == 4


def test_a_pseudonym_of_one_vendor_does_not_re_identify_under_another(
    client, members, vendors, make_thread, tag, moderator, dpo
):
    """Naming vendor B for a pseudonym only vendor A holds is refused: no member shown, nothing recorded."""
    _threads_naming_each_other(members[:2], make_thread, tag, moderator)
    (_a, store_a), (b, _store_b) = vendors["lead"], vendors["bug"]
    card = InterestCard.objects.get(member=members[0], tag="lead")
    held_by_a = store_a.tasks[str(card.key)]["author"]["pseudonym"]
    client.force_login(dpo)
    response = client.post(
        reverse("consent_admin:reidentify"), {"pseudonym": held_by_a, "reason": REASON, "recipient": b.recipient_key}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f"This pseudonym was not issued to {b}." in body
    assert members[0].email not in body and "data-reidentified" not in body
    assert AuditEntry.objects.filter(action="reidentify").count() == 0
    assert ConsentEvent.objects.filter(kind="reidentify").count() == 0


def test_the_recipient_choice_and_refusal_are_in_german(client, members, vendors, make_thread, tag, moderator, dpo):
    """The re-identify page offers the recipients and refuses a wrong one in German too."""
    _threads_naming_each_other(members[:2], make_thread, tag, moderator)
    (a, store_a), (b, _store_b) = vendors["lead"], vendors["bug"]
    held_by_a = store_a.tasks[str(InterestCard.objects.get(member=members[0], tag="lead").key)]["author"]["pseudonym"]
    dpo.preferred_language = "de"
    dpo.save(update_fields=["preferred_language"])
    client.force_login(dpo)
    client.cookies["django_language"] = "de"
    headers = {"HTTP_ACCEPT_LANGUAGE": "de"}
    page = client.get(reverse("consent_admin:reidentify"), **headers).content.decode()
    assert "Empfänger" in page and f'value="{a.recipient_key}"' in page and f'value="{b.recipient_key}"' in page
    response = client.post(
        reverse("consent_admin:reidentify"),
        {"pseudonym": held_by_a, "reason": REASON, "recipient": b.recipient_key},
        **headers,
    )
    assert response.status_code == 400
    assert f"Dieses Pseudonym wurde nicht an {b} ausgegeben." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_connection_from_before_the_migration_keeps_its_pseudonyms(
    receiver_factory, signing_secret, make_thread, tag, dpo, django_capture_on_commit_callbacks
):
    """A connection made before per-recipient domains still receives the pseudonyms its CRM already holds.

    The connection is created by the schema as it was (crm 0001) and migrated forward; "before" is what
    every connection received then: the member's pseudonym in the shared domain ``crm``.
    """
    executor = MigrationExecutor(db_connection)
    executor.migrate([("crm", "0001_initial")])
    old_apps = executor.loader.project_state([("crm", "0001_initial")]).apps
    old = old_apps.get_model("crm", "CrmConnection").objects.create(
        name="Old CRM", kind="webhook", url="https://x.test/"
    )
    executor = MigrationExecutor(db_connection)
    # Every app's leaves: going back to crm 0001 also unapplied the apps whose migrations depend on crm's.
    executor.migrate(executor.loader.graph.leaf_nodes())

    member, moderator = make_member(role=Role.CUSTOMER), make_member(role=Role.MODERATOR)
    before = pseudonym_for(member, "crm")
    store = CrmStore(signing_secret)
    legacy = CrmConnection.objects.get(pk=old.pk)
    legacy.url = receiver_factory(store.accept).url + "/hook"
    legacy = services.connection_save(connection=legacy, secrets={"signing_secret": signing_secret})
    TagRule.objects.create(tag="lead", action_type=ActionType.LEAD, connection=legacy)
    fresh = services.connection_save(
        connection=CrmConnection(name="New CRM", kind=ConnectionKind.WEBHOOK, url="https://y.test/"), secrets={}
    )
    tag(make_thread(member), moderator)

    assert legacy.recipient_key == "crm" and legacy.pseudonym_domain == "crm"
    assert fresh.recipient_key != "crm" and pseudonym_for(member, fresh.pseudonym_domain) != before
    (payload,) = store.tasks.values()
    assert payload["author"] == {"pseudonym": before}

    from consent import services as consent_services

    found = consent_services.pseudonym_reidentify(actor=dpo, pseudonym=before, reason=REASON, recipient="crm")
    assert found == member
    assert AuditEntry.objects.get(action="reidentify").target == f"{before} ({legacy})"


def test_the_connection_page_shows_which_pseudonyms_the_crm_gets(client, administrator, vendors):
    """An administrator sees each connection's own pseudonym prefix (in German too); a new connection has none yet."""
    (a, _store_a), (b, _store_b) = vendors["lead"], vendors["bug"]
    client.force_login(administrator)
    page_a = client.get(f"/admin/crm_connections/edit/{a.pk}/").content.decode()
    assert f'value="{a.pseudonym_domain}_"' in page_a and b.pseudonym_domain not in page_a
    assert f'value="{b.pseudonym_domain}_"' in client.get(f"/admin/crm_connections/edit/{b.pk}/").content.decode()
    assert "pseudonym_prefix" not in client.get("/admin/crm_connections/new/").content.decode()
    administrator.preferred_language = "de"
    administrator.save(update_fields=["preferred_language"])
    client.cookies["django_language"] = "de"
    german = client.get(f"/admin/crm_connections/edit/{a.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Jedes Pseudonym, das diese Verbindung erhält, beginnt so." in german
