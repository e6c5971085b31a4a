"""Partner writes, one module per use case: `applications` (apply, accept, reject),
`onboarding` (invitation link, terms and self-billing consent, tax and bank data),
`listings` (edits under review), `file` (suspend, reactivate, adjustments with a second
approver), `payout_runs` (start a run, mark it sent)."""

from __future__ import annotations

from sprechzeit.partners.services.applications import (
    application_accept,
    application_reject,
    application_submit,
    invitation_issue,
)
from sprechzeit.partners.services.file import (
    adjustment_approve,
    adjustment_reject,
    adjustment_request,
    partner_reactivate,
    partner_suspend,
)
from sprechzeit.partners.services.listings import (
    listing_edit_submit,
    revision_approve,
    revision_reject,
)
from sprechzeit.partners.services.onboarding import (
    invitation_accept,
    invitation_device,
    invitation_open,
    onboarding_consents,
    onboarding_documents,
    onboarding_open,
    onboarding_tax_save,
    onboarding_terms_accept,
)
from sprechzeit.partners.services.payout_runs import payout_run_mark_sent, payout_run_start

__all__ = [
    "adjustment_approve",
    "adjustment_reject",
    "adjustment_request",
    "application_accept",
    "application_reject",
    "application_submit",
    "invitation_accept",
    "invitation_device",
    "invitation_issue",
    "invitation_open",
    "listing_edit_submit",
    "onboarding_consents",
    "onboarding_documents",
    "onboarding_open",
    "onboarding_tax_save",
    "onboarding_terms_accept",
    "partner_reactivate",
    "partner_suspend",
    "payout_run_mark_sent",
    "payout_run_start",
    "revision_approve",
    "revision_reject",
]
