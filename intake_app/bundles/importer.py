"""Import: check a bundle completely and add what it carries to the vault, all or nothing.

Order (DESIGN "Bundle format"): stage a private copy inside the vault folder; check the
container, the outer signature against the trust registry and revocation; only then the
duplicate and equivocation checks; then, in ONE write transaction, decrypt as a stream into
a strict tar parser whose members are checked against the signed manifest as they arrive:
cards, protocols, revisions (signature and id recomputed) and attachments (streamed straight
into the vault's blob chunks). Any failure rolls the transaction back; plaintext is never
written outside the vault, and the staged copy (ciphertext) is removed at the end.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pyrage import x25519

from intake_app.bundles import agestream, container, minisign
from intake_app.bundles import manifest as mf
from intake_app.bundles.limits import MAX_RECORD_BYTES, load_json
from intake_app.bundles.merge import (
    ImportResult,
    conflicted_cases,
    device_gaps,
    waiting_revisions,
)
from intake_app.bundles.payload import (
    MANIFEST_NAME,
    MANIFEST_SIGNATURE_NAME,
    PayloadParser,
    default_member_cap,
)
from intake_app.bundles.verify import OuterCheck, check_outer
from intake_app.canonical import canonical_json
from intake_app.cases.attachments import BlobSink
from intake_app.cases.revision import verify_revision
from intake_app.cases.store import CaseStore
from intake_app.errors import (
    BundleRefused,
    IntakeError,
    ProtocolError,
    StorageError,
    ValidationError,
)
from intake_app.fsutil import punch_hole
from intake_app.identity.card import IdentityCard, InvalidCard, parse_card
from intake_app.identity.trust import TrustRegistry, admit, record_seen, seen_status
from intake_app.lifecycle import receipts, tombstone
from intake_app.progress import CancelToken, Progress, check, report
from intake_app.vault import Vault, blobfiles
from intake_app.vault.audit import utc_now

STAGING_DIR = "staging"
_SIGNATURE_BYTES = 64


def _refuse(reason: str) -> BundleRefused:
    return BundleRefused(f"The bundle was refused: {reason}.")


class _Member:
    """The member being received: its manifest entry, running hash and where bytes go."""

    def __init__(self, entry: mf.MemberEntry | None, name: str, sink: BlobSink | None) -> None:
        self.entry = entry
        self.name = name
        self.sink = sink
        self.buffer = bytearray()
        self.digest = hashlib.sha256()
        self.size = 0


class ImportSession:
    """Receives the payload's members in order (a `PayloadConsumer`) inside the import's
    write transaction, checking each against the signed manifest before using it."""

    def __init__(
        self,
        vault: Vault,
        conn: Any,
        store: CaseStore,
        outer: OuterCheck,
        flusher: blobfiles.Flusher | None = None,
    ) -> None:
        self._vault = vault
        self._flusher = flusher  # attachments become durable beside the import, before COMMIT
        self._conn = conn
        self._store = store
        self._outer = outer
        self._registry = TrustRegistry(vault)
        self.manifest: mf.Manifest | None = None
        self._manifest_bytes = b""
        self._index = 0
        self._current: _Member | None = None
        self._cards: dict[str, IdentityCard] = {}
        self.revision_ids: list[str] = []
        self.new_revisions: list[str] = []
        self.case_ids: set[str] = set()
        self.attachments_needed: set[str] = set()
        self.blobs = 0
        self.warnings: list[str] = []
        # Retraction and receipts (intake_app.lifecycle, issue 8).
        self.gate = tombstone.ImportGate(conn, store.shelf, self._author_key)
        self.receipts: list[str] = []

    # ---- PayloadConsumer ----------------------------------------------------------------

    def begin(self, name: str, size: int) -> None:
        entry = None
        if self._index == 1 and name != MANIFEST_SIGNATURE_NAME:
            raise _refuse("its manifest is not signed (the signature must follow it)")
        if self._index >= 2:
            entry = self._expected(name, size)
        sink = None
        if entry and entry.kind == mf.KIND_BLOB:
            # end() checks the running hash against the manifest before the sink finishes.
            sink = self.gate.blob_sink(entry.key, size) or BlobSink(
                self._conn, max_size=size, hashed_by_caller=True, flusher=self._flusher
            )
        self._current = _Member(entry, name, sink)

    def data(self, chunk: memoryview) -> None:
        member = self._current
        assert member is not None
        member.digest.update(chunk)
        member.size += len(chunk)
        if member.sink is not None:
            member.sink.write(chunk)
        else:
            member.buffer += chunk

    def end(self) -> None:
        member, self._current = self._current, None
        assert member is not None
        self._index += 1
        if member.entry is None:
            if member.name == MANIFEST_NAME:
                self._manifest_bytes = bytes(member.buffer)
            else:
                self._accept_manifest(bytes(member.buffer))
            return
        if member.digest.hexdigest() != member.entry.sha256:
            if member.sink is not None:
                member.sink.abort()
            raise _refuse(f"{member.name} does not match the hash its manifest lists")
        try:
            self._use(member.entry, member)
        except (ValidationError, ProtocolError, InvalidCard) as exc:
            raise _refuse(f"{member.name}: {exc}") from None
        except BundleRefused:
            raise
        except StorageError:
            raise
        except IntakeError as exc:  # e.g. a revision naming a parent from another case
            raise _refuse(f"{member.name}: {exc}") from None

    # ---- checks -------------------------------------------------------------------------

    def _expected(self, name: str, size: int) -> mf.MemberEntry:
        assert self.manifest is not None
        position = self._index - 2
        if position >= len(self.manifest.members):
            raise _refuse(f"it holds {name}, which its manifest does not list")
        entry = self.manifest.members[position]
        if entry.path != name:
            raise _refuse(
                "its members are not those its manifest lists, in that order (reordered, "
                "dropped, swapped or added)"
            )
        if entry.size != size:
            raise _refuse(f"{name} is not the size its manifest lists")
        return entry

    def _accept_manifest(self, signature: bytes) -> None:
        outer = self._outer
        try:
            comment = minisign.verify(signature, outer.signer.minisign_key, self._manifest_bytes)
        except BundleRefused:
            raise _refuse(
                "its manifest is not signed by the bundle's signer (the outer signature may "
                "have been replaced)"
            ) from None
        if comment != outer.trusted_comment:
            raise _refuse("the manifest's signed id and sequence differ from the outer signature's")
        manifest = mf.parse_manifest(self._manifest_bytes)
        if manifest.author != outer.signer.fingerprint:
            raise _refuse("its manifest names another author than the device that signed it")
        if (manifest.bundle_id, manifest.seq) != (outer.bundle_id, outer.seq):
            raise _refuse("its manifest's id or sequence differs from the outer signature's")
        if self._vault.identity.fingerprint not in manifest.recipients:
            raise BundleRefused("The bundle is not addressed to this vault; it was refused.")
        self.manifest = manifest

    def finish(self) -> None:
        """After the stream ended: nothing listed may be missing; every attachment the new
        revisions name must now be held."""
        if self.manifest is None:
            raise _refuse("it has no signed manifest")
        if self._index != len(self.manifest.members) + 2:
            raise _refuse("members its manifest lists are missing")
        for sha in sorted(self.attachments_needed):
            held = self._conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,))
            if held.fetchone() is None:
                raise _refuse("a revision names an attachment that the bundle does not carry")
        self.gate.finish()

    # ---- using members ------------------------------------------------------------------

    def _use(self, entry: mf.MemberEntry, member: _Member) -> None:
        if entry.kind == mf.KIND_BLOB:
            assert member.sink is not None
            member.sink.finish(entry.sha256)
            self.blobs += 1
            return
        data = bytes(member.buffer)
        member.buffer = bytearray()
        if entry.kind == mf.KIND_CARD:
            self._use_card(entry, data)
        elif entry.kind == mf.KIND_PROTOCOL:
            self._use_protocol(data)
        elif entry.kind == mf.KIND_TOMBSTONE:
            self.gate.accept(entry.key, data)
        elif entry.kind == mf.KIND_RECEIPT:
            assert self.manifest is not None
            self.receipts.append(receipts.accept(self._vault, self._conn, entry.key, data,
                                                 self._outer.signer, self.manifest))  # fmt: skip
        else:
            self._use_revision(entry, data)

    def _use_card(self, entry: mf.MemberEntry, data: bytes) -> None:
        card = parse_card(data)
        if card.fingerprint != entry.key:
            raise _refuse(f"{entry.path} holds the card of another device")
        self._cards[card.fingerprint] = card
        if card.fingerprint == self._vault.identity.fingerprint:
            return
        if self._registry.get(card.fingerprint) is not None:
            return
        self._conn.execute(
            "INSERT OR IGNORE INTO known_devices (fingerprint, ed25519_public_key, "
            "x25519_public_key, card, first_seen) VALUES (?, ?, ?, ?, ?)",
            (card.fingerprint, card.ed25519_public_key, card.x25519_public_key,
             json.dumps(card.to_json(), sort_keys=True, ensure_ascii=False), utc_now()),
        )  # fmt: skip

    def _use_protocol(self, data: bytes) -> None:
        try:
            self._store.shelf.remember_file(self._conn, data)
        except ProtocolError:
            # A protocol this version cannot read: answers stay readable as raw values.
            self.warnings.append(
                "A protocol version in the bundle is not readable by this version of the "
                "application; its answers are kept as given."
            )

    def _author_key(self, author: str) -> tuple[bytes, bool]:
        """(Ed25519 key, revoked since) of a revision's author, from whoever vouches for it."""
        own = self._vault.identity
        if author == own.fingerprint:
            return own.ed25519_public_key, False
        contact = self._registry.get(author)
        if contact is not None:
            return contact.ed25519_public_key, contact.revoked
        row = self._conn.execute(
            "SELECT ed25519_public_key FROM known_devices WHERE fingerprint = ?", (author,)
        ).fetchone()
        if row is not None:
            return bytes(row[0]), False
        card = self._cards.get(author)
        if card is not None:
            return card.ed25519_public_key, False
        raise _refuse(
            "a revision's author is unknown (no trusted contact, known device or card in the "
            "bundle vouches for it)"
        )

    def _use_revision(self, entry: mf.MemberEntry, data: bytes) -> None:
        doc = load_json(data, what="revision record", max_bytes=MAX_RECORD_BYTES)
        if not isinstance(doc, dict) or set(doc) != {"id", "body", "signature"}:
            raise _refuse(f"{entry.path} is not a revision record")
        if doc["id"] != entry.key or not isinstance(doc["body"], dict):
            raise _refuse(f"{entry.path} does not hold the revision its name says")
        signature = _signature(doc["signature"], entry.path)
        try:
            body_bytes = canonical_json(doc["body"])
        except Exception:  # rfc8785 raises several types for values it cannot represent
            raise _refuse(f"{entry.path} holds values canonical JSON cannot represent") from None
        author = doc["body"].get("author")
        if not isinstance(author, str):
            raise _refuse(f"{entry.path} names no author")
        key, revoked = self._author_key(author)
        revision = verify_revision(
            body_bytes, signature, key, expected_id=entry.key, expected_author=author
        )
        self.revision_ids.append(revision.id)
        self.case_ids.add(revision.case_id)
        revision = self.gate.admit(revision)
        if self._store.insert_verified_revision(self._conn, revision, signer_revoked=revoked):
            self.new_revisions.append(revision.id)
            self.attachments_needed.update(a["sha256"] for a in revision.attachments)


