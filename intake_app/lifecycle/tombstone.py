"""Retraction: signed tombstones that erase a case (or its identifying answers) everywhere.

A tombstone body is canonical JSON
`{"format": "intake-tombstone-v1", "case_id", "scope": "case"|"identifying", "author",
"created_at"}`; its id is the SHA-256 of those bytes and the author device signs
`b"intake-tombstone-v1\\x00" + id`. Tombstones form a grow-only set (never changed or removed)
and win over every revision of their case, in any import order: the stored body of each
revision becomes its *erased form* (answers emptied, or stripped of protected answers), a
pure function of the original body and the strongest scope, so importing A then B gives the
same vault as B then A. Ids, parents, authors and signatures stay, so history and hashes
still tell what existed. Erased revisions are never exported again (a case with an
identifying tombstone leaves only as an anonymised view).
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from intake_app.canonical import canonical_json
from intake_app.cases import graph
from intake_app.cases.attachments import BlobInfo, BlobSink, delete_blob
from intake_app.cases.protocols import ProtocolShelf
from intake_app.cases.revision import Revision, utc_now_ms
from intake_app.errors import BundleRefused, IntakeError, NotFound
from intake_app.lifecycle import redact
from intake_app.lifecycle.signed import SignedRecord, parse_member, sign_record, verify_record
from intake_app.vault import Vault
from intake_app.vault.audit import utc_now

FORMAT = "intake-tombstone-v1"
DOMAIN = b"intake-tombstone-v1\x00"
SCOPE_CASE = "case"
SCOPE_IDENTIFYING = "identifying"
SCOPES = (SCOPE_CASE, SCOPE_IDENTIFYING)
ERASED_KEY = "erased"  # marks a stored body as an erased form (never exported)
_BODY_KEYS = frozenset({"format", "case_id", "scope", "author", "created_at"})
_FINGERPRINT = re.compile(r"[A-Z2-7]{32}\Z")
_CREATED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")

AuthorKey = Callable[[str], tuple[bytes, bool]]


@dataclass(frozen=True)
class Tombstone:
    record: SignedRecord

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def case_id(self) -> str:
        return str(self.record.body["case_id"])

    @property
    def scope(self) -> str:
        return str(self.record.body["scope"])

    @property
    def author(self) -> str:
        return str(self.record.body["author"])

    @property
    def created_at(self) -> str:
        return str(self.record.body["created_at"])


def make_tombstone(
    identity: Any, case_id: str, scope: str, created_at: str | None = None
) -> Tombstone:
    """A new tombstone for `case_id`, signed by this device."""
    if scope not in SCOPES:
        raise ValueError("unknown tombstone scope")
    body = {
        "format": FORMAT,
        "case_id": case_id,
        "scope": scope,
        "author": identity.fingerprint,
        "created_at": created_at or utc_now_ms(),
    }
    return Tombstone(sign_record(body, DOMAIN, identity.sign))


def check_body(body: dict[str, Any]) -> None:
    """BundleRefused unless `body` has exactly the tombstone fields, well formed."""

    def bad(reason: str) -> BundleRefused:
        return BundleRefused(f"The bundle was refused: a tombstone {reason}.")

    if set(body) != _BODY_KEYS or body["format"] != FORMAT:
        raise bad("is not an intake-tombstone-v1 record")
    try:
        uuid.UUID(str(body["case_id"]))
    except ValueError:
        raise bad("names no valid case id") from None
    if not isinstance(body["case_id"], str) or body["scope"] not in SCOPES:
        raise bad("has an unknown scope or case id")
    if not isinstance(body["author"], str) or not _FINGERPRINT.match(body["author"]):
        raise bad("names no device as its author")
    if not isinstance(body["created_at"], str) or not _CREATED_AT.match(body["created_at"]):
        raise bad("has a malformed time stamp")


def parse_tombstone(data: bytes, expected_id: str, author_key: AuthorKey) -> Tombstone:
    """A tombstone member of a bundle, checked: shape, id, and its author's signature."""
    record = parse_member(data, expected_id, "tombstone")
    check_body(record.body)
    key, _revoked = author_key(str(record.body["author"]))
    if not verify_record(record, DOMAIN, key):
        raise BundleRefused(
            "The bundle was refused: a tombstone's signature does not match its author."
        )
    return Tombstone(record)


