"""The audit log's hash chain: edits, deletions and reorderings are found and named by seq.

Tampering goes through the real SQLCipher connection, as someone holding the key could; the
append-only triggers (a guard against our own bugs) are dropped first.
"""

from __future__ import annotations

import pytest
import sqlcipher3

from intake_app.vault import Vault
from intake_app.vault import audit as audit_log


def _log(vault: Vault, n: int) -> None:
    with vault.write() as conn:
        for i in range(n):
            vault.audit(conn, "case.create", f"00000000-0000-4000-8000-{i:012d}")


def _unguard(vault: Vault) -> None:
    vault.conn.execute("DROP TRIGGER audit_no_update")
    vault.conn.execute("DROP TRIGGER audit_no_delete")


def _messages(vault: Vault) -> list[str]:
    return [p.message for p in audit_log.verify(vault.conn)]


def test_intact_log_verifies(vault: Vault) -> None:
    _log(vault, 5)
    assert audit_log.verify(vault.conn) == []
    entries = audit_log.entries(vault.conn)
    assert [e.seq for e in entries] == list(range(1, 7))
    assert entries[0].action == "vault.create"
    assert all(e.device == vault.identity.fingerprint for e in entries)


def test_append_only_triggers_refuse_update_and_delete(vault: Vault) -> None:
    _log(vault, 2)
    with pytest.raises(sqlcipher3.IntegrityError), vault.write() as conn:
        conn.execute("UPDATE audit SET action = 'x' WHERE seq = 2")
    with pytest.raises(sqlcipher3.IntegrityError), vault.write() as conn:
        conn.execute("DELETE FROM audit WHERE seq = 2")
    assert audit_log.verify(vault.conn) == []


def test_edited_entry_is_named(vault: Vault) -> None:
    _log(vault, 5)
    _unguard(vault)
    vault.conn.execute("UPDATE audit SET record = 'someone-else' WHERE seq = 3")
    assert _messages(vault) == ["audit entry 3 was altered"]


def test_edited_entry_with_recomputed_hash_is_found_at_the_next(vault: Vault) -> None:
    _log(vault, 5)
    _unguard(vault)
    e = audit_log.entries(vault.conn)[2]
    forged = audit_log.entry_hash(e.prev_hash, e.at, e.device, "case.export", e.record)
    vault.conn.execute("UPDATE audit SET action = 'case.export', hash = ? WHERE seq = 3",
                       (forged,))
    messages = _messages(vault)
    assert messages and messages[0].startswith("audit entry 4 does not follow entry 3")


def test_deleted_entry_is_named(vault: Vault) -> None:
    _log(vault, 5)
    _unguard(vault)
    vault.conn.execute("DELETE FROM audit WHERE seq = 4")
    assert _messages(vault) == ["audit entry 4 is missing (deleted)"]


def test_deleted_and_renumbered_entry_is_found(vault: Vault) -> None:
    _log(vault, 5)
    _unguard(vault)
    vault.conn.execute("DELETE FROM audit WHERE seq = 4")
    vault.conn.execute("UPDATE audit SET seq = seq - 1 WHERE seq > 4")
    vault.conn.execute("UPDATE meta SET value = (SELECT seq || ':' || hash FROM audit "
                       "ORDER BY seq DESC LIMIT 1) WHERE key = 'audit_head'")
    messages = _messages(vault)
    assert messages[0].startswith("audit entry 4 does not follow entry 3")


def test_deleted_last_entries_are_named(vault: Vault) -> None:
    _log(vault, 5)
    _unguard(vault)
    vault.conn.execute("DELETE FROM audit WHERE seq >= 5")
    assert _messages(vault) == ["audit entries 5-6 are missing (deleted)"]


def test_reordered_entries_are_named(vault: Vault) -> None:
    _log(vault, 5)
    _unguard(vault)
    # Swap entries 2 and 3 by renumbering them.
    vault.conn.execute("UPDATE audit SET seq = -1 WHERE seq = 2")
    vault.conn.execute("UPDATE audit SET seq = 2 WHERE seq = 3")
    vault.conn.execute("UPDATE audit SET seq = 3 WHERE seq = -1")
    messages = _messages(vault)
    assert "audit entry 2 is out of order (reordered)" in messages
    assert "audit entry 3 is out of order (reordered)" in messages
    assert not any("altered" in m for m in messages)


def test_entry_added_outside_the_application(vault: Vault) -> None:
    _log(vault, 2)
    last = audit_log.entries(vault.conn)[-1]
    digest = audit_log.entry_hash(last.hash, last.at, last.device, "case.create", None)
    vault.conn.execute(
        "INSERT INTO audit (seq, at, device, action, record, prev_hash, hash) "
        "VALUES (?, ?, ?, 'case.create', NULL, ?, ?)",
        (last.seq + 1, last.at, last.device, last.hash, digest))
    assert _messages(vault) == [f"audit entry {last.seq + 1} was added outside the application"]


@pytest.mark.parametrize("record", ["Айгүл Серікқызы", "name with spaces", "x" * 200, "a\nb"])
def test_audit_refuses_content_as_record(vault: Vault, record: str) -> None:
    with pytest.raises(ValueError), vault.write() as conn:
        vault.audit(conn, "case.create", record)
    assert len(audit_log.entries(vault.conn)) == 1


def test_audit_needs_a_write_transaction(vault: Vault) -> None:
    with pytest.raises(RuntimeError):
        vault.audit(vault.conn, "case.create")
