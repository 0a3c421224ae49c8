"""DPO powers belong to the DPO role: a superuser without it is refused, grants are audited, erasure is guarded."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from consent.dsar import restrictions, services
from consent.dsar.admin_views import ACTIONS
from consent.dsar.models import (
    AccessRequest,
    DataExport,
    ErasureReport,
    ProcessingRestriction,
    RequestEvent,
    RequestKind,
    RequestState,
    RestrictionKind,
)
from consent.models import AuditEntry
from portal.models import Notification
from portal.notifications import in_language
from portal.roles import Role
from tests.factories import make_member

S = RequestState
pytestmark = pytest.mark.django_db


def _snapshot(request: AccessRequest) -> tuple:
    """Everything a console action could change about a request and its member."""
    request = AccessRequest.objects.select_related("member").get(pk=request.pk)
    return (
        request.state,
        request.assignee_id,
        request.extended_due_on,
        request.result,
        request.member.erased_at,
        request.member.first_name,
        RequestEvent.objects.filter(request=request).count(),
        AuditEntry.objects.count(),
        ProcessingRestriction.objects.filter(member=request.member, lifted_at=None).count(),
        DataExport.objects.count(),
        ErasureReport.objects.count(),
    )


def _open_request(member, dpo, kind=RequestKind.ERASURE) -> AccessRequest:
    request = services.request_create(member=member, kind=kind, actor=member)
    return services.request_transition(request=request, to=S.IN_PROGRESS, actor=dpo)


def _refused(response) -> bool:
    """The back office turns a refused permission into a redirect to its dashboard with an error."""
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def _action_data(action: str, request: AccessRequest, restriction: ProcessingRestriction) -> dict:
    """A complete, valid form for each console button, so only the permission can stop it."""
    return {
        "action": action,
        "note": "A note long enough.",
        "months": "1",
        "reason": "The member asked for it in writing.",
        "restriction": str(restriction.pk),
        "first_name": "Changed",
        "last_name": request.member.last_name,
        "email": request.member.email,
        "confirm_handle": request.member.handle,
    }


@pytest.fixture
def erasure_request(customer, dpo):
    return _open_request(customer, dpo)


@pytest.fixture
def restriction(customer, dpo):
    return restrictions.restriction_place(member=customer, kind=RestrictionKind.RESTRICTION, actor=dpo)


def test_a_superuser_without_the_dpo_role_opens_no_dpo_page(client, administrator, dpo, erasure_request):
    """The console, a request's page (with e-mail and name), the entry form and re-identification are refused."""
    assert administrator.is_superuser
    client.force_login(administrator)
    urls = [
        reverse("dsar_admin:console"),
        reverse("dsar_admin:create"),
        reverse("dsar_admin:create_address"),
        reverse("dsar_admin:detail", args=[erasure_request.pk]),
        reverse("consent_admin:reidentify"),
    ]
    for url in urls:
        response = client.get(url)
        assert _refused(response), url
        assert erasure_request.member.email not in response.content.decode()
    before = AccessRequest.objects.count()
    response = client.post(reverse("dsar_admin:create"), {"member": erasure_request.member.email, "kind": "access"})
    assert _refused(response)
    assert AccessRequest.objects.count() == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_superuser_without_the_dpo_role_presses_no_console_button(
    client, administrator, erasure_request, restriction, action, django_capture_on_commit_callbacks
):
    """Every console action, forged with a valid form, is refused and changes nothing."""
    before = _snapshot(erasure_request)
    client.force_login(administrator)
    url = reverse("dsar_admin:detail", args=[erasure_request.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _action_data(action, erasure_request, restriction))
    assert _refused(response)
    assert _snapshot(erasure_request) == before
    assert mail.outbox == []


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_customer_reaches_no_console_button(client, other_customer, erasure_request, restriction, action):
    """A member is sent to the back-office login; nothing changes."""
    before = _snapshot(erasure_request)
    client.force_login(other_customer)
    response = client.post(
        reverse("dsar_admin:detail", args=[erasure_request.pk]), _action_data(action, erasure_request, restriction)
    )
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response["Location"]
    assert _snapshot(erasure_request) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_the_dpo_presses_every_console_button(
    client, dpo, erasure_request, restriction, action, django_capture_on_commit_callbacks
):
    """The DPO is let through to each action (it then succeeds or explains why the step does not fit)."""
    client.force_login(dpo)
    assert client.get(reverse("dsar_admin:detail", args=[erasure_request.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("dsar_admin:detail", args=[erasure_request.pk]), _action_data(action, erasure_request, restriction)
        )
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert [str(m) for m in response.context["messages"]] != []


def test_the_dpo_opens_every_dpo_page(client, dpo, erasure_request):
    client.force_login(dpo)
    for url in (
        reverse("dsar_admin:console"),
        reverse("dsar_admin:create"),
        reverse("dsar_admin:detail", args=[erasure_request.pk]),
        reverse("consent_admin:reidentify"),
    ):
        assert client.get(url).status_code == 200, url


def test_the_back_office_menu_hides_dpo_items_from_a_superuser(client, administrator, dpo):
    """The administrator sees the retention item (set-up) but neither the console nor re-identification."""
    console = reverse("dsar_admin:console")
    reidentify = reverse("consent_admin:reidentify")
    client.force_login(administrator)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("dsar_admin:retention") in page
    assert f"{console}&quot;" not in page and f'{console}"' not in page
    assert reidentify not in page
    client.force_login(dpo)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert f"{console}&quot;" in page or f'{console}"' in page
    assert reidentify in page


def test_a_superuser_cannot_download_another_members_export(client, customer, administrator, dpo, settings):
    """The download answers 404 (no hint that it exists) and is not counted; the DPO and the member may fetch it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    export = services.export_request(user=customer, actor=dpo)
    services.export_build(export_id=export.pk)
    url = reverse("consent:dsar:export_download", args=[export.pk])
    client.force_login(administrator)
    assert client.get(url).status_code == 404
    export.refresh_from_db()
    assert export.downloads == 0
    with pytest.raises(PermissionDenied):
        services.export_request(user=customer, actor=administrator)
    client.force_login(dpo)
    assert client.get(url).status_code == 200


def test_services_refuse_a_superuser_without_the_dpo_role(customer, administrator, dpo, restriction):
    """Web, admin and any other path agree: the services themselves refuse, and nothing is written."""
    request = services.request_create(member=customer, kind=RequestKind.ERASURE, actor=customer)
    before = _snapshot(request)
    attempts = [
        lambda: services.request_transition(request=request, to=S.IN_PROGRESS, actor=administrator),
        lambda: services.request_run_erasure(request=request, actor=administrator, confirmation=customer.handle),
        lambda: services.member_erase(member=customer, actor=administrator),
        lambda: restrictions.restriction_lift(restriction=restriction, actor=administrator, reason="Long enough now."),
        lambda: services.request_create(member=customer, kind=RequestKind.ACCESS, actor=administrator),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert _snapshot(request) == before


def _user_form_data(response, **changes) -> dict:
    """The back office's user form as the browser would send it, with ``changes`` applied."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "groups":
            value = [group.pk for group in value] if value is not None else []
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if value is None:
            continue
        data[name] = value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_granting_the_dpo_role_in_the_back_office_is_audited_and_told_to_every_dpo(
    client, administrator, customer, django_capture_on_commit_callbacks
):
    """Who gave whom the role lands in the audit log; each DPO in office hears it in their own language."""
    german = make_member(role=Role.DPO, preferred_language="de")
    english = make_member(role=Role.DPO, preferred_language="en")
    dpo_group = Group.objects.get(name=Role.DPO)
    client.force_login(administrator)
    url = reverse("wagtailusers_users:edit", args=[customer.pk])
    groups = list(customer.groups.values_list("pk", flat=True)) + [dpo_group.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _user_form_data(client.get(url), groups=groups))
    assert response.status_code == 302, response.context["form"].errors
    assert customer.groups.filter(name=Role.DPO).exists()

    entry = AuditEntry.objects.get(action="dpo_grant")
    assert (entry.actor, entry.subject) == (administrator, customer)
    assert entry.created_at is not None
    titles = {}
    for notice in Notification.objects.filter(kind="dpo_role").select_related("recipient"):
        with in_language(notice.recipient):  # worded in the reader's language when shown
            titles[notice.recipient_id] = notice.title
    assert titles == {
        german.pk: f"@{customer.handle} hat von @{administrator.handle} die Rolle Datenschutzbeauftragter erhalten",
        english.pk: f"@{customer.handle} was given the data protection officer role by @{administrator.handle}",
    }
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == sorted(
        [
            (german.email, titles[german.pk]),
            (english.email, titles[english.pk]),
        ]
    )

    # Saving the user again without a role change writes nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _user_form_data(client.get(url), groups=groups))
    assert AuditEntry.objects.filter(action__in=["dpo_grant", "dpo_revoke"]).count() == 1


def test_removing_the_dpo_role_in_the_back_office_is_audited(client, administrator, dpo):
    """Taking the role away is logged with who did it, and the other DPOs hear of it."""
    other = make_member(role=Role.DPO)
    client.force_login(administrator)
    url = reverse("wagtailusers_users:edit", args=[dpo.pk])
    groups = list(dpo.groups.exclude(name=Role.DPO).values_list("pk", flat=True))
    response = client.post(url, _user_form_data(client.get(url), groups=groups))
    assert response.status_code == 302, response.context["form"].errors
    entry = AuditEntry.objects.get(action="dpo_revoke")
    assert (entry.actor, entry.subject) == (administrator, dpo)
    assert list(Notification.objects.filter(kind="dpo_role").values_list("recipient", flat=True)) == [other.pk]
    client.force_login(dpo)
    assert client.get(reverse("dsar_admin:console")).status_code == 302


def test_the_grant_service_audits_once_and_tells_the_dpos(customer, dpo, administrator):
    """The service a command uses: a second grant of the same role does nothing."""
    assert services.dpo_role_grant(user=customer, actor=administrator) is True
    assert services.dpo_role_grant(user=customer, actor=administrator) is False
    assert AuditEntry.objects.filter(action="dpo_grant", subject=customer, actor=administrator).count() == 1
    assert list(Notification.objects.filter(kind="dpo_role").values_list("recipient", flat=True)) == [dpo.pk]
    assert services.dpo_role_revoke(user=customer, actor=None) is True
    assert AuditEntry.objects.filter(action="dpo_revoke", subject=customer, actor=None).count() == 1


def _erase(client, request, handle):
    return client.post(reverse("dsar_admin:detail", args=[request.pk]), {"action": "erase", "confirm_handle": handle})


def test_a_wrong_handle_erases_nothing(client, dpo, customer, erasure_request):
    """The DPO must type the member's handle; a wrong one is a clear error and nothing happens."""
    client.force_login(dpo)
    page = client.get(reverse("dsar_admin:detail", args=[erasure_request.pk])).content.decode()
    assert 'name="confirm_handle"' in page
    before = _snapshot(erasure_request)  # after opening the request, which the member's access log records
    for typed in ("", "someone-else-1234", customer.handle.upper()):
        response = _erase(client, erasure_request, typed)
        assert response.status_code == 400
        assert [str(m) for m in response.context["messages"]] == [
            "The handle does not match the member's handle. Nothing was erased."
        ]
    assert _snapshot(erasure_request) == before


def test_erasure_completes_the_request_and_is_not_offered_again(
    client, dpo, customer, erasure_request, django_capture_on_commit_callbacks
):
    """With the right handle the member is erased, the request completed, and the button gone; a forged POST fails."""
    client.force_login(dpo)
    with django_capture_on_commit_callbacks(execute=True):
        response = _erase(client, erasure_request, customer.handle)
    assert response.status_code == 302
    erasure_request.refresh_from_db()
    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert erasure_request.state == S.COMPLETED
    assert erasure_request.closed_at is not None
    assert ErasureReport.objects.filter(member=customer).count() == 1
    page = client.get(reverse("dsar_admin:detail", args=[erasure_request.pk])).content.decode()
    assert 'value="erase"' not in page
    assert 'name="confirm_handle"' not in page

    before = _snapshot(erasure_request)
    assert _erase(client, erasure_request, customer.handle).status_code == 400
    assert _snapshot(erasure_request) == before


def test_second_approval_needs_a_different_dpo(client, settings, dpo, customer, erasure_request):
    """With DSAR_ERASURE_SECOND_APPROVAL the first DPO only approves; the same DPO again is refused; a second runs it."""
    settings.DSAR_ERASURE_SECOND_APPROVAL = True
    second = make_member(role=Role.DPO)
    client.force_login(dpo)

    response = _erase(client, erasure_request, customer.handle)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.erased_at is None
    assert list(
        RequestEvent.objects.filter(request=erasure_request, action="erasure_approved").values_list("actor", flat=True)
    ) == [dpo.pk]
    page = client.get(reverse("dsar_admin:detail", args=[erasure_request.pk])).content.decode()
    assert 'name="confirm_handle"' not in page

    response = _erase(client, erasure_request, customer.handle)
    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == [
        "You have already approved this erasure; a second data protection officer must approve it."
    ]
    customer.refresh_from_db()
    assert customer.erased_at is None
    assert RequestEvent.objects.filter(request=erasure_request, action="erasure_approved").count() == 1

    client.force_login(second)
    assert _erase(client, erasure_request, "wrong-handle").status_code == 400
    customer.refresh_from_db()
    assert customer.erased_at is None
    assert _erase(client, erasure_request, customer.handle).status_code == 302
    customer.refresh_from_db()
    erasure_request.refresh_from_db()
    assert customer.erased_at is not None
    assert erasure_request.state == S.COMPLETED
    assert ErasureReport.objects.get(member=customer).actor == second


def test_without_second_approval_one_dpo_erases(client, settings, dpo, customer, erasure_request):
    """The default: one DPO's typed confirmation erases at once, no approval is recorded."""
    settings.DSAR_ERASURE_SECOND_APPROVAL = False
    client.force_login(dpo)
    assert _erase(client, erasure_request, customer.handle).status_code == 302
    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert not RequestEvent.objects.filter(request=erasure_request, action="erasure_approved").exists()


def test_the_setting_is_declared_and_documented():
    """Operators find the switch in the settings module and the README's privacy table."""
    from pathlib import Path

    from django.conf import settings

    root = Path(__file__).resolve().parents[2]
    assert settings.DSAR_ERASURE_SECOND_APPROVAL is False
    assert 'env_bool("DSAR_ERASURE_SECOND_APPROVAL", False)' in (root / "portal/settings/base.py").read_text()
    readme = (root / "README.md").read_text()
    privacy = readme.split("### Privacy core")[1].split("###")[0]
    assert "| `DSAR_ERASURE_SECOND_APPROVAL` | `false` |" in privacy


def test_seed_demo_audits_the_demo_dpos_grant_once():
    """The demo DPO's role comes from seed_demo; the grant is in the audit log once however often it is seeded."""
    from consent.dsar.demo import seed
    from portal.demo import demo_user
    from portal.demo import seed as seed_portal

    seed_portal(stdout=None)
    seed(stdout=None)
    seed(stdout=None)
    dpo = demo_user("dpo@example.com")
    assert list(AuditEntry.objects.filter(action="dpo_grant").values_list("subject", "actor")) == [(dpo.pk, None)]
