"""The one mail task: drain an outbox. Tasks take names and ids, never an address."""

from django.tasks import task

from mailing.drain import Again, outbox_drain
from mailing.outbox import outbox_named


@task()
def drain_outbox(name):
    """Send what the named outbox owes (mailing/drain.py)."""
    outbox_drain(outbox=outbox_named(name), again=_again(name))


def _again(name):
    if not drain_outbox.get_backend().supports_defer:
        return Again()  # tasks run in the caller: no helper, no waiting
    return Again(
        now=lambda: drain_outbox.enqueue(name),
        at=lambda when: drain_outbox.using(run_after=when).enqueue(name),
    )
