"""Row locks of the consultations app, each named for the race it prevents. Every lock
is taken inside the caller's transaction and held until it commits."""

from __future__ import annotations

from sprechzeit.consultations.models import Consultation


def consultation_lock_against_racing_transitions(*, consultation: Consultation) -> Consultation:
    """Reload `consultation` under its row lock (FOR UPDATE), with the rows every
    transition reads (client, listing, partner, platform), and return it. Only the
    consultation's row is locked (`of=("self",)`): locking the joined rows too made every
    transition of a platform queue on its one platform row, and an accept and a burst of
    ends deadlocked on it (`tests/test_row_locks.py`).

    Race it prevents: two transitions of one consultation deciding on the same old
    state: two ends booking twice (the client's socket, the partner's, the reaper, a
    phone callback), an end and an extension at once (a hold added after the
    settlement), an accept and a cancel or a miss of the same request, a pause after
    the cut-off. Each service re-checks the status after taking it.
    """
    return (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("client", "listing", "partner", "platform")
        .get(pk=consultation.pk)
    )
