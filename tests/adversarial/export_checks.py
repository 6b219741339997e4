"""What an export killed at any instant must leave behind, checked from the outside.

The promise (ADVERSARIAL.md "killed during export", and DESIGN.md's sequence numbers):
- no revision is marked `sent` to a recipient unless a complete bundle that verifies and
  carries it exists at the target path (else the next export silently leaves it out);
- a bundle in place carries a sequence number the vault has reserved (else a later bundle
  could reuse it: equivocation).
A bundle in place whose revisions are not marked sent is allowed: import is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bundle_support import Party, open_bundle

from intake_app.bundles import manifest as mf
from intake_app.bundles.verify import verify_bundle

CARRIED_KINDS = (mf.KIND_REVISION, mf.KIND_TOMBSTONE)  # what `sent` records


@dataclass(frozen=True)
class AfterExport:
    bundle_id: str | None  # of the bundle at the target path, None if there is none
    seq: int | None
    sent: int  # rows of `sent` to the recipient
    next_seq: int  # the author's next sequence number


def sent_rows(author: Party, recipient: str) -> set[tuple[str, str]]:
    vault = author.open()
    try:
        rows = vault.conn.execute(
            "SELECT revision_id, bundle_id FROM sent WHERE recipient = ?", (recipient,)
        ).fetchall()
    finally:
        vault.close()
    return {(r[0], r[1]) for r in rows}


def check_after_export(author: Party, recipient: Party, out: Path) -> AfterExport:
    """Assert the promise for an export from `author` to `recipient` at `out`, whatever
    moment it stopped at; the earlier exports' `sent` rows must have been forgotten."""
    vault = author.open()
    try:
        assert vault.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        next_seq = int(
            vault.conn.execute("SELECT next_sequence FROM device_identity").fetchone()[0]
        )
    finally:
        vault.close()
    sent = sent_rows(author, recipient.fingerprint)
    if not out.exists():
        assert not sent, f"{len(sent)} revision(s) marked sent, but no bundle at {out.name}"
        return AfterExport(None, None, 0, next_seq)
    vault = recipient.open()
    try:
        outer = verify_bundle(vault, out)  # raises BundleRefused on a partial file
    finally:
        vault.close()
    # Its number is reserved, so no later bundle can reuse it.
    assert outer.seq < next_seq
    manifest = mf.parse_manifest(open_bundle(out, author.identity).members[0][1])
    assert (manifest.bundle_id, manifest.seq) == (outer.bundle_id, outer.seq)
    carried = {m.key for m in manifest.members if m.kind in CARRIED_KINDS}
    for revision_id, bundle_id in sent:
        assert bundle_id == outer.bundle_id, "marked sent in a bundle that is not in place"
        assert revision_id in carried, "marked sent but not carried by the bundle in place"
    return AfterExport(outer.bundle_id, outer.seq, len(sent), next_seq)


def forget_sent(author: Party, recipient: str) -> None:
    """Test setup: clear what went to `recipient`, so the next export carries it all again
    (as a vault that never exported to it would)."""
    vault = author.open()
    try:
        with vault.write() as conn:
            conn.execute("DELETE FROM sent WHERE recipient = ?", (recipient,))
    finally:
        vault.close()
