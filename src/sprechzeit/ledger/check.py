"""`ledger check`: replay the transfer log and prove the ledger's invariants.

Proves, per currency and account:
- every transfer: amount > 0, two different accounts, the transfer's currency on both;
- every resolution (post, void, expiry) names a hold, uses its accounts, resolves it at
  most once, posts at most its amount, releases exactly its amount, and came before
  (post, void) or after (expiry) the hold's expiry;
- every account's counters (row + unfolded hot deltas) equal the replay of the log;
- Σ debits = Σ credits, posted and pending;
- no flagged account breaks its limit; no hot account carries a limit;
- no id is both booked and remembered as failed;
- the insert-only triggers are in place (the ledger's, every table of
  `ledger.guard.INSERT_ONLY_TABLES`, the issued statements' and the legal texts').

The replay runs as aggregate queries in the database, so it reads each transfer once
and holds only per-account sums in memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from django.db import connection, transaction

from sprechzeit.core.db import is_postgres, rows_fetch
from sprechzeit.ledger.guard import INSERT_ONLY_TABLES, insert_only_missing
from sprechzeit.ledger.selectors import accounts_counters

_CHECKS = (
    "transfer rows",
    "hold resolutions",
    "counters = replay",
    "debits = credits",
    "account limits",
    "id outcomes",
    "insert-only triggers",
)


@dataclass(slots=True)
class CheckReport:
    transfers: int = 0
    accounts: int = 0
    violations: list[str] = field(default_factory=list)
    totals: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def render(self) -> str:
        lines = [f"Ledger check: {self.accounts} accounts, {self.transfers} transfers replayed."]
        for currency, (dpo, cpo, dpe, cpe) in sorted(self.totals.items()):
            lines.append(
                f"  {currency}: posted debits {dpo} = credits {cpo}; "
                f"pending debits {dpe} = credits {cpe}"
            )
        for name in _CHECKS:
            failed = [v for v in self.violations if v.startswith(f"[{name}]")]
            lines.append(f"  {'FAIL' if failed else 'ok  '} {name}")
            lines.extend(f"       {v}" for v in failed[:50])
            if len(failed) > 50:
                lines.append(f"       … and {len(failed) - 50} more")
        lines.append("RESULT: " + ("OK" if self.ok else f"{len(self.violations)} VIOLATION(S)"))
        return "\n".join(lines)


def ledger_check() -> CheckReport:
    """Replay the whole log; see the module docstring for what is proven.

    Every query reads one snapshot: a live system keeps booking (and folding hot
    deltas) while the check runs, and a transfer committed between the replay and the
    read of the counters — or a fold between an account's row and its deltas — made
    them disagree although the ledger was sound (a false alarm at night, or at the end
    of an aborted benchmark). On PostgreSQL the check is one read-only REPEATABLE READ
    transaction; SQLite's transaction reads one snapshot as it is. Inside a caller's
    transaction (tests) it reads that one."""
    standalone = not connection.in_atomic_block
    with transaction.atomic():
        if standalone and is_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        report = CheckReport()
        _check_transfer_rows(report)
        _check_resolutions(report.violations)
        _check_accounts(report, _replay())
        _check_ids_and_triggers(report.violations)
    return report


def _check_transfer_rows(report: CheckReport) -> None:
    """Transfer rows on their own: amount, two accounts, one currency."""
    bad = report.violations
    for (count,) in rows_fetch("SELECT COUNT(*) FROM ledger_transfer"):
        report.transfers = int(str(count))
    for tid, amount in rows_fetch(
        "SELECT id, amount FROM ledger_transfer WHERE amount <= 0"
        " OR debit_account_id = credit_account_id"
    ):
        bad.append(f"[transfer rows] {tid}: amount {amount} or same account on both sides")
    for tid, currency, dcur, ccur in rows_fetch(
        "SELECT t.id, t.currency, d.currency, c.currency FROM ledger_transfer t"
        " JOIN ledger_account d ON d.id = t.debit_account_id"
        " JOIN ledger_account c ON c.id = t.credit_account_id"
        " WHERE t.currency <> d.currency OR t.currency <> c.currency"
    ):
        bad.append(f"[transfer rows] {tid}: currency {currency}, debit {dcur}, credit {ccur}")


def _check_resolutions(bad: list[str]) -> None:
    """Resolutions (post, void, expiry) against their holds."""
    for rid, kind, hid, hkind, amount, held, same_accounts, created, expires in rows_fetch(
        "SELECT r.id, r.kind, h.id, h.kind, r.amount, h.amount,"
        " CASE WHEN r.debit_account_id = h.debit_account_id"
        " AND r.credit_account_id = h.credit_account_id AND r.currency = h.currency"
        " THEN 1 ELSE 0 END, r.created_at, h.expires_at"
        " FROM ledger_transfer r LEFT JOIN ledger_transfer h ON h.id = r.pending_id"
        " WHERE r.kind IN ('post_pending', 'void_pending', 'expire_pending')"
    ):
        if hid is None or hkind != "pending":
            bad.append(f"[hold resolutions] {rid}: resolves no hold")
            continue
        if not same_accounts:
            bad.append(f"[hold resolutions] {rid}: accounts or currency differ from hold {hid}")
        held_amount = int(str(held))
        posted = int(str(amount))
        if kind == "post_pending" and posted > held_amount:
            bad.append(f"[hold resolutions] {rid}: posts {posted} of a hold of {held_amount}")
        if kind != "post_pending" and posted != held_amount:
            bad.append(f"[hold resolutions] {rid}: releases {posted} of a hold of {held_amount}")
        if expires is not None and created is not None:
            early = _before(created, expires)
            if kind == "expire_pending" and early:
                bad.append(f"[hold resolutions] {rid}: expired hold {hid} before its expiry")
            if kind != "expire_pending" and not early:
                bad.append(f"[hold resolutions] {rid}: resolved hold {hid} after its expiry")
        elif kind == "expire_pending":
            bad.append(f"[hold resolutions] {rid}: expired hold {hid} that has no expiry")
    for hid, count in rows_fetch(
        "SELECT pending_id, COUNT(*) FROM ledger_transfer WHERE pending_id IS NOT NULL"
        " GROUP BY pending_id HAVING COUNT(*) > 1"
    ):
        bad.append(f"[hold resolutions] hold {hid} resolved {count} times")


def _replay() -> dict[int, list[int]]:
    """The counters the log implies, per account: [dpe, dpo, cpe, cpo]."""
    expected: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # dpe, dpo, cpe, cpo
    for account_id, side, kind, total, released in rows_fetch(
        "SELECT t.debit_account_id, 'd', t.kind, SUM(t.amount), SUM(COALESCE(h.amount, 0))"
        " FROM ledger_transfer t LEFT JOIN ledger_transfer h ON h.id = t.pending_id"
        " GROUP BY t.debit_account_id, t.kind"
        " UNION ALL"
        " SELECT t.credit_account_id, 'c', t.kind, SUM(t.amount), SUM(COALESCE(h.amount, 0))"
        " FROM ledger_transfer t LEFT JOIN ledger_transfer h ON h.id = t.pending_id"
        " GROUP BY t.credit_account_id, t.kind"
    ):
        row = expected[int(str(account_id))]
        pending, posted = (0, 1) if side == "d" else (2, 3)
        amount_sum = int(str(total))
        released_sum = int(str(released))
        if kind == "single":
            row[posted] += amount_sum
        elif kind == "pending":
            row[pending] += amount_sum
        elif kind == "post_pending":
            row[posted] += amount_sum
            row[pending] -= released_sum
        else:  # void_pending, expire_pending: release what was held
            row[pending] -= released_sum
    return expected


def _check_accounts(report: CheckReport, expected: dict[int, list[int]]) -> None:
    """Every account's counters against the replay, its limits, and the totals per
    currency (debits = credits). Consumes `expected`."""
    bad = report.violations
    accounts = rows_fetch(
        "SELECT id, currency, hot, debits_must_not_exceed_credits, credits_must_not_exceed_debits"
        " FROM ledger_account"
    )
    report.accounts = len(accounts)
    counters = accounts_counters(account_ids=[int(str(row[0])) for row in accounts])
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    names = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
    for account_id_raw, currency, hot, dmnec, cmned in accounts:
        account_id = int(str(account_id_raw))
        current = counters[account_id]
        actual = [
            current.debits_pending,
            current.debits_posted,
            current.credits_pending,
            current.credits_posted,
        ]
        replayed = expected.pop(account_id, [0, 0, 0, 0])
        for name, have, want in zip(names, actual, replayed, strict=True):
            if have != want:
                bad.append(
                    f"[counters = replay] account {account_id}: {name} {have}, replay {want}"
                )
        dpe, dpo, cpe, cpo = actual
        sums = totals[str(currency)]
        sums[0] += dpo
        sums[1] += cpo
        sums[2] += dpe
        sums[3] += cpe
        if bool(dmnec) and dpe + dpo > cpo:
            bad.append(
                f"[account limits] account {account_id}: debits {dpo}+{dpe} pending exceed credits {cpo}"
            )
        if bool(cmned) and cpe + cpo > dpo:
            bad.append(
                f"[account limits] account {account_id}: credits {cpo}+{cpe} pending exceed debits {dpo}"
            )
        if bool(hot) and (bool(dmnec) or bool(cmned)):
            bad.append(f"[account limits] hot account {account_id} carries a limit flag")
        if min(actual) < 0:
            bad.append(f"[counters = replay] account {account_id}: a counter is negative")
    for account_id in expected:
        bad.append(f"[counters = replay] transfers name account {account_id}, which does not exist")
    for currency, (dpo, cpo, dpe, cpe) in totals.items():
        report.totals[currency] = (dpo, cpo, dpe, cpe)
        if dpo != cpo:
            bad.append(f"[debits = credits] {currency}: posted debits {dpo} ≠ credits {cpo}")
        if dpe != cpe:
            bad.append(f"[debits = credits] {currency}: pending debits {dpe} ≠ credits {cpe}")
    for (account_id,) in rows_fetch(
        "SELECT DISTINCT d.account_id FROM ledger_accountdelta d"
        " JOIN ledger_account a ON a.id = d.account_id WHERE NOT a.hot"
    ):
        bad.append(f"[counters = replay] account {account_id} is not hot but has deltas")


def _check_ids_and_triggers(bad: list[str]) -> None:
    for (tid,) in rows_fetch(
        "SELECT f.id FROM ledger_failedtransfer f JOIN ledger_transfer t ON t.id = f.id"
    ):
        bad.append(f"[id outcomes] {tid} is both booked and remembered as failed")

    for missing in _missing_triggers():
        bad.append(f"[insert-only triggers] {missing} is missing")


def _before(first: object, second: object) -> bool:
    """`first < second` for timestamps as the backend returns them (datetimes on
    PostgreSQL, ISO strings in one format on SQLite)."""
    if isinstance(first, datetime) and isinstance(second, datetime):
        return first < second
    return str(first) < str(second)


# Triggers of other GoBD tables made in their own style (statements 0002).
_OTHER_TRIGGERS: Final = {
    "legal_legaldocument": ({"legal_legaldocument_immutable"}, {"legal_legaldocument_immutable"}),
    "statements_statement": (
        {"statements_statement_immutable"},
        {"statements_statement_no_update", "statements_statement_no_delete"},
    ),
    "statements_statementsection": (
        {"statements_section_immutable"},
        {
            "statements_section_no_insert",
            "statements_section_no_update",
            "statements_section_no_delete",
        },
    ),
}


def _missing_triggers() -> list[str]:
    """The name of each insert-only trigger the database lacks: the ledger's own, every
    table of `guard.INSERT_ONLY_TABLES` (registered by the apps), and the issued
    statements' and legal texts' triggers."""
    postgres = is_postgres()
    if postgres:
        wanted = {"ledger_transfer_insert_only", "ledger_transfer_no_truncate"}
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        wanted = {"ledger_transfer_no_update", "ledger_transfer_no_delete"}
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    for pg_names, sqlite_names in _OTHER_TRIGGERS.values():
        wanted |= pg_names if postgres else sqlite_names
    present = {str(row[0]) for row in rows_fetch(sql)}
    others = [name for table in INSERT_ONLY_TABLES for name in insert_only_missing(table)]
    return sorted(wanted - present) + others