def _signature(value: Any, path: str) -> bytes:
    try:
        raw = base64.b64decode(str(value).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError):
        raw = b""
    if not isinstance(value, str) or len(raw) != _SIGNATURE_BYTES:
        raise _refuse(f"{path} carries a malformed signature")
    return raw


# ---- staging ---------------------------------------------------------------------------


def staging_dir(vault: Vault) -> Path:
    folder = vault.path / STAGING_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _try_lock(fh: BinaryIO) -> bool:
    try:
        import fcntl
    except ImportError:
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def clean_staging(folder: Path) -> None:
    """Remove staged copies left by an import that was killed (never one in use)."""
    with contextlib.suppress(OSError):
        for stale in folder.glob(f"staged-*{container.BUNDLE_SUFFIX}"):
            with contextlib.suppress(OSError), open(stale, "rb") as fh:
                if _try_lock(fh):
                    stale.unlink()


@contextlib.contextmanager
def staged_copy(
    vault: Vault, path: Path, cancel: CancelToken | None
) -> Iterator[tuple[BinaryIO, container.StagedDigests]]:
    """A private copy of the bundle inside the vault folder, removed afterwards, and the
    payload's digests taken as it was written."""
    folder = staging_dir(vault)
    clean_staging(folder)
    staged, digests = container.stage_bundle(Path(path), folder, cancel=cancel)
    try:
        with open(staged, "r+b") as fh:  # writable only to give consumed blocks back
            _try_lock(fh)
            yield fh, digests
    finally:
        with contextlib.suppress(OSError):
            staged.unlink()


