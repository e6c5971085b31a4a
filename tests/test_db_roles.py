"""The GoBD and ledger locks hold against the application's own database role.

The insert-only trigger of `ledger_transfer` and the GoBD triggers of issued credit
notes open for `SET LOCAL sprechzeit.ledger_maintenance = 'on'` only when the current
role is a member of the tables' owner (ledger 0003, statements 0004). The test connects
as a role with exactly the application's privileges (`app_role_grants`, the SQL of
docs/security.md) and as a member of the owner role, against the test database.

The test runs as PostgreSQL's superuser, which is a member of every role: its `flush`
between transactional tests keeps working, and so would a superuser's maintenance.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg import errors as pg_errors

from sprechzeit.core import clock
from sprechzeit.ledger.dbroles import app_role_grants
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.statements import services
from sprechzeit.statements.models import Statement
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile

ROOT = Path(__file__).resolve().parent.parent
LOCKED_TABLES = ("ledger_transfer", "statements_statement", "statements_statementsection")
SWITCH_ON = "SET LOCAL sprechzeit.ledger_maintenance = 'on'"


def test_role_names_are_checked_before_they_reach_sql() -> None:
    assert app_role_grants(app="sprechzeit_app", owner="sprechzeit_owner")[-1] == (
        "REVOKE UPDATE, DELETE, TRUNCATE ON ledger_transfer FROM sprechzeit_app"
    )
    for bad in ("app; DROP TABLE x", "App", '"quoted"', ""):
        with pytest.raises(ValueError, match="role name"):
            app_role_grants(app=bad, owner="sprechzeit_owner")


def test_the_documented_sql_is_the_sql_the_command_prints() -> None:
    """docs/security.md carries the grants verbatim, so the two cannot drift apart."""
    docs = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for statement in app_role_grants(app="sprechzeit_app", owner="sprechzeit_owner"):
        assert f"{statement};" in docs


@dataclass(frozen=True)
class Roles:
    app: str
    owner: str
    maintainer: str

    def connect(self, role: str) -> psycopg.Connection[Any]:
        db: dict[str, Any] = connection.settings_dict
        return psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            dbname=db["NAME"],
            user=role,
            password=db.get("PASSWORD") or None,
        )


def _admin(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _drop(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            return
        cursor.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


@pytest.fixture
def roles() -> Iterator[Roles]:
    """An application role, an owner role (NOLOGIN) owning the locked tables, and a login
    that is a member of the owner. Roles are cluster-wide: named after the test database
    so that parallel runs on other databases do not meet."""
    base = str(connection.settings_dict["NAME"]).lower()
    chosen = Roles(app=f"{base}_app", owner=f"{base}_owner", maintainer=f"{base}_maint")
    restore = [(table, _owner_of(table)) for table in LOCKED_TABLES]
    for role in (chosen.maintainer, chosen.app, chosen.owner):
        _drop(role)
    try:
        _admin(f"CREATE ROLE {chosen.owner} NOLOGIN")
        _admin(f"CREATE ROLE {chosen.app} LOGIN")
        _admin(f"CREATE ROLE {chosen.maintainer} LOGIN IN ROLE {chosen.owner}")
        for table in LOCKED_TABLES:
            _admin(f"ALTER TABLE {table} OWNER TO {chosen.owner}")
        for statement in app_role_grants(app=chosen.app, owner=chosen.owner):
            _admin(statement)
        yield chosen
    finally:
        for table, owner in restore:
            _admin(f'ALTER TABLE {table} OWNER TO "{owner}"')
        for role in (chosen.maintainer, chosen.app, chosen.owner):
            _drop(role)


def _owner_of(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = %s", [table])
        row = cursor.fetchone()
    assert row is not None
    owner: str = row[0]
    return owner


def _issued_statement() -> Statement:
    s = busy_scene()
    tax_profile(s.partner)
    settled(s, seconds=120, when=at(2026, 10, 10))
    with clock.frozen_at(at(2026, 11, 2)):
        services.statements_close(period="2026-10")
    statement = Statement.objects.get(partner=s.partner)
    assert statement.status == Statement.Status.ISSUED
    return statement


def _refused(role_connection: psycopg.Connection[Any], sql: str, *params: object) -> str:
    """Run `sql` after switching maintenance on in one transaction; the error's text."""
    with pytest.raises(psycopg.Error) as refused, role_connection.transaction():  # noqa: PT012 - the switch and the change are one transaction
        role_connection.execute(SWITCH_ON)
        role_connection.execute(sql, params)
    return str(refused.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_role_cannot_switch_the_locks_off_and_the_owner_can(roles: Roles) -> None:
    statement = _issued_statement()
    section = statement.sections.get()
    transfer = Transfer.objects.order_by("created_at").first()
    assert transfer is not None

    with roles.connect(roles.app) as app:
        forged_note = (
            "UPDATE statements_statement SET net_minor = net_minor + 100,"
            " gross_minor = gross_minor + 100, xml = 'x' WHERE id = %s"
        )
        message = _refused(app, forged_note, statement.pk)
        assert "maintenance of statements_statement needs its owner's role" in message
        message = _refused(
            app, "UPDATE statements_statementsection SET share_minor = 1 WHERE id = %s", section.pk
        )
        assert "needs its owner's role" in message
        # The transfer log is insert-only for the app by its grants ...
        forged_transfer = "UPDATE ledger_transfer SET amount = 1 WHERE id = %s"
        with pytest.raises(pg_errors.InsufficientPrivilege, match="permission denied"):
            app.execute(forged_transfer, (transfer.pk,))
        app.rollback()
        # ... and even a role granted UPDATE on it gets nothing from the switch.
        _admin(f"GRANT UPDATE, DELETE ON ledger_transfer TO {roles.app}")
        message = _refused(app, forged_transfer, transfer.pk)
        assert "maintenance of ledger_transfer needs its owner's role" in message
        message = _refused(app, "DELETE FROM ledger_transfer WHERE id = %s", transfer.pk)
        assert "needs its owner's role" in message

    with roles.connect(roles.maintainer) as maintainer:
        # A member of the owner role still meets the triggers without the switch ...
        with pytest.raises(pg_errors.RestrictViolation), maintainer.transaction():
            maintainer.execute(forged_transfer, (transfer.pk,))
        # ... and passes them with it (rolled back: the rows stay as issued).
        with maintainer.transaction(force_rollback=True):
            maintainer.execute(SWITCH_ON)
            assert maintainer.execute(forged_note, (statement.pk,)).rowcount == 1
            assert maintainer.execute(forged_transfer, (transfer.pk,)).rowcount == 1

    issued = Statement.objects.get(pk=statement.pk)
    assert (issued.net_minor, bytes(issued.xml or b"")) == (
        statement.net_minor,
        bytes(statement.xml or b""),
    )
    assert Transfer.objects.get(pk=transfer.pk).amount == transfer.amount
    assert_ledger_sound()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_role_does_the_applications_work(roles: Roles) -> None:
    """The documented grants suffice: as the app role, a top-up is booked (accounts,
    counters, the transfer log), the issued note's PDF is stored once (the one change
    the GoBD trigger allows) and `ledger check` replays the log clean."""
    statement = _issued_statement()
    db: dict[str, Any] = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    url = f"postgres://{roles.app}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "SPRECHZEIT_MODE": "test"}
    env.pop("DB_CONN_MAX_AGE", None)
    script = (
        "from sprechzeit.ledger.tests.factories import funded_wallet\n"
        "from sprechzeit.statements.services import statement_render_pdf\n"
        "funded_wallet(500)\n"
        f"assert statement_render_pdf(statement_id={statement.pk}).pdf is not None\n"
    )
    for command in (["shell", "-c", script], ["ledger", "check"]):
        result = subprocess.run(
            [sys.executable, "-m", "sprechzeit.cli", *command],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
    statement.refresh_from_db()
    assert statement.pdf is not None
    assert Transfer.objects.filter(purpose="top_up").count() >= 1
    assert_ledger_sound()
