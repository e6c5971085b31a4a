"""Row locks take only the row they are named for (PostgreSQL).

`select_for_update()` with `select_related()` locks, on PostgreSQL, the rows of every
joined table too, unless `of=("self",)` says otherwise. The consultation lock joined the
platform: every accept, end and settlement of a platform queued on its one platform row,
and an accept and a burst of ends, taking it in different orders among their consultation
rows, deadlocked (the 4,000-consultation benchmark of 2026-11-30 failed on it). Here a
lock held on one consultation (or payment) must not keep another transaction from locking
a second one of the same platform, nor the platform, client or partner rows themselves.
The source test below keeps every such lock to its own rows.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import OperationalError, connection, transaction

from sprechzeit.accounts.models import ClientAccount, Partner
from sprechzeit.consultations.locks import consultation_lock_against_racing_transitions
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import consultation_request
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.payments.locks import payment_lock_against_double_booking
from sprechzeit.payments.tests.factories import client, sandbox_payment, sandbox_setup
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

SRC = Path(__file__).resolve().parents[1] / "src" / "sprechzeit"


@contextmanager
def _holding(lock: Callable[[], object]) -> Iterator[None]:
    """Run `lock` in a transaction of another connection, kept open for the block."""
    taken, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                lock()
                taken.set()
                release.wait(30)
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
            taken.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(30), "the lock was not taken"
    assert not failure, failure
    try:
        yield
    finally:
        release.set()
        thread.join(30)


def _lock_within_a_second(lock: Callable[[], object]) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
        lock()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_consultation_lock_leaves_the_platform_and_other_consultations_free() -> None:
    platform = platform_create(rate_min_minor=99, rate_max_minor=999)
    first, second = scene(platform=platform), scene(platform=platform)
    held = consultation_request(client=first.client, listing=first.listing)
    other = consultation_request(client=second.client, listing=second.listing)

    with _holding(lambda: consultation_lock_against_racing_transitions(consultation=held)):
        _lock_within_a_second(
            lambda: consultation_lock_against_racing_transitions(consultation=other)
        )
        _lock_within_a_second(lambda: Platform.objects.select_for_update().get(pk=platform.pk))
        _lock_within_a_second(
            lambda: ClientAccount.objects.select_for_update().get(pk=first.client.pk)
        )
        _lock_within_a_second(lambda: Partner.objects.select_for_update().get(pk=first.partner.pk))
    assert Consultation.objects.filter(pk__in=[held.pk, other.pk]).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_lock_leaves_the_client_and_platform_free() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=1000)
    with _holding(lambda: payment_lock_against_double_booking(payment_id=payment.pk)):
        _lock_within_a_second(lambda: Platform.objects.select_for_update().get(pk=platform.pk))
        _lock_within_a_second(lambda: ClientAccount.objects.select_for_update().get(pk=account.pk))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_test_sees_a_lock_that_is_held() -> None:
    """The check above can fail: a row that is held cannot be locked within a second."""
    platform = platform_create(rate_min_minor=99, rate_max_minor=999)
    s = scene(platform=platform)
    held = consultation_request(client=s.client, listing=s.listing)
    with (
        _holding(lambda: consultation_lock_against_racing_transitions(consultation=held)),
        pytest.raises(OperationalError, match="lock timeout"),
    ):
        _lock_within_a_second(lambda: Consultation.objects.select_for_update().get(pk=held.pk))


def _chain_calls(node: ast.Call) -> Iterator[ast.Call]:
    """The calls of one method chain, outermost first (`a.b().c()` yields c, b)."""
    current: ast.expr = node
    while isinstance(current, ast.Call):
        yield current
        func = current.func
        current = func.value if isinstance(func, ast.Attribute) else func
        while isinstance(current, ast.Attribute | ast.Subscript):
            current = current.value


def _name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def test_no_row_lock_takes_the_rows_it_only_joins() -> None:
    offenders: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        outermost = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            for inner in list(_chain_calls(node))[1:]
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in outermost:
                continue
            calls = list(_chain_calls(node))
            names = {_name(call) for call in calls}
            if "select_related" not in names:
                continue
            for call in calls:
                if _name(call) == "select_for_update" and not any(
                    keyword.arg == "of" for keyword in call.keywords
                ):
                    offenders.append(f"{path.relative_to(SRC)}:{call.lineno}")
    assert offenders == [], (
        "select_for_update() with select_related() locks the joined rows too; "
        f'pass of=("self",) (or name the rows to lock): {offenders}'
    )
