"""Writes of the support desk, one module per use case (each staff action writes exactly
one audit entry in its own transaction):

- `contact`: answer a contact message by branded mail (the thread), close or reopen it;
- `ratings`: report a rating (clients, partners); hide, restore or keep it (staff);
- `goodwill`: goodwill credits within a role's limit, above it with a second approver;
- `client_file`: notes, block/unblock, PIN lock, limits and exclusion, a refund request
  on the client's behalf, closing the account, reading a transcript;
- `closure`: closing a client's account (the client's own page uses it too).
"""

from __future__ import annotations

from sprechzeit.support.services.client_file import (
    staff_client_block,
    staff_client_close,
    staff_client_unblock,
    staff_deposit_limit,
    staff_exclusion_extend,
    staff_note_add,
    staff_pin_unlock,
    staff_refund_request,
    transcript_read,
)
from sprechzeit.support.services.closure import (
    Closure,
    ConsultationStillOpen,
    client_account_close,
)
from sprechzeit.support.services.contact import contact_message_set_handled, contact_reply_send
from sprechzeit.support.services.goodwill import (
    goodwill_approve,
    goodwill_reject,
    goodwill_request,
)
from sprechzeit.support.services.ratings import (
    rating_hide,
    rating_keep,
    rating_report,
    rating_restore,
)

__all__ = [
    "Closure",
    "ConsultationStillOpen",
    "client_account_close",
    "contact_message_set_handled",
    "contact_reply_send",
    "goodwill_approve",
    "goodwill_reject",
    "goodwill_request",
    "rating_hide",
    "rating_keep",
    "rating_report",
    "rating_restore",
    "staff_client_block",
    "staff_client_close",
    "staff_client_unblock",
    "staff_deposit_limit",
    "staff_exclusion_extend",
    "staff_note_add",
    "staff_pin_unlock",
    "staff_refund_request",
    "transcript_read",
]
