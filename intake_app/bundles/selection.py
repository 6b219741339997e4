"""What an export carries: recipients, the revisions not yet sent to them (or whole cases),
and everything those revisions need: their authors' cards, protocols and attachments.

The per-recipient consent filter (`consent.share.<category>`) is intake_app.lifecycle.consent:
cases go as they are, as anonymised views (intake_app.lifecycle.anonymise), or are withheld
with a reason; tombstones of cases that went to a recipient travel with the next bundle.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake_app.bundles import manifest as mf
from intake_app.canonical import canonical_json, sha256_hex
from intake_app.cases import graph
from intake_app.errors import IntakeError, NotFound, StorageError, UsageError
from intake_app.identity import keys
from intake_app.identity.card import MAX_CARD_BYTES, card_from_stored, card_of, parse_card
from intake_app.identity.trust import TrustRegistry
from intake_app.vault import Vault

MAX_RECIPIENTS = 32  # the age header holds at most 64 stanzas; leave room for grease


@dataclass(frozen=True)
class Recipient:
    """Someone a bundle is encrypted to."""

    fingerprint: str
    name: str
    category: str
    age_recipient: str
    from_card_file: bool = False

    @property
    def fingerprint_display(self) -> str:
        return keys.display_fingerprint(self.fingerprint)


@dataclass(frozen=True)
class PlannedMember:
    """One payload member: its manifest entry and how to produce its bytes again."""

    entry: mf.MemberEntry
    produce: Callable[[], bytes] | None = None  # records; None for blobs (streamed)


@dataclass
class ExportPlan:
    recipients: list[Recipient]
    case_ids: list[str]
    revision_ids: list[str]
    members: list[PlannedMember] = field(default_factory=list)
    withheld: list[tuple[str, str]] = field(default_factory=list)
    tombstone_ids: list[str] = field(default_factory=list)

    @property
    def attachment_count(self) -> int:
        return sum(1 for m in self.members if m.entry.kind == mf.KIND_BLOB)

    @property
    def content_bytes(self) -> int:
        return sum(m.entry.size for m in self.members)


def _read_card_file(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CARD_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"Cannot read the identity card {path.name}: {exc.strerror}.") from None
    if len(data) > MAX_CARD_BYTES:
        raise UsageError(f"{path.name} is too large to be an identity card.")
    return data


def resolve_recipients(vault: Vault, targets: Sequence[str]) -> list[Recipient]:
    """`--to` values: a trusted contact (fingerprint in either form, or name) or a card file.

    Revoked contacts are refused. This device is always added (so its owner can reopen
    the bundle) and is not counted as a chosen recipient.
    """
    if not targets:
        raise UsageError("Name at least one recipient with --to (a contact or a card file).")
    registry = TrustRegistry(vault)
    own = vault.identity.fingerprint
    chosen: dict[str, Recipient] = {}
    for target in targets:
        recipient = _resolve_one(registry, target)
        if recipient.fingerprint != own:
            chosen.setdefault(recipient.fingerprint, recipient)
    if not chosen:
        raise UsageError("A bundle needs a recipient other than this device.")
    if len(chosen) > MAX_RECIPIENTS:
        raise UsageError(f"A bundle can have at most {MAX_RECIPIENTS} recipients.")
    return sorted(chosen.values(), key=lambda r: r.fingerprint)


def _resolve_one(registry: TrustRegistry, target: str) -> Recipient:
    try:
        contact = registry.resolve(target)
    except NotFound:
        contact = None
    if contact is not None:
        if contact.revoked:
            raise UsageError(
                f"The contact {contact.fingerprint_display} was revoked; nothing is sent to a "
                "revoked key."
            )
        return Recipient(contact.fingerprint, contact.name, contact.category, contact.age_recipient)
    path = Path(target)
    if not path.is_file():
        raise NotFound(
            "No trusted contact has that name or fingerprint, and there is no card file there."
        )
    card = parse_card(_read_card_file(path))
    existing = registry.get(card.fingerprint)
    if existing is not None and existing.revoked:
        raise UsageError(
            f"The card {card.fingerprint_display} belongs to a revoked contact; nothing is "
            "sent to a revoked key."
        )
    return Recipient(card.fingerprint, card.name, card.category, card.age_recipient, True)


def select_for_recipients(
    conn: Any, case_ids: Sequence[str], recipients: Sequence[Recipient]
) -> tuple[list[str], list[tuple[str, str]]]:
    """The consent filter: (case ids that may go as they are, [(case id, reason withheld)]).

    Cases that may go only anonymised are in neither list (see lifecycle.consent.decide).
    """
    from intake_app.lifecycle import consent

    decision = consent.decide(conn, case_ids, [r.category for r in recipients])
    return decision.named, decision.withheld


def _unsent(conn: Any, recipients: Sequence[Recipient]) -> list[tuple[str, str]]:
    """(case id, revision id) of every revision some chosen recipient has not been sent."""
    fps = [r.fingerprint for r in recipients]
    marks = ", ".join("?" for _ in fps)
    rows = conn.execute(
        "SELECT case_id, id FROM revisions r WHERE (SELECT count(DISTINCT recipient) FROM sent s"  # noqa: S608 - placeholders only
        f" WHERE s.revision_id = r.id AND s.recipient IN ({marks})) < ?",
        (*fps, len(fps)),
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _case_revisions(conn: Any, case_ids: Sequence[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for case_id in case_ids:
        if not graph.case_exists(conn, case_id):
            raise NotFound(f"There is no case {case_id} in this vault.")
        rows = conn.execute("SELECT id FROM revisions WHERE case_id = ?", (case_id,)).fetchall()
        out.extend((case_id, str(r[0])) for r in rows)
    return out


def plan_export(
    vault: Vault, recipients: list[Recipient], case_ids: Sequence[str] | None = None
) -> ExportPlan:
    """Choose the revisions (unsent by default, else the given cases' full histories) and
    list the members that carry them, with sizes and hashes, in stream order."""
    from intake_app.cases.protocols import ProtocolShelf
    from intake_app.lifecycle import anonymise, consent, tombstone

    conn = vault.conn
    candidates = _case_revisions(conn, case_ids) if case_ids else _unsent(conn, recipients)
    shelf = ProtocolShelf()
    decision = consent.decide(
        conn, sorted({c for c, _ in candidates}), [r.category for r in recipients], shelf
    )
    keep = set(decision.named)
    rev_ids = sorted({r for c, r in candidates if c in keep})
    fps = [r.fingerprint for r in recipients]
    views, unviewable = anonymise.views_for_export(
        vault, shelf, decision.anonymous, fps, resend=bool(case_ids)
    )
    withheld = sorted(decision.withheld + unviewable)
    tombs = tombstone.tombstones_to_send(conn, fps, case_ids)
    if not rev_ids and not views and not tombs:
        if withheld:
            raise IntakeError(
                f"Nothing to send: all {len(withheld)} case(s) were withheld "
                f"({withheld[0][1]}{'; ...' if len(withheld) > 1 else ''})."
            )
        raise IntakeError(
            "Nothing to send: every revision was already sent to these recipients "
            "(name cases with --case to send them again)."
        )
    revisions = [graph.load_revision(conn, r) for r in rev_ids] + views
    revisions.sort(key=lambda r: (r.case_id, r.created_at, r.id))
    view_ids = {v.id for v in views}
    plan = ExportPlan(
        recipients, sorted(keep | {v.case_id for v in views}), [r.id for r in revisions],
        withheld=withheld, tombstone_ids=[t.id for t in tombs],
    )  # fmt: skip
    authors = sorted({r.author for r in revisions} | {t.author for t in tombs})
    protocols = sorted({r.protocol["sha256"] for r in revisions})
    blobs = sorted({a["sha256"] for r in revisions for a in r.attachments})
    for fp in authors:
        plan.members.append(_record(mf.KIND_CARD, fp, _card_producer(vault, fp)))
    for sha in protocols:
        plan.members.append(_record(mf.KIND_PROTOCOL, sha, _protocol_producer(conn, sha)))
    for tomb in tombs:
        plan.members.append(_record(mf.KIND_TOMBSTONE, tomb.id, tomb.record.to_member))
    for rev in revisions:
        produce = (
            _fixed(revision_record(rev.body_bytes, rev.signature, rev.id))
            if rev.id in view_ids
            else _revision_producer(conn, rev.id)
        )
        plan.members.append(_record(mf.KIND_REVISION, rev.id, produce))
    for sha in blobs:
        row = conn.execute("SELECT size FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
        if row is None:
            raise StorageError(
                "An attachment named by these revisions is not in this vault; nothing was written."
            )
        entry = mf.MemberEntry(mf.KIND_BLOB, mf.path_for(mf.KIND_BLOB, sha), sha, int(row[0]))
        plan.members.append(PlannedMember(entry))
    return plan


def _record(kind: str, key: str, produce: Callable[[], bytes]) -> PlannedMember:
    # Produced twice (now for the manifest, later while streaming) so records never pile up
    # in memory; the bytes are deterministic and checked again on the way out.
    data = produce()
    entry = mf.MemberEntry(kind, mf.path_for(kind, key), sha256_hex(data), len(data))
    return PlannedMember(entry, produce)


def _fixed(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _card_producer(vault: Vault, fp: str) -> Callable[[], bytes]:
    def produce() -> bytes:
        if fp == vault.identity.fingerprint:
            return card_of(vault.identity).to_bytes()
        contact = TrustRegistry(vault).get(fp)
        stored = contact.card_json if contact is not None else None
        if stored is None:
            row = vault.conn.execute(
                "SELECT card FROM known_devices WHERE fingerprint = ?", (fp,)
            ).fetchone()
            stored = None if row is None or row[0] is None else str(row[0])
        if stored is None:
            raise StorageError(
                "The identity card of an author of these revisions is not in this vault; "
                "nothing was written."
            )
        return card_from_stored(stored).to_bytes()

    return produce


def _protocol_producer(conn: Any, sha: str) -> Callable[[], bytes]:
    def produce() -> bytes:
        row = conn.execute("SELECT content FROM protocols WHERE sha256 = ?", (sha,)).fetchone()
        if row is None or sha256_hex(bytes(row[0])) != sha:
            raise StorageError(
                "The protocol file of some revisions is missing or damaged in this vault; "
                "nothing was written."
            )
        return bytes(row[0])

    return produce


def revision_record(body_bytes: bytes, signature: bytes, rev_id: str) -> bytes:
    """The bundle member of one revision: its body and its author's signature."""
    body = json.loads(body_bytes)
    if canonical_json(body) != body_bytes:
        raise StorageError("A stored revision is not in canonical form; nothing was written.")
    return canonical_json(
        {"id": rev_id, "body": body, "signature": base64.b64encode(signature).decode("ascii")}
    )


def _revision_producer(conn: Any, rev_id: str) -> Callable[[], bytes]:
    def produce() -> bytes:
        rev = graph.load_revision(conn, rev_id)
        return revision_record(rev.body_bytes, rev.signature, rev.id)

    return produce
