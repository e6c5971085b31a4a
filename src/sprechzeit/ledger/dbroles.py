"""The two PostgreSQL roles of a production database, as SQL (docs/security.md).

- The **owner** role runs `sprechzeit migrate` and owns every table. Owning a table is
  the privilege the maintenance switch of the insert-only and GoBD triggers asks for
  (ledger 0003, statements 0004): only the owner (or a superuser) may switch them off,
  and only the owner could drop them anyway.
- The **application** role runs the web, socket and Celery processes. It owns nothing
  and may read and write rows, except that the transfer log is insert-only for it
  (no UPDATE, DELETE or TRUNCATE granted on `ledger_transfer`). `SET
  sprechzeit.ledger_maintenance = 'on'` gets it nothing but an error.
"""

from __future__ import annotations

import re

_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# Tables whose rows the application only ever inserts.
INSERT_ONLY_TABLES = ("ledger_transfer",)


def _checked(role: str) -> str:
    if not _ROLE.fullmatch(role):
        raise ValueError(f"{role!r} is not a plain PostgreSQL role name ([a-z_][a-z0-9_]*)")
    return role


def app_role_grants(*, app: str, owner: str) -> list[str]:
    """What the owner runs after each `migrate`: the application's privileges on every
    table and sequence (and, by default privileges, on those later migrations create),
    minus changes to the insert-only tables. Idempotent."""
    app, owner = _checked(app), _checked(owner)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public"
        f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public"
        f" GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    statements += [
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {app}" for table in INSERT_ONLY_TABLES
    ]
    return statements
