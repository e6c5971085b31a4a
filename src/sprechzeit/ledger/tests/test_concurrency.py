"""Many processes book over a handful of accounts at once (PostgreSQL).

8 processes × 500 operations over four wallets kept near zero, a partner account and hot
system accounts: transfers, holds with and without expiry, posts, voids, linked batches,
retries, expiry sweeps, hot-account folds, and the same ids submitted from two processes at once.
Afterwards: every booked id was reported booked to exactly one caller, with the amount
the caller was told; every caller was told a domain outcome (no deadlock or
serialization failure reached one); `ledger check` proves counters = replay and
debits = credits.
"""

from __future__ import annotations

import multiprocessing
import random
import traceback
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections

from sprechzeit.core.money import Money
from sprechzeit.ledger import errors, services
from sprechzeit.ledger.booking import TransferSpec
from sprechzeit.ledger.models import AccountPurpose, Transfer, TransferKind
from sprechzeit.ledger.tests.factories import account, funded_wallet, system
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

PROCESSES = 8
OPERATIONS = 500
SHARED_EVERY = 10  # every 10th operation submits an id shared with the neighbour process

# An outcome as a worker saw it: (id, "ok" | "replayed" | error code, kind, amount minor).
Outcome = tuple[str, str, str, int]


def _shared_specs(pair: int, accounts: dict[str, int]) -> list[TransferSpec]:
    """Requests both processes of `pair` submit, with the same ids and content."""
    rng = random.Random(f"shared-{pair}")
    specs = []
    for _ in range(OPERATIONS // SHARED_EVERY):
        wallet = accounts[f"wallet{rng.randrange(4)}"]
        if rng.random() < 0.5:
            debit, credit = accounts["provider"], wallet
        else:
            debit, credit = wallet, accounts["revenue"]
        specs.append(
            TransferSpec(
                id=uuid.UUID(int=rng.getrandbits(128)),
                debit_account=debit,
                credit_account=credit,
                amount=Money(rng.randint(1, 150)),
            )
        )
    return specs


def _worker(index: int, accounts: dict[str, int], barrier: Any, queue: Any) -> None:
    connections.close_all()  # never share the parent's socket
    rng = random.Random(index)
    outcomes: list[Outcome] = []
    unexpected: list[str] = []
    open_holds: list[uuid.UUID] = []
    mine: list[TransferSpec] = []
    shared = [_shared_specs(index, accounts), _shared_specs((index - 1) % PROCESSES, accounts)]
    wallets = [accounts[f"wallet{n}"] for n in range(4)]

    def run(specs: list[TransferSpec]) -> None:
        try:
            if len(specs) == 1 and specs[0].kind == TransferKind.SINGLE:
                spec = specs[0]
                assert spec.amount is not None
                results = [
                    services.transfer_post(
                        id=spec.id,
                        debit_account=spec.debit_account,  # type: ignore[arg-type]
                        credit_account=spec.credit_account,  # type: ignore[arg-type]
                        amount=spec.amount,
                    )
                ]
            else:
                results = list(services.transfers_post_linked(transfers=specs).transfers)
        except errors.LedgerBusy as busy:
            unexpected.append(f"ledger_busy reached a caller: {busy.fields}")
        except errors.LedgerError as error:
            outcomes.extend((str(s.id), error.code, str(s.kind), 0) for s in specs)
        except Exception:
            unexpected.append(traceback.format_exc())
        else:
            for result in results:
                state = "replayed" if result.replayed else "ok"
                outcomes.append((str(result.id), state, str(result.kind), result.amount.minor))
                if result.kind == TransferKind.PENDING and not result.replayed:
                    open_holds.append(result.id)

    barrier.wait()
    for op in range(OPERATIONS):
        if op % SHARED_EVERY == 0:
            run([shared[op % 2][op // SHARED_EVERY]])
            continue
        roll = rng.random()
        wallet = rng.choice(wallets)
        new = uuid.uuid4()
        if roll < 0.22:
            spec = TransferSpec(
                id=new,
                debit_account=wallet,
                credit_account=accounts["revenue"],
                amount=Money(rng.randint(1, 200)),
            )
        elif roll < 0.37:
            spec = TransferSpec(
                id=new,
                debit_account=accounts["provider"],
                credit_account=wallet,
                amount=Money(rng.randint(1, 150)),
            )
        elif roll < 0.55:
            spec = TransferSpec(
                id=new,
                kind=TransferKind.PENDING,
                debit_account=wallet,
                credit_account=accounts["clearing"],
                amount=Money(rng.randint(1, 200)),
                timeout=timedelta(seconds=rng.choice([1, 2, 600])),
            )
        elif roll < 0.70 and open_holds:
            spec = TransferSpec(
                id=new,
                kind=TransferKind.POST_PENDING,
                pending_id=open_holds.pop(rng.randrange(len(open_holds))),
                amount=None if rng.random() < 0.3 else Money(rng.randint(1, 60)),
            )
        elif roll < 0.80 and open_holds:
            spec = TransferSpec(
                id=new,
                kind=TransferKind.VOID_PENDING,
                pending_id=open_holds.pop(rng.randrange(len(open_holds))),
            )
        elif roll < 0.88:
            run(
                [
                    TransferSpec(
                        id=new,
                        debit_account=wallet,
                        credit_account=accounts["partner"],
                        amount=Money(rng.randint(1, 80)),
                    ),
                    TransferSpec(
                        id=uuid.uuid4(),
                        debit_account=wallet,
                        credit_account=accounts["revenue"],
                        amount=Money(rng.randint(1, 40)),
                    ),
                ]
            )
            continue
        elif roll < 0.94 and mine:
            run([rng.choice(mine)])  # a retry with the same id and content
            continue
        else:
            try:
                # Sweepers and folds run while others book: expiries must be booked once,
                # and a fold must keep every delta committed while it runs.
                if rng.random() < 0.5:
                    services.holds_expire_due(limit=50)
                else:
                    services.hot_accounts_fold()
            except Exception:
                unexpected.append(traceback.format_exc())
            continue
        mine.append(spec)
        run([spec])
    connections.close_all()
    queue.put((index, outcomes, unexpected))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_lose_no_cent_and_book_each_id_once() -> None:
    accounts = {f"wallet{n}": funded_wallet(300).pk for n in range(4)}
    accounts["partner"] = account(AccountPurpose.PARTNER_PAYABLE).pk
    accounts["revenue"] = system(AccountPurpose.PLATFORM_REVENUE).pk
    accounts["provider"] = system(AccountPurpose.PROVIDER_CLEARING).pk
    accounts["clearing"] = system(AccountPurpose.CONSULTATION_CLEARING).pk
    set_up = {str(pk) for pk in Transfer.objects.values_list("pk", flat=True)}
    connections.close_all()

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    queue = context.Queue()
    workers = [
        context.Process(target=_worker, args=(index, accounts, barrier, queue))
        for index in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    reports = [queue.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    outcomes: list[Outcome] = []
    for _index, worker_outcomes, unexpected in reports:
        assert not unexpected, "\n".join(unexpected)
        outcomes.extend(worker_outcomes)
    assert len(outcomes) >= PROCESSES * OPERATIONS * 0.8

    booked = {str(t.id): t for t in Transfer.objects.all()}
    told_ok: dict[str, list[int]] = defaultdict(list)
    for transfer_id, state, _kind, amount in outcomes:
        if state == "ok":
            told_ok[transfer_id].append(amount)
    # Each id booked once, and told "booked" (not replayed) to exactly one caller.
    assert all(len(amounts) == 1 for amounts in told_ok.values())
    # Every booking a caller was told about exists with the amount it was told…
    for transfer_id, amounts in told_ok.items():
        assert booked[transfer_id].amount == amounts[0]
    # …and nothing else was booked, apart from expiries the sweepers booked.
    unreported = {tid for tid in booked if tid not in told_ok and tid not in set_up}
    assert all(booked[tid].kind == TransferKind.EXPIRE_PENDING for tid in unreported)
    for transfer_id, state, _kind, _amount in outcomes:
        if state == "replayed":
            assert transfer_id in booked
    states = Counter(state for _tid, state, _kind, _amount in outcomes)
    assert states["ok"] > 500
    assert states["replayed"] > 0
    assert states["exceeds_credits"] > 0  # the wallets really ran near zero
    assert_ledger_sound()
