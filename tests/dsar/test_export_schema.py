"""MyData export from the member's side: typed by its schema, other members only as pseudonyms, tables as CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from datetime import datetime

import pytest
from django.urls import reverse
from jsonschema import Draft202012Validator, FormatChecker

from community import services as community
from community.chat import services as chat
from community.models import Forum, ModerationSettings
from consent import registry
from consent.dsar.export_schema import json_schema
from consent.dsar.models import DataExport
from consent.pseudonyms import pseudonym_for
from consent.services import consent_grant
from ideas import services as ideas
from ideas.models import Board
from portal.roles import Role
from tests.factories import PASSWORD, make_member

BOM = b"\xef\xbb\xbf"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def forum(db):
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.posts_per_hour = 1000
    config.save()
    return Forum.objects.create(name="General", slug="general", description="Anything")


@pytest.fixture
def people(db):
    """The member and the people around them; the neighbour's handle is a prefix of the member's own."""
    member = make_member(handle="zora-lin", email="zora.lin@example.org", first_name="Zelda", last_name="Lindqvist")
    neighbour = make_member(handle="zora", email="olga.neighbour@example.net", first_name="Olga", last_name="Brandt")
    agent = make_member(
        role=Role.MODERATOR, handle="helpdesk-hank", email="hank@support.example", first_name="Hank", last_name="Moody"
    )
    return member, neighbour, agent


def _seed(member, neighbour, agent, forum):
    """Data in every app, written through the services; the neighbour and the agent appear in the member's texts."""
    thread = community.thread_create(forum=forum, author=member, title="Keys for the garden shed", body="Lost them")
    community.post_create(
        thread=thread, author=member, body=f"I am zora-lin; thanks @{neighbour.handle} (Olga Brandt), you are great"
    )
    community.post_create(thread=thread, author=member, body="=SUM(A1:A2) is what my sheet shows")
    community.post_create(thread=thread, author=neighbour, body="Glad to help, Zelda!")
    other_thread = community.thread_create(forum=forum, author=neighbour, title="Bikes", body="Any tips?")
    community.post_create(thread=other_thread, author=neighbour, body=f"@{member.handle} knows about bikes")
    board = Board.objects.create(name="Acme", slug="acme", description="Ideas")
    idea = ideas.idea_create(board=board, author=member, title="Shed locks", body="Please add locks")
    ideas.comment_create(idea=idea, author=neighbour, body="Olga Brandt agrees, mail olga.neighbour@example.net")
    ideas.comment_create(idea=idea, author=member, body=f"Thanks ZORA and {neighbour.email.upper()}")
    ideas.vote_set(idea_id=idea.pk, voter=member, voted=True)
    started = chat.chat_start(member=member, topic="Billing", body="Hi, Zelda Lindqvist here")
    chat.chat_take(chat=started, moderator=agent)
    chat.message_post(chat=started, author=agent, body="Hello, Hank Moody here (@helpdesk-hank, hank@support.example)")
    consent_grant(user=member, purpose="public_profile")


def _download(client, member, django_capture_on_commit_callbacks) -> zipfile.ZipFile:
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("consent:dsar:export_create"), {"password": PASSWORD})
    assert response.status_code == 302
    export = DataExport.objects.get(user=member)
    response = client.get(reverse("consent:dsar:export_download", args=[export.pk]))
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _format_checker() -> FormatChecker:
    """The default checker skips date-time without the optional rfc3339-validator; this one checks it."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:
        return not isinstance(value, str) or ("T" in value and datetime.fromisoformat(value).tzinfo is not None)

    return checker


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)


def test_export_is_typed_names_only_the_member_and_offers_tables_as_csv(
    client, people, forum, django_capture_on_commit_callbacks
):
    """Every JSON file validates against schema.json; no other member's handle, e-mail or name is in any file,
    they appear as one export pseudonym each; the member's own handle stays; tables come as matching CSV."""
    member, neighbour, agent = people
    with django_capture_on_commit_callbacks(execute=True):
        _seed(member, neighbour, agent, forum)
    archive = _download(client, member, django_capture_on_commit_callbacks)
    names = set(archive.namelist())
    files = {name: archive.read(name) for name in names}

    manifest = json.loads(files["manifest.json"])
    assert {entry["name"] for entry in manifest["files"]} == names - {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]

    schema = json.loads(files["schema.json"])
    Draft202012Validator.check_schema(schema)
    checker = _format_checker()
    json_files = sorted(name for name in names if name.endswith(".json") and name != "schema.json")
    assert {name[:-5] for name in json_files} <= set(schema["$defs"])
    for name in json_files:
        validator = Draft202012Validator({**schema, "$ref": f"#/$defs/{name[:-5]}"}, format_checker=checker)
        errors = [
            f"{name} {list(error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(json.loads(files[name]))
        ]
        assert errors == []

    # The member's own identifiers go first: the neighbour's handle "zora" is a prefix of "zora-lin".
    everything = b"\n".join(files.values()).decode("utf-8-sig").lower()
    for own in (member.email, member.handle, member.get_full_name()):
        everything = everything.replace(own.lower(), "")
    for other in (neighbour, agent):
        for needle in (other.handle, other.email, other.get_full_name()):
            assert needle.lower() not in everything, (other.handle, needle)
    assert b"zora-lin" in files["profile.json"] and b"@zora-lin" in files["index.html"]

    neighbour_alias = pseudonym_for(neighbour, "export")
    agent_alias = pseudonym_for(agent, "export")
    # Notifications are exported as stored: the message and its parameters (the sentence is worded when shown).
    notifications = sorted((row["message"], row["params"]) for row in json.loads(files["notifications.json"]))
    assert notifications == [
        ("community.mention", {"handle": neighbour_alias, "title": "Bikes"}),
        ("community.reply", {"handle": neighbour_alias, "title": "Keys for the garden shed"}),
    ]
    posts = [row["body"] for row in json.loads(files["posts.json"])]
    assert posts == [
        "Lost them",
        f"I am zora-lin; thanks @{neighbour_alias} ({neighbour_alias}), you are great",
        "=SUM(A1:A2) is what my sheet shows",
    ]
    comments = [row["body"] for row in json.loads(files["idea_comments.json"])]
    assert comments == [f"Thanks {neighbour_alias} and {neighbour_alias}"]
    lines = [row["body"] for row in json.loads(files["chat_messages.json"])]
    assert lines == [
        "Hi, Zelda Lindqvist here",
        "waiting",
        f"taken:{agent_alias}",
        f"Hello, {agent_alias} here (@{agent_alias}, {agent_alias})",
    ]

    csv_entries = {entry["name"]: entry for entry in manifest["files"] if entry["name"].endswith(".csv")}
    assert {"posts.csv", "consent_receipts.csv", "profile.csv"} <= set(csv_entries)
    assert "crm_deliveries.csv" not in csv_entries  # its payload is JSON, no table
    for name, entry in csv_entries.items():
        data = files[name]
        assert data.startswith(BOM), name
        assert (entry["media_type"], entry["delimiter"]) == ("text/csv; charset=utf-8; header=present", ",")
        table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=entry["delimiter"]))
        rows = json.loads(files[name[:-4] + ".json"])
        assert entry["rows"] == len(rows) == len(table) - 1
        header = list(rows[0]) if rows else table[0]
        assert table[0] == header
        assert table[1:] == [[_cell(row[column]) for column in header] for row in rows]
    sheet = files["posts.csv"].decode("utf-8-sig")
    assert "'=SUM(A1:A2) is what my sheet shows" in sheet
    assert '<a href="posts.json">posts.json</a> · <a href="posts.csv">posts.csv</a>' in files["index.html"].decode()


