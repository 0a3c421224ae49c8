"""Background work of the privacy core: opt-ins that expire, ledger checkpoints and their witnesses."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="privacy")
def expire_pending_opt_ins() -> int:
    """Daily: opt-ins whose confirmation link expired become expired in the ledger."""
    from consent.services import consent_expire_pending

    return consent_expire_pending()


@task(queue_name="privacy")
def sign_ledger_checkpoint() -> int | None:
    """Sign a checkpoint of the ledger head (run periodically; appends also sign every N events)."""
    from consent.ledger import checkpoint_now

    checkpoint = checkpoint_now()
    return checkpoint.tree_size if checkpoint else None


@task(queue_name="privacy")
def witness_checkpoint(*, checkpoint_id: int) -> list[str]:
    """Hand a new signed checkpoint to the witnesses outside the database (file, e-mail, HTTP)."""
    from consent.witness import checkpoint_witness

    return checkpoint_witness(checkpoint_id=checkpoint_id)
