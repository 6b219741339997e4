"""Autosave drafts: one row per case inside the vault, overwritten, never exported.

A draft holds the answers being typed, the attachments chosen so far, the revisions the
editor started from (`base`) and the protocol id. Typing never spawns revisions; a crash
loses nothing because the draft is in the encrypted database.

Durability: a draft write commits with `synchronous = NORMAL` (no fsync of the WAL), every
other write with the vault's FULL. In WAL mode a NORMAL commit is in the OS's hands once it
returns, so it survives the process being killed; only a power cut within the few seconds
before the kernel writes it back can lose it, and then the database rolls back cleanly to an
earlier commit (WAL frames are checksummed). Committed revisions lose nothing: their FULL
commit fsyncs the whole WAL, earlier draft frames included, and checkpoints fsync before
copying. The fsync was most of an autosave (6 ms at the 95th percentile on the benchmark
disk, against a 10 ms budget for the whole write); see docs/BENCHMARKS.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from intake_app.cases.revision import encode_body, utc_now_ms


@dataclass(frozen=True)
class Draft:
    case_id: str
    answers: dict[str, Any]
    attachments: list[dict[str, Any]]
    base: list[str]
    protocol_id: str | None
    updated_at: str


@contextmanager
def without_fsync(conn: Any) -> Iterator[None]:
    """Run the enclosed write transaction with `synchronous = NORMAL` (see the module
    docstring), then restore the connection's setting. Outside any transaction."""
    previous = int(conn.execute("PRAGMA synchronous").fetchone()[0])
    conn.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA synchronous = {previous}")


def write_draft(
    conn: Any,
    case_id: str,
    answers: dict[str, Any],
    *,
    attachments: list[dict[str, Any]],
    base: list[str],
    protocol_id: str | None,
) -> None:
    """Insert or overwrite the case's draft (the caller holds the write transaction)."""
    # encode_body applies the same size and representability limits as a revision.
    payload = encode_body(
        {
            "answers": answers,
            "attachments": attachments,
            "base": sorted(base),
            "protocol": protocol_id,
        }
    )
    conn.execute(
        "INSERT INTO drafts (case_id, body, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (case_id) DO UPDATE SET body = excluded.body,"
        " updated_at = excluded.updated_at",
        (case_id, payload, utc_now_ms()),
    )


def read_draft(conn: Any, case_id: str) -> Draft | None:
    row = conn.execute(
        "SELECT body, updated_at FROM drafts WHERE case_id = ?", (case_id,)
    ).fetchone()
    if row is None:
        return None
    data = json.loads(bytes(row[0]))
    return Draft(
        case_id=case_id,
        answers=data["answers"],
        attachments=data["attachments"],
        base=data["base"],
        protocol_id=data["protocol"],
        updated_at=row[1],
    )


def delete_draft(conn: Any, case_id: str) -> None:
    conn.execute("DELETE FROM drafts WHERE case_id = ?", (case_id,))


def draft_case_ids(conn: Any) -> list[str]:
    """Cases with unsaved work, oldest draft first (offered for recovery after a crash)."""
    rows = conn.execute("SELECT case_id FROM drafts ORDER BY updated_at, case_id").fetchall()
    return [r[0] for r in rows]
