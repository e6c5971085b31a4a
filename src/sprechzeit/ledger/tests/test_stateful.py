"""A Hypothesis state machine drives the real services against a pure-Python model of the
ledger and compares every outcome and every balance.

Default: at least 2,000 steps (`make test`). Longer: LEDGER_HYPOTHESIS_STEPS=50000.
Reproduce: the seed is printed on failure; rerun with LEDGER_HYPOTHESIS_SEED=<seed>.
"""

from __future__ import annotations

import os
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    get_state_machine_test,
    invariant,
    precondition,
    rule,
)

from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import errors, services
from sprechzeit.ledger.booking import TransferSpec
from sprechzeit.ledger.models import Account, AccountPurpose, TransferKind
from sprechzeit.ledger.selectors import accounts_counters
from sprechzeit.ledger.tests.factories import account
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

STEPS = int(os.environ.get("LEDGER_HYPOTHESIS_STEPS", "2000"))
STEPS_PER_EXAMPLE = 50
SEED = int(os.environ.get("LEDGER_HYPOTHESIS_SEED", str(random.SystemRandom().randrange(2**32))))
T0 = datetime(2026, 1, 1, tzinfo=UTC)
steps_run = 0
outcomes: Counter[str] = Counter()

REMEMBERED = {cls.code for cls in errors.REMEMBERED_FAILURES}


# --- the model --------------------------------------------------------------------------


@dataclass
class ModelAccount:
    limit_debits: bool = False
    limit_credits: bool = False
    counters: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # dpe dpo cpe cpo


@dataclass
class ModelHold:
    debit: int
    credit: int
    amount: int
    expires_at: datetime | None
    state: str = "open"  # open, post_pending, void_pending, expire_pending


