"""Reads of the support desk: the contact queue and a message's thread, reported
ratings, the goodwill queue, finding a client and the client's file. Tenant-owned reads
take the platform first where they search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet

from sprechzeit.accounts.models import ClientAccount, PhonePinEvent, User
from sprechzeit.consultations.models import Consultation, Rating
from sprechzeit.core.money import Money
from sprechzeit.notifications.models import OutboundMail
from sprechzeit.payments.models import RefundRequest
from sprechzeit.payments.selectors import PaymentRow, payment_rows, refund_requests_of
from sprechzeit.platforms.models import ContactMessage, Platform
from sprechzeit.support.models import ContactReply, GoodwillCredit, RatingReport, StaffNote
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.models import WalletState
from sprechzeit.wallets.state import wallet_state

SEARCH_LIMIT = 50


# --- contact messages ---------------------------------------------------------------------


def contact_queue(*, handled: bool = False) -> QuerySet[ContactMessage]:
    """Open (or handled) contact messages of every platform, oldest first."""
    return (
        ContactMessage.objects.filter(handled=handled)
        .select_related("platform")
        .annotate(reply_count=Count("replies"))
        .order_by("created_at" if not handled else "-created_at")
    )


def contact_client(message: ContactMessage) -> ClientAccount | None:
    """The client account of the message's sender, if the address is a client's of the
    message's platform (addresses are unique per platform, compared without case)."""
    return (
        ClientAccount.objects.select_related("user", "platform")
        .filter(platform_id=message.platform_id, user__email__iexact=message.email)
        .first()
    )


@dataclass(frozen=True, slots=True)
class ThreadItem:
    at: datetime
    kind: str  # "message", "receipt", "reply"
    author: str
    text: str
    mail: OutboundMail | None


def contact_thread(message: ContactMessage) -> list[ThreadItem]:
    """The message, the receipt mailed to its sender and every answer, in time order."""
    items = [ThreadItem(message.created_at, "message", message.email, message.message, None)]
    receipt = OutboundMail.objects.filter(key=f"contact-receipt:{message.pk}").first()
    if receipt is not None:
        items.append(ThreadItem(receipt.created_at, "receipt", "", "", receipt))
    replies = ContactReply.objects.filter(message=message).select_related("author", "mail")
    items += [ThreadItem(r.created_at, "reply", r.author.email, r.body, r.mail) for r in replies]
    return sorted(items, key=lambda item: item.at)


# --- ratings -------------------------------------------------------------------------------


def reported_ratings() -> QuerySet[Rating]:
    """Ratings with at least one open report, the longest waiting first; each annotated
    with its number of open reports and the first report's time."""
    open_reports = RatingReport.objects.filter(resolved_at__isnull=True)
    return (
        Rating.objects.filter(Exists(open_reports.filter(rating=OuterRef("pk"))))
        .select_related("listing", "listing__platform")
        .annotate(
            open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True)),
            first_report_at=Min("reports__created_at", filter=Q(reports__resolved_at__isnull=True)),
        )
        .order_by("first_report_at")
    )


def hidden_ratings() -> QuerySet[Rating]:
    return (
        Rating.objects.filter(hidden_at__isnull=False)
        .select_related("listing", "listing__platform")
        .order_by("-hidden_at")
    )


def reports_of(rating: Rating) -> QuerySet[RatingReport]:
    return RatingReport.objects.filter(rating=rating).select_related("reporter", "resolved_by")


def first_open_report_at(rating: Rating) -> datetime | None:
    first = (
        RatingReport.objects.filter(rating=rating, resolved_at__isnull=True)
        .order_by("created_at")
        .first()
    )
    return first.created_at if first is not None else None


# --- goodwill ------------------------------------------------------------------------------


def goodwill_pending() -> QuerySet[GoodwillCredit]:
    return (
        GoodwillCredit.objects.filter(status=GoodwillCredit.Status.PENDING)
        .select_related("client_account", "client_account__platform", "requested_by")
        .order_by("requested_at")
    )


# --- clients -------------------------------------------------------------------------------


def clients_find(*, platform: Platform, query: str) -> list[ClientAccount]:
    """Clients of `platform` by e-mail, name, customer number or account id."""
    words = query.strip()
    if not words:
        return []
    match = (
        Q(user__email__icontains=words)
        | Q(customer_number__iexact=words)
        | Q(user__first_name__icontains=words)
        | Q(user__last_name__icontains=words)
    )
    if words.isdigit():
        match |= Q(pk=int(words))
    if " " in words:
        first, _sep, last = words.partition(" ")
        match |= Q(
            user__first_name__icontains=first.strip(), user__last_name__icontains=last.strip()
        )
    return list(
        ClientAccount.objects.filter(match, platform=platform)
        .select_related("user", "platform")
        .order_by("customer_number")[:SEARCH_LIMIT]
    )


@dataclass(frozen=True, slots=True)
class ClientFile:
    account: ClientAccount
    user: User
    balance: wallets.WalletBalance
    state: WalletState
    deposit_limit: Money | None
    payments: list[PaymentRow]
    refund_requests: list[RefundRequest]
    consultations: list[Consultation]
    notes: list[StaffNote]
    goodwill: list[GoodwillCredit]
    pin_events: list[PhonePinEvent]
    messages: list[ContactMessage]


def client_file(account: ClientAccount) -> ClientFile:
    """Everything the client file shows (chat transcripts only on request: audited)."""
    consultations = list(
        Consultation.objects.filter(client=account)
        .select_related("listing")
        .order_by("-requested_at")[:50]
    )
    return ClientFile(
        account=account,
        user=account.user,
        balance=wallets.wallet_balance(client_account=account),
        state=wallet_state(account),
        deposit_limit=wallets.wallet_deposit_limit(client_account=account),
        payments=payment_rows(account),
        refund_requests=list(refund_requests_of(account)[:20]),
        consultations=consultations,
        notes=list(StaffNote.objects.filter(client_account=account).select_related("author")[:50]),
        goodwill=list(
            GoodwillCredit.objects.filter(client_account=account).select_related(
                "requested_by", "decided_by"
            )[:50]
        ),
        pin_events=list(PhonePinEvent.objects.filter(client_account=account).order_by("-at")[:10]),
        messages=list(
            ContactMessage.objects.filter(
                platform_id=account.platform_id, email__iexact=account.user.email
            ).order_by("-created_at")[:20]
        ),
    )