# ---- storage -----------------------------------------------------------------------------


def store_tombstone(conn: Any, tombstone: Tombstone) -> bool:
    """Add to the grow-only set; False when already held."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO tombstones (id, case_id, scope, author, created_at, body,"
        " signature, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tombstone.id,
            tombstone.case_id,
            tombstone.scope,
            tombstone.author,
            tombstone.created_at,
            tombstone.record.body_bytes,
            tombstone.record.signature,
            utc_now(),
        ),
    )
    return bool(cur.rowcount)


def load_tombstone(conn: Any, tombstone_id: str) -> Tombstone:
    row = conn.execute(
        "SELECT body, signature FROM tombstones WHERE id = ?", (tombstone_id,)
    ).fetchone()
    if row is None:
        raise NotFound("There is no such tombstone in this vault.")
    body_bytes = bytes(row[0])
    return Tombstone(SignedRecord(tombstone_id, body_bytes, json.loads(body_bytes), bytes(row[1])))


def case_scope(conn: Any, case_id: str) -> str | None:
    """The strongest tombstone scope held for the case: 'case', 'identifying' or None."""
    rows = {
        r[0]
        for r in conn.execute("SELECT DISTINCT scope FROM tombstones WHERE case_id = ?", (case_id,))
    }
    if SCOPE_CASE in rows:
        return SCOPE_CASE
    return SCOPE_IDENTIFYING if rows else None


def tombstones_of(conn: Any, case_id: str) -> list[Tombstone]:
    rows = conn.execute(
        "SELECT id FROM tombstones WHERE case_id = ? ORDER BY created_at, id", (case_id,)
    ).fetchall()
    return [load_tombstone(conn, r[0]) for r in rows]


# ---- erasing -----------------------------------------------------------------------------


def erased_body(
    body: dict[str, Any], scope: str, protocol: Any, protected: set[str]
) -> tuple[dict[str, Any], set[str]]:
    """(the erased form of a revision body, attachment hashes it no longer names).

    Case scope: answers and attachments emptied. Identifying scope: protected answers
    removed (by the body's own protocol) and every attachment in `protected` (the hashes any
    protected answer of the case ever named) removed. Applying it again with a larger
    `protected` set gives the same result as applying it once with that set, so the final
    state does not depend on the order revisions arrived in.
    """
    done = body.get(ERASED_KEY)
    if done == SCOPE_CASE:
        return body, set()
    before = {a["sha256"] for a in body.get("attachments", []) if isinstance(a, dict)}
    if scope == SCOPE_CASE:
        return {**body, "answers": {}, "attachments": [], ERASED_KEY: SCOPE_CASE}, before
    answers = dict(body.get("answers", {}))
    if done != SCOPE_IDENTIFYING:
        answers = redact.strip_protected(answers, protocol)
    if protocol is None and done != SCOPE_IDENTIFYING:
        protected = protected | before  # nothing can be told apart: keep no file
    answers = redact.remap_hashes(answers, dict.fromkeys(protected))
    attachments = [
        {**a, "name": neutral_name(a.get("media_type"))}  # names chosen by people may identify
        for a in body.get("attachments", [])
        if a["sha256"] not in protected
    ]
    out = {**body, "answers": answers, "attachments": attachments, ERASED_KEY: scope}
    if out == body:
        return body, set()
    return out, before - {a["sha256"] for a in attachments}


_NEUTRAL_NAMES = {
    "image/jpeg": "photo.jpg",
    "image/png": "photo.png",
    "application/pdf": "document.pdf",
}


def neutral_name(media_type: Any) -> str:
    """A file name that says only what kind of file it is."""
    if isinstance(media_type, str) and media_type.startswith("audio/"):
        return "audio"
    return _NEUTRAL_NAMES.get(str(media_type), "file")


def note_protected(conn: Any, shelf: ProtocolShelf, rev: Revision) -> None:
    """Record the attachment hashes the revision's protected answers name (before erasing)."""
    if rev.body.get(ERASED_KEY):
        return
    protocol = shelf.for_ref(conn, rev.protocol)
    hashes = redact.protected_hashes(rev.answers, protocol)
    if protocol is None:
        hashes |= {a["sha256"] for a in rev.attachments}
    conn.executemany(
        "INSERT OR IGNORE INTO protected_hashes (case_id, sha256) VALUES (?, ?)",
        [(rev.case_id, sha) for sha in sorted(hashes)],
    )


