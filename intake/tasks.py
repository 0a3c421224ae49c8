"""Background work of the intake: the poller the scheduler runs every minute."""

from django_tasks import task

from intake import services


@task()
def poll_mailboxes() -> int:
    """Read new mail from every active mailbox into interest cards."""
    return sum(result.created for result in services.mailboxes_poll().values())


@task()
def poll_mailbox(*, mailbox_id: int) -> int:
    """Read new mail from one mailbox now (staff pressed "Poll now")."""
    mailbox = services.Mailbox.objects.filter(pk=mailbox_id, is_active=True).select_related("rule").first()
    return services.mailbox_poll(mailbox=mailbox).created if mailbox else 0


@task()
def poll_feeds() -> int:
    """Read every active RSS/Atom feed into mention cards."""
    return sum(result.created for result in services.feeds_poll().values())
