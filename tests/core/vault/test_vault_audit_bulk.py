"""audit.append_many: the same chain as one append per record, content still refused."""

from __future__ import annotations

import pytest

from intake_app.vault import Vault
from intake_app.vault import audit as audit_log

IDS = [f"00000000-0000-4000-8000-{i:012d}" for i in range(5)]


def test_bulk_entries_chain_like_single_appends(vault: Vault, monkeypatch) -> None:
    monkeypatch.setattr(audit_log, "utc_now", lambda: "2024-01-01T00:00:00.000Z")
    with vault.write() as conn:
        assert audit_log.append_many(conn, vault.identity.fingerprint, "case.create", IDS) == 5
        vault.audit(conn, "case.save", IDS[0])
    bulk = audit_log.entries(vault.conn)
    assert audit_log.verify(vault.conn) == []
    assert [e.record for e in bulk[-6:]] == [*IDS, IDS[0]]
    # Recompute the chain entry by entry, as append() does.
    prev = bulk[0].hash
    for entry in bulk[1:]:
        assert entry.prev_hash == prev
        assert entry.hash == audit_log.entry_hash(
            prev, entry.at, entry.device, entry.action, entry.record
        )
        prev = entry.hash
    head = vault.conn.execute(
        "SELECT value FROM meta WHERE key = ?", (audit_log.HEAD_KEY,)
    ).fetchone()[0]
    assert head == f"{bulk[-1].seq}:{bulk[-1].hash}"


def test_bulk_refuses_content_and_adds_nothing(vault: Vault) -> None:
    before = audit_log.entries(vault.conn)
    with pytest.raises(ValueError), vault.write() as conn:
        audit_log.append_many(conn, vault.identity.fingerprint, "case.create",
                              [IDS[0], "Асель Нурланова"])  # fmt: skip
    with pytest.raises(ValueError), vault.write() as conn:
        audit_log.append_many(conn, vault.identity.fingerprint, "Case Create", IDS)
    with pytest.raises(RuntimeError):
        audit_log.append_many(vault.conn, vault.identity.fingerprint, "case.create", IDS)
    assert audit_log.entries(vault.conn) == before


def test_bulk_of_nothing_writes_nothing(vault: Vault) -> None:
    before = audit_log.entries(vault.conn)
    with vault.write() as conn:
        assert audit_log.append_many(conn, vault.identity.fingerprint, "case.create", []) == 0
    assert audit_log.entries(vault.conn) == before