def test_german_export_separates_csv_values_by_semicolons(client, people, forum, django_capture_on_commit_callbacks):
    """German Excel splits columns at semicolons: a German member's CSV uses them, the manifest and index say so."""
    member, neighbour, agent = people
    member.preferred_language = "de"
    member.save(update_fields=["preferred_language"])
    community.thread_create(forum=forum, author=member, title="Schlüssel, Schloss; Tür", body="Wo finde ich ihn?")
    archive = _download(client, member, django_capture_on_commit_callbacks)
    entry = next(e for e in json.loads(archive.read("manifest.json"))["files"] if e["name"] == "threads.csv")
    assert entry["delimiter"] == ";"
    table = list(csv.reader(io.StringIO(archive.read("threads.csv").decode("utf-8-sig"), newline=""), delimiter=";"))
    assert table[0] == ["source", "title", "forum", "state", "created_at", "last_activity_at"]
    assert table[1][:4] == ["community.Thread", "Schlüssel, Schloss; Tür", str(forum.pk), "open"]
    assert "durch Semikolons getrennt" in archive.read("index.html").decode()


def _variants(items: dict) -> list[dict]:
    return items.get("oneOf") or items.get("anyOf") or [items]


def test_schema_types_every_exported_field_of_every_registered_model(db):
    """Every export field of every registered model has a JSON type (never the empty schema ``{}``), every
    key is required and no other is allowed; the manifest is described too."""
    groups = defaultdict(list)
    for rule in registry.rules():
        if rule.category and rule.subject and rule.export_fields:
            groups[rule.category].append(rule)
    schema = json_schema(dict(groups), version="1.0")
    Draft202012Validator.check_schema(schema)
    checked = 0
    for category, group in groups.items():
        variants = _variants(schema["$defs"][category]["items"])
        for rule in group:
            variant = next(v for v in variants if v["properties"]["source"] == {"const": rule.model})
            assert variant["required"] == ["source", *rule.export_fields]
            assert variant["additionalProperties"] is False
            for name in rule.export_fields:
                prop = variant["properties"][name]
                assert prop != {} and "type" in prop, (category, name, prop)
                checked += 1
    assert checked == sum(len(rule.export_fields) for group in groups.values() for rule in group) > 100

    def prop(category, name, source=None):
        variants = _variants(schema["$defs"][category]["items"])
        return next(v for v in variants if source is None or v["properties"]["source"]["const"] == source)[
            "properties"
        ][name]

    assert prop("profile", "last_login") == {"type": ["string", "null"], "format": "date-time"}
    assert prop("ideas", "vote_count") == {"type": "integer", "minimum": 0}
    assert prop("threads", "forum") == {"type": "integer"}
    assert prop("chats", "thread") == {"type": ["integer", "null"]}
    assert prop("access_requests", "due_on") == {"type": "string", "format": "date"}
    assert prop("crm_cards", "key") == {"type": "string", "format": "uuid"}
    assert prop("crm_deliveries", "payload")["type"][-1] == "null"
    assert prop("notification_preferences", "email") == {"type": "boolean"}
    assert prop("posts", "status") == {"type": "string", "maxLength": 12, "enum": ["published", "held", "hidden"]}
    assert prop("posts", "body")["type"] == "string"
    entry = schema["$defs"]["manifest"]["properties"]["files"]["items"]
    assert entry["additionalProperties"] is False and all(value != {} for value in entry["properties"].values())