class Refused(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


Request = tuple[Any, ...]  # (kind, debit, credit, amount, pending_id, timeout_seconds)


class Model:
    def __init__(self, n_accounts: int) -> None:
        self.accounts = [ModelAccount() for _ in range(n_accounts)]
        self.holds: dict[uuid.UUID, ModelHold] = {}
        self.booked: dict[uuid.UUID, Request] = {}
        self.failed: dict[uuid.UUID, tuple[Request, str]] = {}
        self.singles: set[uuid.UUID] = set()

    def submit(
        self, now: datetime, items: list[tuple[uuid.UUID, Request]]
    ) -> tuple[str, list[int]]:
        """Outcome of a call: ("ok", posted amounts) / ("replayed", …) or (code, [index])."""
        for index, (item_id, request) in enumerate(items):
            kind, debit, credit, _amount, _pending, _timeout = request
            if [other for other, _ in items].count(item_id) > 1:
                return "duplicate_id_in_batch", [index]
            if kind in ("single", "pending") and debit == credit:
                return "accounts_must_be_different", [index]
        if any(item_id in self.booked or item_id in self.failed for item_id, _ in items):
            for index, (item_id, request) in enumerate(items):
                if item_id in self.failed:
                    stored, _code = self.failed[item_id]
                    return ("id_already_failed" if stored == request else "id_conflict"), [index]
                if self.booked.get(item_id) != request:
                    return "id_conflict", [index]
            return "replayed", []
        accounts = [
            ModelAccount(a.limit_debits, a.limit_credits, list(a.counters)) for a in self.accounts
        ]
        holds = {k: ModelHold(**vars(v)) for k, v in self.holds.items()}
        amounts: list[int] = []
        for index, (item_id, request) in enumerate(items):
            try:
                amounts.append(self._apply(now, accounts, holds, item_id, request))
            except Refused as refused:
                if refused.code in REMEMBERED:
                    self.failed[item_id] = (request, refused.code)
                return refused.code, [index]
        self.accounts, self.holds = accounts, holds
        for item_id, request in items:
            self.booked[item_id] = request
        return "ok", amounts

    def _apply(
        self,
        now: datetime,
        accounts: list[ModelAccount],
        holds: dict[uuid.UUID, ModelHold],
        item_id: uuid.UUID,
        request: Request,
    ) -> int:
        kind, debit, credit, amount, pending_id, timeout = request
        if kind in ("single", "pending"):
            d, c = accounts[debit].counters, accounts[credit].counters
            slot = 0 if kind == "pending" else 1
            d[slot] += amount
            c[slot + 2] += amount
            if accounts[debit].limit_debits and d[0] + d[1] > d[3]:
                raise Refused("exceeds_credits")
            if accounts[credit].limit_credits and c[2] + c[3] > c[1]:
                raise Refused("exceeds_debits")
            if kind == "pending":
                expires = None if timeout is None else now + timedelta(seconds=timeout)
                holds[item_id] = ModelHold(debit, credit, amount, expires)
            else:
                self.singles.add(item_id)
            return int(amount)
        hold = holds.get(pending_id)
        if hold is None:
            raise Refused("pending_transfer_not_found")
        if hold.state != "open":
            raise Refused(
                {
                    "post_pending": "pending_transfer_already_posted",
                    "void_pending": "pending_transfer_already_voided",
                    "expire_pending": "pending_transfer_expired",
                }[hold.state]
            )
        due = hold.expires_at is not None and now >= hold.expires_at
        if kind == "expire_pending":
            assert due
        elif due:
            raise Refused("pending_transfer_expired")
        d, c = accounts[hold.debit].counters, accounts[hold.credit].counters
        posted = 0
        if kind == "post_pending":
            posted = hold.amount if amount is None else amount
            if posted > hold.amount:
                raise Refused("exceeds_pending_transfer_amount")
            d[1] += posted
            c[3] += posted
        d[0] -= hold.amount
        c[2] -= hold.amount
        hold.state = kind
        return posted if kind == "post_pending" else hold.amount

    def due_holds(self, now: datetime) -> list[uuid.UUID]:
        return [
            hid
            for hid, h in self.holds.items()
            if h.state == "open" and h.expires_at is not None and h.expires_at <= now
        ]


# --- the machine ------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=1500)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._clock = clock.frozen_at(T0)
        self.frozen = self._clock.__enter__()
        self.now = T0
        wallets = [account(AccountPurpose.CLIENT_WALLET) for _ in range(3)]
        partner = account(AccountPurpose.PARTNER_PAYABLE)
        bank = account(AccountPurpose.BANK)
        # A credit-limited account, to exercise the mirror flag.
        Account.objects.filter(pk=bank.pk).update(credits_must_not_exceed_debits=True)
        owner = str(uuid.uuid4())
        hot = [
            account(AccountPurpose.PROVIDER_CLEARING, owner_type="tests.provider", owner_id=owner),
            account(AccountPurpose.PLATFORM_REVENUE, owner_type="tests.platform", owner_id=owner),
            account(
                AccountPurpose.CONSULTATION_CLEARING, owner_type="tests.platform", owner_id=owner
            ),
        ]
        self.db_accounts = [*wallets, partner, bank, *hot]
        self.model = Model(len(self.db_accounts))
        for index, db_account in enumerate(self.db_accounts):
            self.model.accounts[index].limit_debits = db_account.debits_must_not_exceed_credits
            self.model.accounts[index].limit_credits = db_account.pk == bank.pk
        self.history: list[tuple[uuid.UUID, Request]] = []
        self.hold_ids: list[uuid.UUID] = []

    def teardown(self) -> None:
        self._clock.__exit__(None, None, None)
        assert_ledger_sound()

    # --- driving the real ledger --------------------------------------------------------
    def _spec(self, item_id: uuid.UUID, request: Request) -> TransferSpec:
        kind, debit, credit, amount, pending_id, timeout = request
        is_resolution = kind in ("post_pending", "void_pending")
        return TransferSpec(
            id=item_id,
            kind=TransferKind(kind),
            debit_account=None if is_resolution else self.db_accounts[debit],
            credit_account=None if is_resolution else self.db_accounts[credit],
            amount=None if amount is None else Money(amount),
            pending_id=pending_id,
            timeout=None if timeout is None else timedelta(seconds=timeout),
        )

    def _run(self, items: list[tuple[uuid.UUID, Request]], *, linked: bool) -> None:
        expected, expected_amounts = self.model.submit(self.now, items)
        outcomes[expected] += 1
        specs = [self._spec(item_id, request) for item_id, request in items]
        error: errors.LedgerError | None = None
        try:
            if linked:
                results = list(services.transfers_post_linked(transfers=specs).transfers)
            else:
                results = (
                    list(services.transfers_post_linked(transfers=specs).transfers)
                    if len(specs) > 1
                    else [self._single(specs[0])]
                )
        except errors.LedgerError as raised:
            error = raised
        if error is not None:
            assert error.code == expected, (error.code, expected, error.fields)
            if len(items) > 1 and expected_amounts:
                assert error.fields.get("index") == expected_amounts[0]
            if expected in REMEMBERED:
                self.history.append(items[expected_amounts[0]])
            return
        assert expected in ("ok", "replayed"), (expected, results)
        assert all(r.replayed for r in results) == (expected == "replayed")
        if expected == "ok":
            assert [r.amount.minor for r in results] == expected_amounts
        for item_id, request in items:
            self.history.append((item_id, request))
            if request[0] == "pending" and item_id not in self.hold_ids:
                self.hold_ids.append(item_id)

    def _single(self, spec: TransferSpec) -> Any:
        if spec.kind == TransferKind.SINGLE:
            assert spec.debit_account is not None
            assert spec.credit_account is not None
            assert spec.amount is not None
            return services.transfer_post(
                id=spec.id,
                debit_account=spec.debit_account,  # type: ignore[arg-type]
                credit_account=spec.credit_account,  # type: ignore[arg-type]
                amount=spec.amount,
            )
        if spec.kind == TransferKind.PENDING:
            assert spec.amount is not None
            return services.hold_create(
                id=spec.id,
                debit_account=spec.debit_account,  # type: ignore[arg-type]
                credit_account=spec.credit_account,  # type: ignore[arg-type]
                amount=spec.amount,
                timeout=spec.timeout,
            )
        assert spec.pending_id is not None
        if spec.kind == TransferKind.POST_PENDING:
            return services.hold_post(id=spec.id, pending_id=spec.pending_id, amount=spec.amount)
        return services.hold_void(id=spec.id, pending_id=spec.pending_id)

    def _pick_hold(self, pick: int) -> uuid.UUID:
        if not self.hold_ids or pick % 10 == 9:
            return uuid.uuid4()  # an unknown hold now and then
        return self.hold_ids[pick % len(self.hold_ids)]

    # --- rules ----------------------------------------------------------------------------
    @rule(debit=st.integers(0, 7), credit=st.integers(0, 7), amount=amounts)
    def transfer(self, debit: int, credit: int, amount: int) -> None:
        self._run([(uuid.uuid4(), ("single", debit, credit, amount, None, None))], linked=False)

    @rule(wallet=st.integers(0, 2), amount=amounts)
    def top_up(self, wallet: int, amount: int) -> None:
        self._run([(uuid.uuid4(), ("single", 5, wallet, amount, None, None))], linked=False)

    @rule(
        debit=st.integers(0, 7),
        credit=st.integers(0, 7),
        amount=amounts,
        timeout=st.none() | st.integers(1, 120),
    )
    def hold(self, debit: int, credit: int, amount: int, timeout: int | None) -> None:
        self._run([(uuid.uuid4(), ("pending", debit, credit, amount, None, timeout))], linked=False)

    @rule(pick=st.integers(0, 10_000), amount=st.none() | st.integers(1, 1600))
    def post(self, pick: int, amount: int | None) -> None:
        request = ("post_pending", None, None, amount, self._pick_hold(pick), None)
        self._run([(uuid.uuid4(), request)], linked=False)

    @rule(pick=st.integers(0, 10_000))
    def void(self, pick: int) -> None:
        request = ("void_pending", None, None, None, self._pick_hold(pick), None)
        self._run([(uuid.uuid4(), request)], linked=False)

    @rule(seconds=st.integers(0, 90))
    def advance(self, seconds: int) -> None:
        self.now = self.frozen.tick(seconds)

    @rule()
    def expire(self) -> None:
        due = set(self.model.due_holds(self.now))
        expired = set(services.holds_expire_due().expired)
        # Holds of earlier examples share the database; only ours are modelled.
        assert expired & set(self.model.holds) == due
        self.model.submit(
            self.now,
            [(uuid.uuid4(), ("expire_pending", None, None, None, hid, None)) for hid in due],
        )

    @rule()
    def fold(self) -> None:
        services.hot_accounts_fold(accounts=self.db_accounts[5:])

    @precondition(lambda self: bool(self.history))
    @rule(pick=st.integers(0, 10_000))
    def retry_same(self, pick: int) -> None:
        self._run([self.history[pick % len(self.history)]], linked=False)

    @precondition(lambda self: bool(self.history))
    @rule(pick=st.integers(0, 10_000), amount=amounts)
    def retry_other_content(self, pick: int, amount: int) -> None:
        item_id, request = self.history[pick % len(self.history)]
        changed = (request[0], request[1], request[2], amount, request[4], request[5])
        if request[0] in ("void_pending",):
            changed = ("post_pending", None, None, amount, request[4], None)
        self._run([(item_id, changed)], linked=False)

    @rule(
        members=st.lists(
            st.tuples(
                st.sampled_from(["single", "single", "pending", "post_pending", "void_pending"]),
                st.integers(0, 7),
                st.integers(0, 7),
                amounts,
                st.integers(0, 10_000),
            ),
            min_size=1,
            max_size=5,
        )
    )
    def batch(self, members: list[tuple[str, int, int, int, int]]) -> None:
        items: list[tuple[uuid.UUID, Request]] = []
        for kind, debit, credit, amount, pick in members:
            item_id = uuid.uuid4()
            if kind in ("single", "pending"):
                items.append((item_id, (kind, debit, credit, amount, None, None)))
            else:
                # Resolve a hold from this batch when there is one, else an earlier one.
                own = [i for i, r in items if r[0] == "pending"]
                target = own[pick % len(own)] if own and pick % 2 else self._pick_hold(pick)
                post_amount = amount if kind == "post_pending" else None
                items.append((item_id, (kind, None, None, post_amount, target, None)))
        self._run(items, linked=True)

    @invariant()
    def balances_match_the_model(self) -> None:
        global steps_run
        steps_run += 1  # invariants run after every step (and once at the start)
        counters = accounts_counters(account_ids=[a.pk for a in self.db_accounts])
        for index, db_account in enumerate(self.db_accounts):
            have = counters[db_account.pk]
            want = self.model.accounts[index].counters
            assert [
                have.debits_pending,
                have.debits_posted,
                have.credits_pending,
                have.credits_posted,
            ] == want, (index, db_account.purpose)


@pytest.mark.django_db
def test_ledger_matches_the_model() -> None:
    global steps_run
    steps_run = 0
    outcomes.clear()
    examples = max(1, -(-STEPS // STEPS_PER_EXAMPLE))
    machine_test = get_state_machine_test(
        LedgerMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=STEPS_PER_EXAMPLE,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
        _min_steps=STEPS_PER_EXAMPLE,
    )
    try:
        seed(SEED)(machine_test)()
    except BaseException:
        print(f"\nLedger state machine failed: rerun with LEDGER_HYPOTHESIS_SEED={SEED}")  # noqa: T201
        raise
    print(f"\nLedger state machine: {steps_run} steps, seed {SEED}, outcomes {dict(outcomes)}")  # noqa: T201
    assert steps_run >= STEPS
