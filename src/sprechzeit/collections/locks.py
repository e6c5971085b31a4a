"""Row locks of the collections app, each named for the race it prevents. Every lock is
taken inside the caller's transaction and held until it commits."""

from __future__ import annotations

from sprechzeit.collections.models import DunningCase
from sprechzeit.payments.models import RefundRequest


def case_lock_against_double_step(*, case_id: int) -> DunningCase:
    """Lock one dunning case (FOR UPDATE) and return it.

    Race it prevents: the periodic run, a second run started by hand, a staff member's
    instalment plan or write-off and a client's payment all reading the case at the
    same step and each sending the same reminder, booking the write-off twice or
    writing off what an instalment plan just covered.
    """
    return (
        DunningCase.objects.select_for_update(of=("self",))
        .select_related("client_account__user", "client_account__platform__legal_entity")
        .get(pk=case_id)
    )


def refund_request_lock_against_double_decision(*, request_id: int) -> RefundRequest:
    """Lock one refund request (FOR UPDATE) and return it.

    Race it prevents: two staff members approving (or one approving, one rejecting) the
    same request at once, so that it is paid twice or a four-eyes approval is taken
    over by the person who gave the first one.
    """
    return (
        RefundRequest.objects.select_for_update(of=("self",))
        .select_related("client_account__platform", "client_account__user")
        .get(pk=request_id)
    )
