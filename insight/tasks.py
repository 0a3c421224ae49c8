"""Background work of insight: analysing texts after commit, alerts and the weekly digest."""

from __future__ import annotations

from django_tasks import task

from insight import services


@task()
def analyse_items(*, kind: str, item_ids: list[int]) -> int:
    """Analyse new or edited texts (ids only: the text is read when the task runs)."""
    return services.items_analyse(kind=kind, ids=[int(pk) for pk in item_ids])


@task()
def member_analyses_drop(*, member_id: int) -> int:
    """Forget a member's analyses after an objection, a restriction or an erasure."""
    return services.member_analyses_drop(member_id=member_id)


@task()
def negative_share_alerts() -> int:
    """Tell moderators when the negative share of a forum or product rises sharply (run hourly)."""
    from insight import alerts

    return alerts.negative_share_check()


@task()
def weekly_digests() -> int:
    """Mail the weekly figures to subscribed managers whose last digest is a week old (run daily)."""
    from insight import digest

    return digest.digests_send()


@task()
def recent_days_refresh() -> int:
    """Recount the last 100 days' figures (erasures delete analyses without telling each day)."""
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    return services.daily_figures_refresh(days=[today - dt.timedelta(days=n) for n in range(100)])