def protected_of(conn: Any, case_id: str) -> set[str]:
    rows = conn.execute("SELECT sha256 FROM protected_hashes WHERE case_id = ?", (case_id,))
    return {str(r[0]) for r in rows}


def erase_revision(
    conn: Any, shelf: ProtocolShelf, rev: Revision, scope: str
) -> tuple[Revision, set[str]]:
    """The erased Revision (same id and signature) and the attachment hashes it dropped."""
    protocol = None
    protected: set[str] = set()
    if scope == SCOPE_IDENTIFYING:
        note_protected(conn, shelf, rev)
        protocol = shelf.for_ref(conn, rev.protocol)
        protected = protected_of(conn, rev.case_id)
    body, dropped = erased_body(rev.body, scope, protocol, protected)
    if body is rev.body:
        return rev, set()
    data = canonical_json(body)
    return Revision(rev.id, data, json.loads(data), rev.signature), dropped


@dataclass
class Erasure:
    """What erasing a case did (counts only: no content)."""

    revisions: int = 0
    blobs: int = 0
    drafts: int = 0
    dropped: set[str] = field(default_factory=set)


def _blob_still_named(conn: Any, sha: str) -> bool:
    """Some stored revision, or a live anonymised view, still names the blob."""
    if conn.execute("SELECT 1 FROM revisions WHERE instr(body, ?) > 0 LIMIT 1", (sha,)).fetchone():
        return True
    row = conn.execute(
        "SELECT 1 FROM anonymised_views WHERE instr(body, ?) > 0 LIMIT 1", (sha,)
    ).fetchone()
    return row is not None


def collect_blobs(conn: Any, hashes: Iterable[str]) -> int:
    """Delete the blobs (and stripped copies made of them) that nothing names any more."""
    deleted = 0
    for sha in sorted(set(hashes)):
        rows = conn.execute(
            "SELECT stripped_sha256 FROM anonymised_blobs WHERE original_sha256 = ?", (sha,)
        ).fetchall()
        copies = [str(r[0]) for r in rows]
        for candidate in [sha, *copies]:
            if _blob_still_named(conn, candidate):
                continue
            if conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (candidate,)).fetchone():
                delete_blob(conn, candidate)
                deleted += 1
    return deleted


def _erase_views(conn: Any, case_id: str, scope: str) -> set[str]:
    """Anonymised views keep their ids (recipients are found through them); a case tombstone
    empties their bodies."""
    if scope != SCOPE_CASE:
        return set()  # views never hold protected answers
    dropped: set[str] = set()
    rows = conn.execute(
        "SELECT id, body FROM anonymised_views WHERE case_id = ?", (case_id,)
    ).fetchall()
    for view_id, body_bytes in rows:
        body = json.loads(bytes(body_bytes))
        if body.get(ERASED_KEY) == SCOPE_CASE:
            continue
        dropped |= {a["sha256"] for a in body.get("attachments", [])}
        erased = {**body, "answers": {}, "attachments": [], ERASED_KEY: SCOPE_CASE}
        conn.execute(
            "UPDATE anonymised_views SET body = ? WHERE id = ?", (canonical_json(erased), view_id)
        )
    return dropped


