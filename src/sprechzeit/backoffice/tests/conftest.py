"""Staff logged in on the network host (testserver), each with a verified second factor."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import login_verified

type StaffClient = Callable[..., tuple[Client, User]]


@pytest.fixture
def staff_client(db: None) -> StaffClient:
    """`staff_client("risk")` → (a test client logged in as a new risk staff member, the user)."""
    made: dict[str, int] = {}

    def make(role: str, *, email: str | None = None) -> tuple[Client, User]:
        made[role] = made.get(role, 0) + 1
        user = staff_create(
            email=email or f"{role}{made[role]}@staff.example", password=None, role=role
        )
        browser = Client(REMOTE_ADDR="198.51.100.7")
        login_verified(browser, user)
        return browser, user

    return make
