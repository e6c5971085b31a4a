"""`sprechzeit statements close/export` and `sprechzeit payouts run/import-camt`."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payouts.sepa import sepa_errors
from sprechzeit.payouts.tests.factories import Line, camt, paying_platform
from sprechzeit.statements.models import Statement
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_close_export_pay_and_confirm(tmp_path: Path) -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.REGULAR, language="en")
    settled(s, seconds=3600, when=at(2026, 10, 9))
    with clock.frozen_at(at(2026, 11, 1, 3)):
        assert "1 issued, 0 held of 1" in run("statements", "close", "--period", "2026-10")
        with pytest.raises(CommandError, match="period_already_closed"):
            run("statements", "close", "--period", "2026-10")
        with pytest.raises(CommandError, match="period_not_ended"):
            run("statements", "close", "--period", "2026-11")
    out = run("statements", "export", "--period", "2026-10", "--out", str(tmp_path / "export"))
    assert "1 document(s)" in out
    files = sorted(path.name for path in (tmp_path / "export").iterdir())
    statement = Statement.objects.get()
    assert len(files) == 3
    assert all(str(statement.number) in name for name in files)
    with clock.frozen_at(at(2026, 11, 2)):
        out = run("payouts", "run", "--out", str(tmp_path / "sepa"))
    (sepa_file,) = (tmp_path / "sepa").iterdir()
    assert sepa_errors(sepa_file.read_bytes()) == []
    bank = tmp_path / "camt.xml"
    bank.write_bytes(camt([Line(str(statement.number), statement.gross_minor)]))
    assert "confirmed 1, returned 0, unmatched 0" in run("payouts", "import-camt", str(bank))
    assert_ledger_sound()


def test_cancel_command_issues_384_and_a_new_note() -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    settled(s, seconds=600, when=at(2026, 10, 9))
    with clock.frozen_at(at(2026, 11, 1, 3)):
        run("statements", "close", "--period", "2026-10")
    original = Statement.objects.get()
    with clock.frozen_at(at(2026, 11, 5)):
        out = run("statements", "cancel", "--id", str(original.pk))
    assert "GS-2026-000001 cancelled by GS-2026-000002, reissued as GS-2026-000003" in out
    with pytest.raises(CommandError, match="statement_not_issued"):
        run("statements", "cancel", "--id", str(original.pk))
    assert_ledger_sound()
