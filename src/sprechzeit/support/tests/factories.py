"""Factories for support tests: staff of each role, a rated consultation, a contact
message."""

from __future__ import annotations

import itertools

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.consultations.models import Consultation, Rating
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
    rating_create,
)
from sprechzeit.consultations.tests.factories import Scene
from sprechzeit.platforms.models import ContactMessage, Platform

_seq = itertools.count(1)


def staff(role: str = roles.SUPPORT) -> User:
    return staff_create(email=f"{role}{next(_seq)}@staff.example", password=None, role=role)


def settled(s: Scene, *, seconds: int = 200) -> Consultation:
    consultation = consultation_request(client=s.client, listing=s.listing)
    consultation = consultation_accept(consultation=consultation, partner=s.partner)
    return consultation_end(
        consultation=consultation, reason=Consultation.EndReason.CLIENT, at_second=seconds
    )


def rated(s: Scene, stars: int, text: str = "") -> Rating:
    return rating_create(consultation=settled(s), client=s.client, stars=stars, text=text)


def contact_message(platform: Platform, *, email: str = "frage@example.com") -> ContactMessage:
    return ContactMessage.objects.create(
        platform=platform, email=email, subject="Aufladung fehlt", message="Wo ist mein Geld?"
    )
