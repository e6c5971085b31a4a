"""Demo data for the console's risk queues, through the real services on a simulated
clock (a few days back, so ages, SLA colours and reminders show): on the coaching
platform two open chargebacks (one of them after spending: the client owes money),
two refund requests (one small, one above the four-eyes amount), a client in dunning
who had two reminders, and a client paying an agreed instalment plan of 3 (one paid).
Called once from the demo history (`demo.history`), without mail."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from sprechzeit.accounts.models import ClientAccount, Listing, User
from sprechzeit.accounts.services import (
    client_register,
    email_verification_token,
    user_verify_email,
)
from sprechzeit.collections.services.disputes import dispute_outcome
from sprechzeit.collections.services.dunning import dunning_run
from sprechzeit.collections.services.instalments import instalment_plan_create
from sprechzeit.consultations import services as consultations
from sprechzeit.consultations.errors import ConsultationError
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.payments.models import Channel, ChannelPolicy, Dispute, DisputeStatus, Payment
from sprechzeit.payments.services.refunds import refund_request_create
from sprechzeit.payments.services.sandbox import sandbox_deliver, sandbox_top_up
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets.services import wallet_open

RISK_STAFF = "risiko@demo.sprechzeit.de"


def _client(platform: Platform, name: str, first_name: str) -> ClientAccount:
    account = client_register(
        platform=platform,
        email=f"{name}@demo.sprechzeit.de",
        password=None,
        first_name=first_name,
    )
    wallet_open(client_account=account)
    return account


def _top_up(account: ClientAccount, policy: ChannelPolicy, minor: int) -> Payment:
    return sandbox_top_up(
        client_account=account, policy=policy, amount=Money(minor, account.platform.currency)
    )


def _consult(account: ClientAccount, listing: Listing, seconds: int) -> int:
    """A chat consultation of `seconds` that the client pays from the balance (1 if it
    took place)."""
    now = clock.now()
    consultations.presence_set(partner=listing.partner, status=PartnerPresence.Status.ONLINE)
    try:
        consultation = consultations.consultation_request(client=account, listing=listing, now=now)
        consultation = consultations.consultation_accept(
            consultation=consultation, partner=listing.partner, now=now + timedelta(seconds=5)
        )
        consultations.consultation_end(
            consultation=consultation, reason="client", now=now + timedelta(seconds=5 + seconds)
        )
    except ConsultationError:
        return 0
    finally:
        consultations.presence_set(partner=listing.partner, status=PartnerPresence.Status.OFFLINE)
    return 1


def _charged_back(
    account: ClientAccount, policy: ChannelPolicy, listing: Listing, *, spend: int, key: str
) -> tuple[Dispute, int]:
    """A top-up of 25 €, a consultation of `spend` seconds (if any), then the provider's
    chargeback: the open dispute and the number of consultations held."""
    payment = _top_up(account, policy, 2500)
    held = _consult(account, listing, spend) if spend else 0
    sandbox_deliver(payment=payment, event_type="dispute.opened", dispute_id=f"demo-{key}")
    return Dispute.objects.get(payment=payment, external_id=f"demo-{key}"), held


def demo_backoffice_risk(*, now: datetime | None = None) -> int:
    """Seed the risk queues on the coaching platform (once: skipped when done); returns
    the number of consultations it held (the history's report counts them)."""
    platform = Platform.objects.filter(slug="coaching").first()
    staff = User.objects.filter(email=RISK_STAFF, platform__isnull=True).first()
    if platform is None or staff is None:
        return 0
    if ClientAccount.objects.filter(platform=platform, user__email__startswith="risiko-").exists():
        return 0
    policy = ChannelPolicy.objects.get(platform=platform, channel=Channel.SANDBOX)
    listing = Listing.objects.filter(platform=platform).order_by("pk").first()
    if listing is None:
        return 0
    now = now or timezone.now()
    with clock.frozen_at(now - timedelta(days=20)) as moment:
        dunned = _client(platform, "risiko-mahnung", "Paul")
        paying = _client(platform, "risiko-raten", "Rita")
        lost, held = _charged_back(dunned, policy, listing, spend=1200, key="mahnung")
        plan_dispute, more = _charged_back(paying, policy, listing, spend=900, key="raten")
        held += more
        dispute_outcome(actor=staff, dispute=lost, outcome=DisputeStatus.LOST, reason="Demo")
        case = dispute_outcome(
            actor=staff, dispute=plan_dispute, outcome=DisputeStatus.ACCEPTED, reason="Demo"
        )
        moment.tick(days=3)
        if case is not None:
            plan = instalment_plan_create(
                actor=staff,
                case=case,
                count=3,
                interval_days=14,
                first_due_on=timezone.localdate(clock.now()) + timedelta(days=1),
                reason="Demo: telefonisch vereinbart",
            )
            moment.tick(days=1)
            first = plan.instalments.order_by("number").first()
            if first is not None:  # the first instalment, paid on its day
                _top_up(paying, policy, int(first.amount_minor))
        moment.tick(days=4)
        dunning_run()  # day 8: the first reminder
        moment.tick(days=7)
        dunning_run()  # day 15: the second
    with clock.frozen_at(now - timedelta(days=4)):  # past the 72 h deadline: "überfällig"
        held += _charged_back(
            _client(platform, "risiko-offen", "Olga"), policy, listing, spend=1500, key="offen"
        )[1]
    with clock.frozen_at(now - timedelta(hours=60)):  # in the last quarter: "bald fällig"
        _charged_back(
            _client(platform, "risiko-streit", "Sven"), policy, listing, spend=0, key="streit"
        )
    with clock.frozen_at(now - timedelta(days=1)):
        small = _client(platform, "risiko-erstattung", "Emil")
        _top_up(small, policy, 3000)
        refund_request_create(client_account=small, amount=Money(1500, platform.currency))
        large = _client(platform, "risiko-grosserstattung", "Greta")
        _top_up(large, policy, 20000)
        refund_request_create(client_account=large, amount=Money(18000, platform.currency))
    return held


def demo_chargeback(*, email: str, password: str, spend_seconds: int = 600) -> int:
    """A new coaching client (confirmed address, `password`) tops up 25 €, consults and
    is charged back through the sandbox provider: the open dispute's id (the browser
    suite's arriving chargeback)."""
    platform = Platform.objects.get(slug="coaching")
    policy = ChannelPolicy.objects.get(platform=platform, channel=Channel.SANDBOX)
    listing = Listing.objects.filter(platform=platform).order_by("pk").first()
    if listing is None:
        raise LookupError("the demo has no listing on coaching")
    account = client_register(platform=platform, email=email, password=password, first_name="Carla")
    wallet_open(client_account=account)
    user_verify_email(token=email_verification_token(user=account.user), platform=platform)
    return _charged_back(account, policy, listing, spend=spend_seconds, key=email)[0].pk
