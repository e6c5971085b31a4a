"""A client's rating of a settled consultation."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from django.core.cache import cache
from django.db import IntegrityError, transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.errors import NotParticipant, RatingNotAllowed
from sprechzeit.consultations.models import Consultation, Rating
from sprechzeit.consultations.selectors import rating_summary_key
from sprechzeit.consultations.services.chat import MAX_MESSAGE_LENGTH
from sprechzeit.consultations.services.common import moment_of
from sprechzeit.core import clock

MIN_RATED_PAID_SECONDS: Final = 180


def rating_create(
    *,
    consultation: Consultation,
    client: ClientAccount,
    stars: int,
    text: str = "",
    now: datetime | None = None,
) -> Rating:
    """A client rates a settled consultation of at least three paid minutes, once."""
    if consultation.client_id != client.pk:
        raise NotParticipant()
    if (
        consultation.status != Consultation.Status.SETTLED
        or (consultation.billed_seconds or 0) < MIN_RATED_PAID_SECONDS
        or not consultation.amount_minor
    ):
        raise RatingNotAllowed(min_seconds=MIN_RATED_PAID_SECONDS)
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise RatingNotAllowed(stars=str(stars))
    try:
        with transaction.atomic():
            _summary_forget_on_commit(consultation.platform_id)
            return Rating.objects.create(
                consultation=consultation,
                listing_id=consultation.listing_id,
                stars=stars,
                text=text.strip()[:MAX_MESSAGE_LENGTH],
                created_at=moment_of(now),
            )
    except IntegrityError as exc:
        raise RatingNotAllowed(reason="already_rated") from exc


@transaction.atomic
def rating_set_hidden(*, rating: Rating, hidden: bool, reason: str = "") -> Rating:
    """Hide a rating from the profile and its average (`selectors.visible_ratings_q`), or
    show it again. Hiding keeps the first moment; showing clears moment and reason."""
    rating = Rating.objects.select_for_update().get(pk=rating.pk)
    _summary_forget_on_commit(rating.listing.platform_id)
    if hidden:
        rating.hidden_at = rating.hidden_at or clock.now()
        rating.hidden_reason = reason[:500]
    else:
        rating.hidden_at = None
        rating.hidden_reason = ""
    rating.save(update_fields=["hidden_at", "hidden_reason"])
    return rating


def _summary_forget_on_commit(platform_id: int) -> None:
    """The directory's cached rating summary of the platform no longer holds
    (`selectors.listings_rating_summary`): forgotten now, and again once this commits,
    in case a request cached the summary of before in between."""
    key = rating_summary_key(platform_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
