"""What a payment write did, as closed sets of values: callers branch and count on them,
the inbox and the admin show them. Each is a `StrEnum`, so its value is the text that
lands in notes and logs (unchanged from the bare strings these replaced)."""

from __future__ import annotations

from enum import StrEnum


class ApplyOutcome(StrEnum):
    """What `payment_apply` did with one provider update."""

    STALE = "stale"  # out of order: nothing changed
    CREDITED = "credited"
    SETTLED = "settled"  # succeeded after an early credit
    REPLAY = "replay"  # succeeded again: nothing booked
    PENDING = "pending"
    PENDING_CREDITED = "pending, credited at the operator's risk"
    FAILED = "failed"
    CANCELED = "canceled"
    FAILED_CREDIT_TAKEN_BACK = "failed, early credit taken back"
    CANCELED_CREDIT_TAKEN_BACK = "canceled, early credit taken back"
    REFUND_CONFIRMED = "refund confirmed"
    REFUND_KNOWN = "refund already known"
    REFUND_BOOKED = "refund booked"
    DISPUTE_OPEN = "dispute open"
    DISPUTE_LOST = "dispute lost"
    DISPUTE_WON = "dispute won"


class EntryOutcome(StrEnum):
    """What `entry_process` did with one stored bank statement entry."""

    CREDITED = "credited"  # a top-up by transfer
    RETURNED = "returned"  # a returned debit, booked as a chargeback
    REVIEW = "review"  # waits for staff (the entry's note says why)
    IGNORED = "ignored"  # outgoing: payouts reconcile it
