"""The hash-chained audit log: who (device), when, what action, which record; never content.

Each entry's hash is SHA-256(previous entry's hash || canonical JSON of {at, device, action,
record}); the position (seq) is not hashed, so an entry moved elsewhere still hashes to itself
and verify() can tell "reordered" from "altered". The newest (seq, hash) is mirrored in `meta`
in the same transaction, so removing entries from the end shows too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlcipher3

from intake_app.canonical import canonical_json

GENESIS_HASH = "0" * 64
HEAD_KEY = "audit_head"
_ACTION = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
# Record ids are UUIDs, hashes, fingerprints or counts; anything else might be content.
_RECORD = re.compile(r"^[A-Za-z0-9_.:@=+/-]{1,128}$")


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    device: str
    action: str
    record: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return self.message


def utc_now() -> str:
    """UTC time as YYYY-MM-DDTHH:MM:SS.mmmZ."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def entry_hash(prev_hash: str, at: str, device: str, action: str, record: str | None) -> str:
    body = canonical_json({"at": at, "device": device, "action": action, "record": record})
    return hashlib.sha256(bytes.fromhex(prev_hash) + body).hexdigest()


def append(
    conn: sqlcipher3.Connection, device: str, action: str, record: str | None = None
) -> AuditEntry:
    """Add one entry; must run inside the caller's write transaction."""
    if not conn.in_transaction:
        raise RuntimeError("audit.append needs an open write transaction")
    if not _ACTION.match(action):
        raise ValueError("audit action must be a short lower-case identifier")
    if record is not None and not _RECORD.match(record):
        raise ValueError("audit record must be an id, never content")
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    at = utc_now()
    digest = entry_hash(prev, at, device, action, record)
    conn.execute(
        "INSERT INTO audit (seq, at, device, action, record, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, at, device, action, record, prev, digest),
    )
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, f"{seq}:{digest}"),
    )
    return AuditEntry(seq, at, device, action, record, prev, digest)


def append_many(
    conn: sqlcipher3.Connection, device: str, action: str, records: Sequence[str | None]
) -> int:
    """Add one entry per record, chained exactly as repeated `append` calls would chain
    them, with one read and one write of the head (bulk work: demo data). Returns the count."""
    if not conn.in_transaction:
        raise RuntimeError("audit.append_many needs an open write transaction")
    if not _ACTION.match(action):
        raise ValueError("audit action must be a short lower-case identifier")
    if any(record is not None and not _RECORD.match(record) for record in records):
        raise ValueError("audit record must be an id, never content")
    if not records:
        return 0
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS_HASH)
    at = utc_now()
    rows = []
    for record in records:
        seq += 1
        digest = entry_hash(prev, at, device, action, record)
        rows.append((seq, at, device, action, record, prev, digest))
        prev = digest
    conn.executemany(
        "INSERT INTO audit (seq, at, device, action, record, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, f"{seq}:{prev}"),
    )
    return len(rows)


def entries(conn: sqlcipher3.Connection) -> list[AuditEntry]:
    rows = conn.execute(
        "SELECT seq, at, device, action, record, prev_hash, hash FROM audit ORDER BY seq"
    ).fetchall()
    return [AuditEntry(*row) for row in rows]


def _check_entry(
    entry: AuditEntry, expected_prev: str, gap: bool, all_hashes: set[str]
) -> AuditProblem | None:
    try:
        recomputed = entry_hash(entry.prev_hash, entry.at, entry.device, entry.action, entry.record)
    except (ValueError, TypeError):
        recomputed = ""
    if recomputed != entry.hash:
        return AuditProblem(entry.seq, f"audit entry {entry.seq} was altered")
    if entry.prev_hash == expected_prev or gap:
        return None  # a gap was already reported as missing entries
    if entry.prev_hash in all_hashes:
        return AuditProblem(entry.seq, f"audit entry {entry.seq} is out of order (reordered)")
    return AuditProblem(
        entry.seq,
        f"audit entry {entry.seq} does not follow entry {entry.seq - 1} "
        "(an entry was removed, replaced or altered)",
    )


def _missing(first: int, last: int) -> AuditProblem:
    if first == last:
        return AuditProblem(first, f"audit entry {first} is missing (deleted)")
    return AuditProblem(first, f"audit entries {first}-{last} are missing (deleted)")


def verify(conn: sqlcipher3.Connection) -> list[AuditProblem]:
    """Every break in the chain, each naming the seq where it is; empty when intact."""
    log = entries(conn)
    all_hashes = {e.hash for e in log}
    problems: list[AuditProblem] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    for entry in log:
        gap = entry.seq != expected_seq
        if gap:
            problems.append(_missing(expected_seq, entry.seq - 1))
        problem = _check_entry(entry, expected_prev, gap, all_hashes)
        if problem:
            problems.append(problem)
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    problems.extend(_check_head(conn, log))
    return problems


def _check_head(conn: sqlcipher3.Connection, log: list[AuditEntry]) -> list[AuditProblem]:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    if row is None:
        return [AuditProblem(1, "the audit log's head record is missing")] if log else []
    head_seq_text, _, head_hash = str(row[0]).partition(":")
    try:
        head_seq = int(head_seq_text)
    except ValueError:
        return [AuditProblem(0, "the audit log's head record is damaged")]
    last_seq = log[-1].seq if log else 0
    if head_seq > last_seq:
        return [_missing(last_seq + 1, head_seq)]
    if head_seq < last_seq:
        return [
            AuditProblem(
                head_seq + 1, f"audit entry {head_seq + 1} was added outside the application"
            )
        ]
    if log and log[-1].hash != head_hash:
        return [AuditProblem(last_seq, f"audit entry {last_seq} was altered")]
    return []