# ---- import ----------------------------------------------------------------------------


def import_bundle(
    vault: Vault,
    path: Path,
    *,
    store: CaseStore | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ImportResult:
    """Check and import the bundle at `path`; all of it or nothing.

    Raises BundleRefused (exit 4) for anything damaged, forged, unknown, revoked, not for
    this vault, or equivocating; a bundle already imported is a no-op (`already_imported`).
    """
    store = store or CaseStore(vault)
    with staged_copy(vault, path, cancel) as (fh, digests):
        outer = check_outer(vault, fh, cancel=cancel, staged=digests)
        admission = admit(outer.signer, outer.seq, outer.payload_sha256)
        result = ImportResult(
            bundle_id=outer.bundle_id, author=outer.signer.fingerprint,
            author_name=outer.signer_name, seq=outer.seq,
            signer_revoked=admission.signer_revoked,
        )  # fmt: skip
        if _seen(vault.conn, outer) == "already_imported":
            result.already_imported = True
            return result
        with vault.write() as conn:
            if _seen(conn, outer) == "already_imported":
                result.already_imported = True
                return result
            session = _decrypt_into(vault, conn, store, outer, fh, progress, cancel)
            record_seen(conn, outer.payload_sha256, outer.signer.fingerprint, outer.seq,
                        outer.bundle_id)  # fmt: skip
            vault.audit(conn, "bundle.import", f"{outer.bundle_id}:{outer.payload_sha256}")
            _fill(result, conn, session, outer)
        if session.gate.touched:
            tombstone.scrub_wal(conn)
    return result


def _seen(conn: Any, outer: OuterCheck) -> str:
    status = seen_status(conn, outer.payload_sha256, outer.signer.fingerprint, outer.seq)
    if status == "equivocation":
        raise BundleRefused(
            f"Equivocation: the signer already sent a different bundle with sequence number "
            f"{outer.seq}. This one was refused; keep both files and ask the sender why."
        )
    return status


def _decrypt_into(
    vault: Vault,
    conn: Any,
    store: CaseStore,
    outer: OuterCheck,
    fh: BinaryIO,
    progress: Progress | None,
    cancel: CancelToken | None,
) -> ImportSession:
    identity = x25519.Identity.from_str(vault.identity.age_identity)
    total = outer.container.payload_size

    done = 0
    # pyrage decrypts in a helper thread while this one parses and stores (both cores work),
    # and each attachment's fsync runs on another while the next one is stored; leaving the
    # block on any error stops both before the transaction rolls back.
    source = ReleasingReader(container.payload_reader(fh, outer.container), fh.fileno(),
                             outer.container.payload_offset)  # fmt: skip
    with (
        blobfiles.Flusher() as flusher,
        agestream.DecryptedBlocks(source, [identity]) as blocks,  # type: ignore[arg-type]
    ):
        session = ImportSession(vault, conn, store, outer, flusher)
        parser = PayloadParser(session, member_cap=default_member_cap)
        for block in blocks:
            check(cancel)
            parser.write(block)
            done += len(block)
            report(progress, min(done, total), total, "import")
        parser.close()
        session.finish()
        flusher.wait()  # every attachment on the disk before the rows naming them commit
    return session


class ReleasingReader:
    """pyrage's source: the staged payload, read once from front to back, whose blocks are
    given back (fsutil.punch_hole) every RELEASE_STEP bytes behind the reading. The pages
    freed are the ones the attachments stored meanwhile reuse (new page-cache pages cost
    more than the copy: docs/BENCHMARKS.md), and a large bundle's staged copy is not
    written out to the disk by the kernel in the minutes the import takes."""

    RELEASE_STEP = 8 * 1024 * 1024

    def __init__(self, source: BinaryIO | container.RangeReader, fd: int, start: int) -> None:
        self._source = source
        self._fd = fd
        self._released_to = start  # bytes before this offset of the file are given back
        self._read_to = start
        self._releasing = True

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._read_to += len(data)
        if self._releasing and self._read_to - self._released_to >= self.RELEASE_STEP:
            gone = self._read_to - self._released_to
            self._releasing = punch_hole(self._fd, self._released_to, gone)
            self._released_to = self._read_to
        return data


def _fill(result: ImportResult, conn: Any, session: ImportSession, outer: OuterCheck) -> None:
    assert session.manifest is not None
    result.new_revisions = len(session.new_revisions)
    result.already_had = len(session.revision_ids) - len(session.new_revisions)
    result.attachments = session.blobs
    result.conflicts = conflicted_cases(conn, session.case_ids)
    result.waiting = waiting_revisions(conn, session.revision_ids)
    gaps = device_gaps(conn, outer.signer.fingerprint)
    result.gaps = {outer.signer.fingerprint: gaps} if gaps else {}
    result.withheld = session.manifest.withheld
    result.payload_sha256 = outer.payload_sha256
    result.received = receipts.received_items(session.manifest, session.gate.tombstones)
    result.receipts = list(session.receipts)
    result.warnings = sorted(set(session.warnings))
