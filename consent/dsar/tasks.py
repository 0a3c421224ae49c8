"""Background work of access requests: building exports, the inactivity warning, the daily retention run."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from portal.task_leases import on_given_up


@task(queue_name="privacy")
def build_export(*, export_id: str) -> str:
    """Build one MyData ZIP off the request path."""
    from consent.dsar.services import export_build

    return export_build(export_id=export_id).status


@on_given_up(build_export)
def _export_given_up(*, export_id: str) -> None:
    """Workers kept dying on this export: the member sees "failed" and can ask again, not "being prepared" for ever."""
    from consent.dsar.services import export_fail

    export_fail(export_id=export_id)


@task(queue_name="privacy")
def retention_run() -> dict:
    """Daily: apply every enforced retention policy and record the run (what went, per category)."""
    from consent.dsar.retention import retention_run as run_policies

    run = run_policies()
    return {"run": run.pk, "results": run.results}


@task(queue_name="privacy")
def retention_run_requested(*, run_id: int) -> dict:
    """A retention run the DPO or an administrator started by hand in the back office."""
    from consent.dsar.retention import retention_run_finish

    run = retention_run_finish(run_id=run_id)
    return {"run": run_id, "results": run.results if run is not None else "already finished"}


@task(queue_name="privacy")
def account_deletions_sweep() -> list[str]:
    """Regularly: erase each self-service account deletion whose grace period is over (one task each)."""
    from consent.dsar.selectors import account_deletions_due
    from portal.events import enqueue_on_commit

    due = [str(pk) for pk in account_deletions_due()]
    for request_id in due:
        enqueue_on_commit(account_deletion_erase, request_id=request_id)
    return due


@task(queue_name="privacy")
def account_deletion_erase(*, request_id: str) -> str:
    """Erase one self-service deletion's account, unless it was cancelled or is not due yet."""
    from consent.dsar.services import account_deletion_run

    report = account_deletion_run(request_id=request_id)
    return str(report.pk) if report is not None else "nothing to do"


@task(queue_name="email")
def send_inactivity_warning(*, warning_id: int) -> bool:
    """Tell a long-inactive member, in their language, that their account goes unless they sign in."""
    from datetime import timedelta

    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import formats, timezone

    from consent.dsar.models import InactivityWarning
    from consent.dsar.retention import grace_days
    from consent.processors import may_process

    warning = (
        InactivityWarning.objects.select_related("user")
        .filter(pk=warning_id, user__erased_at__isnull=True, user__is_active=True)
        .first()
    )
    if warning is None or warning.mailed_at is not None or not may_process(warning.user, "dsar.inactivity_warning"):
        return False
    user = warning.user
    with translation.override(user.preferred_language):
        erase_on = formats.date_format(
            timezone.localdate(warning.warned_at + timedelta(days=grace_days())), "DATE_FORMAT"
        )
        subject = _("Your account will be deleted unless you sign in")
        body = _(
            "Hello @%(handle)s,\n\nyou have not signed in to the community since %(since)s. We do not keep "
            "accounts nobody uses: if you do not sign in by %(date)s, we will erase your account and your "
            'personal data. Your public posts stay readable under "deleted member".\n\n'
            "To keep your account, simply sign in:\n%(url)s\n\n"
            "If you want to leave, you do not need to do anything. You can download a copy of your data in the "
            "privacy centre before that date."
        ) % {
            "handle": user.handle,
            "since": formats.date_format(timezone.localdate(warning.last_activity_at), "DATE_FORMAT"),
            "date": erase_on,
            "url": settings.PORTAL_BASE_URL + reverse("login"),
        }
    send_mail(str(subject), str(body), settings.DEFAULT_FROM_EMAIL, [user.email])
    InactivityWarning.objects.filter(pk=warning.pk).update(mailed_at=timezone.now())
    return True