def erase_case(conn: Any, shelf: ProtocolShelf, case_id: str) -> Erasure:
    """Apply the case's tombstones to everything the vault holds of it (in the caller's write
    transaction, with secure_delete on): revision bodies, drafts, anonymised views, the index
    and full-text rows, and blobs nothing else names."""
    result = Erasure()
    scope = case_scope(conn, case_id)
    if scope is None:
        return result
    rows = conn.execute("SELECT id FROM revisions WHERE case_id = ?", (case_id,)).fetchall()
    if scope == SCOPE_IDENTIFYING:  # learn every protected hash first, then erase
        for (rev_id,) in rows:
            note_protected(conn, shelf, graph.load_revision(conn, rev_id))
    for (rev_id,) in rows:
        rev = graph.load_revision(conn, rev_id)
        erased, dropped = erase_revision(conn, shelf, rev, scope)
        if erased is not rev:
            conn.execute("UPDATE revisions SET body = ? WHERE id = ?", (erased.body_bytes, rev_id))
            result.revisions += 1
            result.dropped |= dropped
    result.drafts = conn.execute("DELETE FROM drafts WHERE case_id = ?", (case_id,)).rowcount
    result.dropped |= _erase_views(conn, case_id, scope)
    if rows:
        graph.reindex_case(conn, shelf, case_id)
        if scope == SCOPE_CASE:
            conn.execute("UPDATE case_index SET retracted = 1 WHERE case_id = ?", (case_id,))
    result.blobs = collect_blobs(conn, result.dropped)
    return result


def optimize_text_index(conn: Any) -> None:
    """Merge the full-text segments: deleted rows otherwise linger in old segments."""
    conn.execute("INSERT INTO answers_fts (answers_fts) VALUES ('optimize')")


def scrub_wal(conn: Any) -> None:
    """After the commit: copy the WAL into the database and truncate it, so old page images
    holding erased content do not wait in the -wal file (best effort: a reader may hold it)."""
    # A busy checkpoint is retried by SQLite's own checkpoints later.
    with contextlib.suppress(Exception):
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


# ---- retracting locally -----------------------------------------------------------------


@dataclass(frozen=True)
class Retraction:
    tombstone: Tombstone
    erasure: Erasure
    recipients: list[str]


def recipients_of_case(conn: Any, case_id: str) -> list[str]:
    """Fingerprints this vault sent the case to (revisions or anonymised views)."""
    rows = conn.execute(
        "SELECT DISTINCT s.recipient FROM sent s WHERE s.revision_id IN ("
        " SELECT id FROM revisions WHERE case_id = ?"
        " UNION SELECT id FROM anonymised_views WHERE case_id = ?)"
        " ORDER BY s.recipient",
        (case_id, case_id),
    ).fetchall()
    return [str(r[0]) for r in rows]


def retract(
    vault: Vault,
    case_id: str,
    *,
    identifying_only: bool = False,
    shelf: ProtocolShelf | None = None,
) -> Retraction:
    """Sign a tombstone for the case and erase what it covers, in one transaction; the
    tombstone then goes to every recipient the case went to at the next export to them."""
    shelf = shelf or ProtocolShelf()
    scope = SCOPE_IDENTIFYING if identifying_only else SCOPE_CASE
    with vault.write() as conn:
        if not graph.case_exists(conn, case_id):
            raise NotFound(f"There is no case {case_id} in this vault.")
        current = case_scope(conn, case_id)
        if current in (SCOPE_CASE, scope):
            raise IntakeError("This case was already retracted so; nothing was changed.")
        tombstone = make_tombstone(vault.identity, case_id, scope)
        store_tombstone(conn, tombstone)
        erasure = erase_case(conn, shelf, case_id)
        optimize_text_index(conn)
        action = "case.retract" if scope == SCOPE_CASE else "case.retract_identifying"
        vault.audit(conn, action, case_id)
        recipients = recipients_of_case(conn, case_id)
    scrub_wal(vault.conn)
    return Retraction(tombstone, erasure, recipients)


# ---- export ------------------------------------------------------------------------------


