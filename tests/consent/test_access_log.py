"""Every staff view of a member's identity or private content shows once in the member's "who accessed my data"."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from community.chat import services as chat_services
from consent import pseudonyms
from consent.dsar import services as dsar_services
from consent.dsar.models import RequestKind
from consent.models import AUDIT_ACTIONS, AuditEntry
from crm import services as crm_services
from crm.models import ActionType, ConnectionKind, CrmConnection, InterestCard, Priority, SourceType, TagRule
from crm.signing import new_secret

LABELS = {
    "view_request": (
        "opened your access request, with your e-mail and name",
        "hat Ihre Auskunftsanfrage mit Ihrer E-Mail-Adresse und Ihrem Namen geöffnet",
    ),
    "reidentify": ("looked up who stands behind a pseudonym", "hat ein Pseudonym Ihnen zugeordnet"),
    "chat_view": ("opened your support chat", "hat Ihren Support-Chat geöffnet"),
    "chat_transcript": ("downloaded your chat transcript", "hat das Protokoll Ihres Chats heruntergeladen"),
    "export": ("exported your data", "hat Ihre Daten exportiert"),
    "crm_card_view": (
        "opened a CRM follow-up card with your name and e-mail",
        "hat eine CRM-Nachfasskarte mit Ihrem Namen und Ihrer E-Mail-Adresse geöffnet",
    ),
}


@pytest.fixture(autouse=True)
def _site_and_files(home_page, settings, tmp_path):
    """Pages render inside the branded site; export files go to a per-test directory."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    translation.deactivate()


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _accesses(member, language: str) -> list[str]:
    """The rows of the member's "who accessed your data" table, as text, in ``language``."""
    member.preferred_language = language
    member.save(update_fields=["preferred_language"])
    client = _login(member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get("/privacy/").content.decode()
    section = html.split('id="accesses"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td[^>]*><time.*?</tr>", section, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def _open_request_detail(staff, member):
    item = dsar_services.request_create(member=member, kind=RequestKind.ACCESS, actor=member)
    response = _login(staff).get(reverse("dsar_admin:detail", args=[item.pk]))
    assert member.email in response.content.decode()


def _reidentify(staff, member):
    pseudonym = pseudonyms.pseudonym_for(member, "crm")
    response = _login(staff).post(
        reverse("consent_admin:reidentify"),
        {"pseudonym": pseudonym, "reason": "Customer complaint #4711 needs a reply"},
    )
    assert response.status_code == 200


def _open_chat(staff, member):
    chat = chat_services.chat_start(member=member, topic="Invoice is missing", body="Where is my invoice?")
    response = _login(staff).get(reverse("chat:console_chat", args=[chat.pk]))
    assert "Where is my invoice?" in response.content.decode()


def _download_transcript(staff, member):
    chat = chat_services.chat_start(member=member, topic="Invoice is missing", body="Where is my invoice?")
    response = _login(staff).get(reverse("chat:transcript", args=[chat.pk]))
    assert "Where is my invoice?" in response.content.decode()


def _download_export(staff, member):
    export = dsar_services.export_request(user=member, actor=member)
    dsar_services.export_build(export_id=export.pk)
    response = _login(staff).get(reverse("consent:dsar:export_download", args=[export.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)


def _card_with_identity(member) -> InterestCard:
    connection = crm_services.connection_save(
        connection=CrmConnection(name="Test CRM", kind=ConnectionKind.WEBHOOK, url="https://crm.example.com/hook"),
        secrets={"signing_secret": new_secret()},
    )
    rule = TagRule.objects.create(
        tag="lead", action_type=ActionType.LEAD, priority=Priority.HIGH, due_in_days=2, connection=connection
    )
    card = crm_services.card_create(
        rule=rule,
        source_type=SourceType.THREAD,
        source_id=10_001,
        source_url="https://community.example.com/forums/t/1/",
        reply_url="https://community.example.com/forums/t/1/#reply",
        title="Pricing for 40 seats",
        text="text",
        product="Acme",
        member=member,
        automatic=False,
    )
    # Delivery with live crm_followup consent is what sets this (tests/crm/test_privacy.py covers that path).
    InterestCard.objects.filter(pk=card.pk).update(identity_sent=True)
    return card


def _open_card(staff, member):
    card = _card_with_identity(member)
    assert _login(staff).get(reverse("crm_admin:card", args=[card.pk])).status_code == 200


VIEWS = [
    ("dpo", _open_request_detail, "view_request"),
    ("dpo", _reidentify, "reidentify"),
    ("moderator", _open_chat, "chat_view"),
    ("moderator", _download_transcript, "chat_transcript"),
    ("dpo", _download_export, "export"),
    ("moderator", _open_card, "crm_card_view"),
]


@pytest.mark.parametrize(("role", "open_view", "code"), VIEWS, ids=[code for _, _, code in VIEWS])
def test_each_staff_view_shows_once_in_the_members_language(request, customer, role, open_view, code):
    """The member sees who (handle, never the e-mail) did what (translated label, no raw code) in EN and DE."""
    staff = request.getfixturevalue(role)
    assert _accesses(customer, "en") == []
    open_view(staff, customer)
    english, german = LABELS[code]
    (row_en,) = _accesses(customer, "en")
    assert f"@{staff.handle} {english}" in row_en
    assert staff.email not in row_en and not re.search(rf"\b{code}\b", row_en)
    (row_de,) = _accesses(customer, "de")
    assert f"@{staff.handle} {german}" in row_de
    assert not re.search(rf"\b{code}\b", row_de)


def test_reopening_within_ten_minutes_is_one_access_and_later_is_another(customer, dpo):
    """Reloads fold into one entry; the same page opened again after the window is a new access."""
    item = dsar_services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    client = _login(dpo)
    url = reverse("dsar_admin:detail", args=[item.pk])
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert AuditEntry.objects.filter(subject=customer, action="view_request").count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert client.get(url).status_code == 200
    assert AuditEntry.objects.filter(subject=customer, action="view_request").count() == 2


def test_the_member_viewing_their_own_data_is_no_access(customer):
    """Their own chat and transcript write nothing; their own export download is logged but not listed."""
    client = _login(customer)
    chat = chat_services.chat_start(member=customer, topic="Invoice is missing", body="Where is my invoice?")
    assert client.get(reverse("chat:room", args=[chat.pk])).status_code == 200
    assert client.get(reverse("chat:transcript", args=[chat.pk])).status_code == 200
    export = dsar_services.export_request(user=customer, actor=customer)
    dsar_services.export_build(export_id=export.pk)
    response = client.get(reverse("consent:dsar:export_download", args=[export.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert list(AuditEntry.objects.filter(subject=customer).values_list("action", flat=True)) == ["export_download"]
    assert _accesses(customer, "en") == []
    assert _accesses(customer, "de") == []


def test_a_member_never_sees_another_members_accesses(customer, other_customer, dpo, moderator):
    """Staff views of someone else are listed for that member only."""
    _open_request_detail(dpo, other_customer)
    _open_chat(moderator, other_customer)
    assert _accesses(customer, "en") == []
    assert len(_accesses(other_customer, "en")) == 2


def test_a_card_without_identity_is_no_access(customer, moderator):
    """A card whose CRM holds only the pseudonym shows nothing that names the member."""
    card = _card_with_identity(customer)
    InterestCard.objects.filter(pk=card.pk).update(identity_sent=False)
    assert _login(moderator).get(reverse("crm_admin:card", args=[card.pk])).status_code == 200
    assert AuditEntry.objects.filter(subject=customer).count() == 0


def _written_action_codes() -> set[str]:
    """Every action code app code passes to ``audit_record`` or ``staff_view_record``, found by reading the source."""
    root = Path(settings.BASE_DIR)
    codes: set[str] = set()
    for path in root.glob("*/**/*.py"):
        if any(part in {".venv", "tests", "migrations", "node_modules"} for part in path.relative_to(root).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Names bound to a literal or a choice between literals (``action = GRANTED if is_now else REVOKED``).
        constants = {
            target.id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.IfExp | ast.Name)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            # A code passed through a parameter is checked where that function is called.
            parameters = {arg.arg for arg in function.args.args + function.args.kwonlyargs}
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                if name not in {"audit_record", "staff_view_record"}:
                    continue
                for keyword in call.keywords:
                    if keyword.arg not in {"action", "what"}:
                        continue
                    if isinstance(keyword.value, ast.Name) and keyword.value.id in parameters:
                        continue
                    codes |= _values(keyword.value, constants, path)
    return codes


def _values(node, constants: dict[str, ast.expr], path: Path) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body, constants, path) | _values(node.orelse, constants, path)
    if isinstance(node, ast.Name) and node.id in constants and constants[node.id] is not node:
        return _values(constants[node.id], constants, path)
    raise AssertionError(f"{path}: an audit action the scan cannot read ({ast.dump(node)}); write it as a literal")


def test_every_written_action_code_has_a_label_in_english_and_german():
    """A new audit action without a translated label fails here instead of showing a raw code to the member."""
    codes = _written_action_codes()
    assert {"view_request", "reidentify", "chat_view", "chat_transcript", "export", "crm_card_view"} <= codes
    missing = sorted(codes - AUDIT_ACTIONS.keys())
    assert missing == []
    for code in sorted(codes):
        with translation.override("en"):
            english = str(AUDIT_ACTIONS[code])
        with translation.override("de"):
            german = str(AUDIT_ACTIONS[code])
        assert english and german != english, code


def test_entries_without_a_person_stay_listed_as_the_system(customer):
    """Leaving out the member's own steps does not hide what the system did to their data."""
    from consent.services import audit_record

    audit_record(actor=None, subject=customer, action="erase", reason="Retention period ended")
    (row,) = _accesses(customer, "en")
    assert "the system erased your data Retention period ended" in row
