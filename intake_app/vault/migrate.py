"""Numbered schema migrations: migrations/NNNN_name.sql, each run in its own transaction.

`PRAGMA user_version` records the last one applied (it is part of the same transaction, so a
crash leaves the schema and the version in step). Migration files hold plain DDL/DML and no
transaction statements; the runner adds BEGIN/COMMIT. The caller holds the writer lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from intake_app.errors import IntakeError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Transaction control in a file would break the runner's own BEGIN/COMMIT. A trigger body's
# bare BEGIN … END; is fine, so only the transaction forms are matched.
_TXN_STATEMENT = re.compile(
    r"^\s*(BEGIN\s*(TRANSACTION|IMMEDIATE|EXCLUSIVE|DEFERRED)?\s*;|COMMIT\b|ROLLBACK\b"
    r"|END\s+TRANSACTION\b|SAVEPOINT\b|RELEASE\b)",
    re.IGNORECASE | re.MULTILINE,
)


class VaultTooNew(IntakeError):
    """The vault was upgraded by a newer version of the application."""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migrations in order; a gap or a duplicate number is a packaging error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file name not NNNN_name.sql: {path.name}")
        number = int(match.group(1))
        if number in found:
            raise RuntimeError(f"two migrations numbered {number:04d}")
        sql = path.read_text(encoding="utf-8")
        if _TXN_STATEMENT.search(sql):
            raise RuntimeError(f"{path.name} must not contain transaction statements")
        found[number] = Migration(number, path.name, sql)
    numbers = sorted(found)
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations are not numbered 1..n without gaps: {numbers}")
    return [found[n] for n in numbers]


def schema_version(conn: sqlcipher3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def pending(
    conn: sqlcipher3.Connection, migrations: list[Migration] | None = None
) -> list[Migration]:
    """Migrations not yet applied; VaultTooNew if the vault is ahead of this application."""
    migrations = discover() if migrations is None else migrations
    version = schema_version(conn)
    latest = migrations[-1].number if migrations else 0
    if version > latest:
        raise VaultTooNew(
            "This vault was last opened by a newer version of Field Intake; "
            "install that version to open it."
        )
    return [m for m in migrations if m.number > version]


def migrate(conn: sqlcipher3.Connection, migrations: list[Migration] | None = None) -> int:
    """Apply pending migrations in order, each all-or-nothing; returns the new version."""
    for migration in pending(conn, migrations):
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{migration.sql}\n;\n"
            f"PRAGMA user_version = {migration.number};\n"
            "COMMIT;\n"
        )
        try:
            conn.executescript(script)
        except sqlcipher3.DatabaseError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise IntakeError(
                f"Could not upgrade the vault (step {migration.name} failed); nothing was changed."
            ) from exc
    return schema_version(conn)
