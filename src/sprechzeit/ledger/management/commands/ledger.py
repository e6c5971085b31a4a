"""`sprechzeit ledger check | balance | trial-balance | expire-holds | fold`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sprechzeit.ledger import selectors, services
from sprechzeit.ledger.check import ledger_check
from sprechzeit.ledger.models import Account, AccountPurpose


class Command(BaseCommand):
    help = "Ledger tools: check (replay and prove), balance, trial-balance, expire-holds, fold."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="Replay the transfer log; exit 1 on any violation.")
        balance = sub.add_parser("balance", help="Balances of accounts.")
        balance.add_argument("account_ids", nargs="*", type=int, help="Account ids (default all).")
        balance.add_argument("--purpose", choices=AccountPurpose.values)
        balance.add_argument("--owner-type", default=None)
        balance.add_argument("--owner-id", default=None)
        balance.add_argument("--currency", default=None)
        trial = sub.add_parser("trial-balance", help="Posted debits and credits per account type.")
        trial.add_argument("--currency", default=None)
        expire = sub.add_parser("expire-holds", help="Release holds whose expiry has passed.")
        expire.add_argument("--limit", type=int, default=10_000)
        sub.add_parser("fold", help="Fold hot accounts' deltas into their counters.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "check":
            report = ledger_check()
            self.stdout.write(report.render())
            if not report.ok:
                raise CommandError("ledger check found violations", returncode=1)
        elif action == "balance":
            self._balance(options)
        elif action == "trial-balance":
            self._trial_balance(options["currency"])
        elif action == "expire-holds":
            expired = services.holds_expire_due(limit=options["limit"])
            self.stdout.write(f"Expired {len(expired.expired)} hold(s).")
        elif action == "fold":
            folded = services.hot_accounts_fold()
            self.stdout.write(f"Folded {folded.deltas} delta(s) into {folded.accounts} account(s).")

    def _balance(self, options: dict[str, Any]) -> None:
        accounts = Account.objects.order_by("pk")
        if options["account_ids"]:
            accounts = accounts.filter(pk__in=options["account_ids"])
        for key in ("purpose", "owner_type", "owner_id", "currency"):
            if options[key] is not None:
                accounts = accounts.filter(**{key: options[key]})
        found = list(accounts)
        balances = selectors.accounts_balances(accounts=found)
        header = f"{'id':>6}  {'purpose':<22} {'owner':<30} {'posted':>14} {'pending':>14} {'available':>14}"
        self.stdout.write(header)
        for account in found:
            balance = balances[account.pk]
            owner = f"{account.owner_type}:{account.owner_id}" if account.owner_type else "-"
            flags = " closed" if account.closed else ""
            self.stdout.write(
                f"{account.pk:>6}  {account.purpose:<22} {owner:<30} {balance.posted!s:>14}"
                f" {balance.pending!s:>14} {balance.available!s:>14}{flags}"
            )

    def _trial_balance(self, currency: str | None) -> None:
        trial = selectors.trial_balance(currency=currency)
        self.stdout.write(
            f"{'currency':<8} {'type':<10} {'debits':>16} {'credits':>16} {'net':>16}"
        )
        for row in trial.rows:
            self.stdout.write(
                f"{row.currency:<8} {row.type:<10} {row.debits:>16} {row.credits:>16} {row.net:>16}"
            )
        for cur, (debits, credits) in sorted(trial.totals().items()):
            self.stdout.write(
                f"{cur:<8} {'TOTAL':<10} {debits:>16} {credits:>16} {debits - credits:>16}"
            )
        self.stdout.write("balanced" if trial.balanced else "NOT BALANCED")
        if not trial.balanced:
            raise CommandError("trial balance does not balance", returncode=1)
