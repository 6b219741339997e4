"""What an import did to the vault: new revisions, conflicts, waiting revisions and gaps in
each device's sequence numbers.

Merging itself is the revision graph's (intake_app.cases.graph): revisions are immutable and
content-addressed, a head is a revision no other names as a parent, so importing is
idempotent and commutative. This module reports on it, deterministically.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_GAPS_LISTED = 100


@dataclass
class ImportResult:
    """`import --json` (DESIGN "JSON shapes"; keys may be added, never renamed)."""

    bundle_id: str
    author: str
    author_name: str
    seq: int
    already_imported: bool = False
    signer_revoked: bool = False
    new_revisions: int = 0
    already_had: int = 0
    attachments: int = 0
    conflicts: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    gaps: dict[str, list[list[int]]] = field(default_factory=dict)
    withheld: int = 0
    warnings: list[str] = field(default_factory=list)
    # For a receipt (intake_app.lifecycle.receipts; not part of `import --json`):
    payload_sha256: str = ""
    received: dict[str, list[str]] = field(default_factory=dict)  # kind -> ids / hashes
    receipts: list[str] = field(default_factory=list)  # receipts this bundle carried

    def as_json(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "author": self.author,
            "seq": self.seq,
            "already_imported": self.already_imported,
            "signer_revoked": self.signer_revoked,
            "new_revisions": self.new_revisions,
            "already_had": self.already_had,
            "attachments": self.attachments,
            "conflicts": sorted(self.conflicts),
            "waiting": sorted(self.waiting),
            "gaps": {d: [list(g) for g in gaps] for d, gaps in sorted(self.gaps.items())},
            "withheld": self.withheld,
            "warnings": list(self.warnings),
        }


def sequence_gaps(seqs: Iterable[int]) -> list[list[int]]:
    """Missing runs [first, last] between the sequence numbers seen from one device."""
    ordered = sorted(set(seqs))
    gaps = [[a + 1, b - 1] for a, b in zip(ordered, ordered[1:], strict=False) if b - a > 1]
    return gaps[:MAX_GAPS_LISTED]


def device_gaps(conn: Any, device: str) -> list[list[int]]:
    rows = conn.execute("SELECT seq FROM bundles_seen WHERE device = ?", (device,)).fetchall()
    return sequence_gaps(int(r[0]) for r in rows)


def conflicted_cases(conn: Any, case_ids: Iterable[str]) -> list[str]:
    """Those of `case_ids` with more than one head (a person must resolve them)."""
    out = []
    for case_id in sorted(set(case_ids)):
        row = conn.execute("SELECT count(*) FROM heads WHERE case_id = ?", (case_id,)).fetchone()
        if int(row[0]) > 1:
            out.append(case_id)
    return out


def waiting_revisions(conn: Any, revision_ids: Iterable[str]) -> list[str]:
    """Those of `revision_ids` still waiting for a parent from an earlier bundle."""
    out = []
    for rev_id in sorted(set(revision_ids)):
        row = conn.execute("SELECT waiting FROM revisions WHERE id = ?", (rev_id,)).fetchone()
        if row is not None and int(row[0]):
            out.append(rev_id)
    return out
