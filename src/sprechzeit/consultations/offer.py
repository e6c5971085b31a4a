"""What a client is told before a paid consultation starts: the listing's rate and the
platform's tariff terms, the balance, how many minutes it buys, and the welcome credit
if one was granted. A read; `consultation_request` freezes the same terms."""

from __future__ import annotations

from dataclasses import dataclass

from sprechzeit.accounts.models import ClientAccount, Listing
from sprechzeit.consultations.billing import client_available, client_check_spend
from sprechzeit.consultations.errors import ClientBlocked, ConsultationError
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.selectors import policy_for
from sprechzeit.consultations.services.video import listing_video_rate
from sprechzeit.consultations.tariff import (
    Tariff,
    tariff_first_increment_cost,
    tariff_max_seconds,
)
from sprechzeit.core.money import Money
from sprechzeit.wallets.models import WelcomeCreditGrant


@dataclass(frozen=True, slots=True)
class StartOffer:
    tariff: Tariff
    available: Money
    # The metered seconds the balance pays for (at most the platform's longest).
    seconds: int
    enough: bool  # the balance pays for the first increment
    welcome: Money | None  # the welcome credit granted to this client, if any
    refusal: str = ""  # why this client may not start now (blocked, self-excluded)
    channel: str = Consultation.Channel.CHAT  # chat or video (its own rate)

    @property
    def minutes(self) -> int:
        return self.seconds // 60


def consultation_offer(
    *, client: ClientAccount, listing: Listing, channel: str = Consultation.Channel.CHAT
) -> StartOffer:
    platform = listing.platform
    policy = policy_for(platform)
    refusal = ""
    rate_minor = listing.rate_minor
    if channel == Consultation.Channel.VIDEO:
        try:
            rate_minor = listing_video_rate(listing)
        except ConsultationError as exc:
            refusal = str(exc.message)
    tariff = Tariff(
        rate_minor=rate_minor,
        currency=platform.currency,
        increment_first=policy.increment_first_seconds,
        increment_next=policy.increment_next_seconds,
        grace_seconds=policy.grace_seconds,
        connect_fee_minor=policy.connect_fee_minor,
    )
    available = client_available(client=client, currency=platform.currency)
    grant = WelcomeCreditGrant.objects.filter(client_account=client).first()
    try:
        client_check_spend(client=client)
    except ClientBlocked as exc:
        refusal = str(exc.message)
    return StartOffer(
        tariff=tariff,
        available=available,
        seconds=min(
            tariff_max_seconds(amount=available, tariff=tariff), policy.max_duration_seconds
        ),
        enough=available >= tariff_first_increment_cost(tariff=tariff),
        welcome=Money(grant.amount_minor, grant.currency) if grant else None,
        refusal=refusal,
        channel=channel,
    )
