"""Staff roles as Django groups, with the permissions each role holds (least privilege).

`roles_sync` (run after every migrate) and `staff_create` both read this table, so the
roles have one source; `accounts.access` reads it too, for the admin's pages, and the
authorization matrix test and docs/security.md are generated from both.

- support: clients, partners, listings, consultations and contact messages; no money
  files (statements, SEPA), no payment decisions, no staff accounts.
- risk: disputes, chargebacks, refunds, blocked wallets and write-offs: sees them and
  decides them.
- accounting: reads the ledger, payments, wallets, statements and payouts, downloads
  credit notes and SEPA files, reconciles the bank account (imports statements, assigns
  incoming transfers); decides nothing about a client.
- admin: the platforms' configuration, partners and listings; reads the money and the
  audit trail; not a superuser (staff
  accounts and their invitations are the operator's: `sprechzeit staff invite`).
"""

from __future__ import annotations

from typing import Final

ADMIN: Final = "admin"
SUPPORT: Final = "support"
RISK: Final = "risk"
ACCOUNTING: Final = "accounting"

ROLES: Final = (SUPPORT, RISK, ACCOUNTING, ADMIN)


def _view(app_label: str, *models: str) -> tuple[tuple[str, str], ...]:
    return tuple((app_label, f"view_{model}") for model in models)


def _edit(app_label: str, *models: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (app_label, f"{action}_{model}") for model in models for action in ("add", "change", "view")
    )


# One line per role for docs/security.md (rendered by accounts.access_doc).
ROLE_SUMMARY: Final[dict[str, str]] = {
    SUPPORT: "clients, partners, listings, consultations, contact messages; no money files, "
    "no payment decisions, no staff accounts",
    RISK: "disputes, chargebacks, refunds, blocked wallets, write-offs: sees and decides them",
    ACCOUNTING: "reads ledger, payments, wallets, statements, payouts; downloads credit notes "
    "and SEPA files; reconciles the bank account",
    ADMIN: "platform configuration (platforms, domains, legal entities, tariffs, payment "
    "channels, wallet and payout settings), partners and listings; reads the money (ledger, "
    "payments, wallets, statements, payouts) and the audit trail; not a superuser",
}

# Custom permissions (declared in the models' Meta): the money files and the decisions.
DOWNLOAD_STATEMENT: Final = ("statements", "download_statement")
DOWNLOAD_SEPA: Final = ("payouts", "download_sepa")

# role → (app_label, codename) pairs. A model's admin pages follow these (view/change).
ROLE_PERMISSIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    SUPPORT: (
        *_view("platforms", "platform"),
        ("platforms", "view_contactmessage"),
        ("platforms", "change_contactmessage"),
        ("accounts", "view_user"),
        ("accounts", "change_user"),
        ("accounts", "view_clientaccount"),
        ("accounts", "change_clientaccount"),
        ("accounts", "view_partner"),
        ("accounts", "view_listing"),
        ("accounts", "change_listing"),
        ("accounts", "view_category"),
        # Partner onboarding: applications and listing reviews (the console).
        *_edit("partners", "partnerapplication", "listingrevision"),
        *_view("consultations", "consultation", "rating", "chatmessage", "partnerpresence"),
        *_view("legal", "legaldocument", "consent"),
        *_view("notifications", "outboundmail"),
    ),
    RISK: (
        *_view("platforms", "platform"),
        ("accounts", "view_user"),
        ("accounts", "view_clientaccount"),
        *_view("consultations", "consultation"),
        *_view("payments", "payment", "inboxentry", "dispute", "refund", "transferreference"),
        ("payments", "view_refundrequest"),
        ("payments", "change_refundrequest"),  # approve / reject a refund
        ("payments", "change_payment"),  # record a chargeback
        ("payments", "change_inboxentry"),  # process a provider's notification again
        ("wallets", "view_walletstate"),
        ("wallets", "change_walletstate"),  # unblock, write off a receivable
        ("wallets", "view_welcomecreditgrant"),
        *_view("collections", "dunningplan", "risksettings", "writeoff"),
    ),
    ACCOUNTING: (
        *_view("platforms", "platform", "legalentity"),
        ("accounts", "view_user"),
        ("accounts", "view_clientaccount"),
        ("accounts", "view_partner"),
        ("accounts", "view_listing"),
        *_view("ledger", "account", "transfer", "failedtransfer"),
        *_view(
            "payments",
            "payment",
            "inboxentry",
            "dispute",
            "refundrequest",
            "refund",
            "transferreference",
            "bankstatement",
            "bankentry",
        ),
        # Reconciling the bank account: import a statement, assign an incoming transfer.
        ("payments", "add_bankstatement"),
        ("payments", "change_bankentry"),
        *_view("wallets", "walletstate", "welcomecreditgrant"),
        *_view(
            "statements",
            "statement",
            "closerun",
            "partnertaxprofile",
            "taxprofilechange",
            "adjustment",
            "objection",
        ),
        # A partner's objection to a credit note: record how it was settled (audited).
        ("statements", "change_objection"),
        DOWNLOAD_STATEMENT,
        *_view("payouts", "payoutrun", "payout", "bankline", "payoutpolicy"),
        DOWNLOAD_SEPA,
        *_view("collections", "writeoff"),  # the write-offs of dunning, for the books
        # Partner adjustments (bonus, correction, penalty; a second approver above the
        # limit) and payout runs (start, mark sent) in the console.
        *_edit("partners", "adjustmentrequest", "payoutrunsent"),
        ("statements", "add_adjustment"),  # the admin's "add" leads to the console
    ),
    ADMIN: (
        *_edit("platforms", "platform", "platformdomain", "legalentity"),
        ("platforms", "delete_platformdomain"),
        ("accounts", "add_user"),
        ("accounts", "change_user"),
        ("accounts", "view_user"),
        ("accounts", "view_clientaccount"),
        ("accounts", "change_clientaccount"),
        *_edit("accounts", "partner", "listing", "category"),
        ("accounts", "delete_category"),
        *_edit("consultations", "platformtariffpolicy", "voiceconfig"),
        *_edit("payments", "providerconfig", "channelpolicy"),
        *_edit("wallets", "walletsettings"),
        *_edit("payouts", "payoutpolicy"),
        *_edit("collections", "dunningplan", "risksettings"),
        # Partners: onboarding, listing reviews, adjustments, suspension (the console).
        *_edit(
            "partners",
            "partnerapplication",
            "listingrevision",
            "adjustmentrequest",
            "partnersettings",
        ),
        ("statements", "add_adjustment"),  # the admin's "add" leads to the console
        *_view("statements", "partnertaxprofile"),
        # The money, read-only: the operator's administrator sees what the platforms earn.
        *_view("ledger", "account", "transfer"),
        *_view("payments", "payment", "dispute", "refundrequest", "refund"),
        *_view("wallets", "walletstate"),
        *_view("statements", "statement", "adjustment", "closerun"),
        *_view("payouts", "payoutrun", "payout"),
        # Legal texts: "add" issues a new version; nobody changes or deletes one.
        ("legal", "add_legaldocument"),
        *_view("legal", "legaldocument", "consent"),
        *_view("notifications", "outboundmail"),
    ),
}
