"""The consultation mails' task runs again after a database error such as a deadlock
with a burst's settlements (seen at 4,000 concurrent consultations): the victim's
transaction is rolled back whole, and each mail has its key, so nothing is sent twice."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from sprechzeit.consultations import mails


def test_a_deadlocked_mail_task_runs_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def send(*, consultation_id: str) -> None:
        calls.append(consultation_id)
        if len(calls) == 1:
            raise OperationalError("deadlock detected")

    monkeypatch.setattr(mails, "consultation_mails_send", send)
    # Eagerly the retry runs at once, inside the first call (whose outcome is "retry").
    mails.consultation_mails.apply(args=("c-1",), throw=False)
    assert calls == ["c-1", "c-1"]