def tombstones_to_send(
    conn: Any, recipients: Iterable[str], case_ids: Iterable[str] | None = None
) -> list[Tombstone]:
    """Tombstones a bundle to `recipients` must carry: those of cases that went to one of
    them and that this recipient has not been sent yet, plus every tombstone of `case_ids`."""
    wanted: set[str] = set()
    for recipient in recipients:
        rows = conn.execute(
            "SELECT t.id FROM tombstones t WHERE NOT EXISTS ("
            "  SELECT 1 FROM sent x WHERE x.revision_id = t.id AND x.recipient = :r)"
            " AND EXISTS (SELECT 1 FROM sent s WHERE s.recipient = :r AND s.revision_id IN ("
            "  SELECT id FROM revisions WHERE case_id = t.case_id"
            "  UNION SELECT id FROM anonymised_views WHERE case_id = t.case_id))",
            {"r": recipient},
        ).fetchall()
        wanted.update(r[0] for r in rows)
    for case_id in case_ids or ():
        wanted.update(t.id for t in tombstones_of(conn, case_id))
    return [load_tombstone(conn, t) for t in sorted(wanted)]


# ---- import ------------------------------------------------------------------------------


class DiscardedBlob(BlobSink):
    """Takes an attachment's bytes and stores nothing: it belongs only to erased revisions.
    (The importer checks the bytes against the manifest hash as they pass.)"""

    def __init__(self, sha256: str, size: int) -> None:  # no savepoint, no rows
        self._sha = sha256
        self._declared = size
        self._received = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._received += len(data)
        return len(data)

    def finish(self, expected_sha256: str | None = None) -> BlobInfo:
        return BlobInfo(self._sha, self._received, "application/octet-stream", None)

    def abort(self) -> None:
        return None


class ImportGate:
    """Used by the importer inside its transaction: accepts tombstone members, erases
    incoming revisions of tombstoned cases before they are stored, discards attachments only
    they named, and at the end erases what the vault already held of those cases."""

    def __init__(self, conn: Any, shelf: ProtocolShelf, author_key: AuthorKey) -> None:
        self._conn = conn
        self._shelf = shelf
        self._author_key = author_key
        self.tombstones: list[str] = []
        self.new_tombstones = 0
        self._touched: set[str] = set()
        self._dropped: set[str] = set()
        self._kept: set[str] = set()
        self.blobs_removed = 0

    def accept(self, expected_id: str, data: bytes) -> Tombstone:
        tombstone = parse_tombstone(data, expected_id, self._author_key)
        if store_tombstone(self._conn, tombstone):
            self.new_tombstones += 1
        self.tombstones.append(tombstone.id)
        self._touched.add(tombstone.case_id)
        return tombstone

    def admit(self, revision: Revision) -> Revision:
        """The revision as it may be stored: erased when its case has a tombstone."""
        scope = case_scope(self._conn, revision.case_id)
        if scope is None:
            self._kept |= {a["sha256"] for a in revision.attachments}
            return revision
        erased, dropped = erase_revision(self._conn, self._shelf, revision, scope)
        self._kept |= {a["sha256"] for a in erased.attachments}
        self._dropped |= dropped
        self._touched.add(revision.case_id)
        return erased

    @property
    def touched(self) -> bool:
        """Some tombstone came or applied: the WAL is scrubbed after the commit."""
        return bool(self._touched or self._dropped)

    def blob_sink(self, sha256: str, size: int) -> BlobSink | None:
        """A discarding sink for an attachment only erased revisions name, else None."""
        if sha256 not in self._dropped or sha256 in self._kept:
            return None
        if _blob_still_named(self._conn, sha256):
            return None
        return DiscardedBlob(sha256, size)

    def finish(self) -> bool:
        """Erase what the vault held of the touched cases; True if anything was erased."""
        erased = bool(self._dropped)
        for case_id in sorted(self._touched):
            result = erase_case(self._conn, self._shelf, case_id)
            erased = erased or bool(result.revisions or result.blobs or result.drafts)
        self.blobs_removed = collect_blobs(self._conn, self._dropped)
        if self._touched:
            optimize_text_index(self._conn)
        return erased or bool(self._touched)
