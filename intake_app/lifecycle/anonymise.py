"""Anonymised views: what a recipient with `anonymous` consent receives instead of the case.

A view is an ordinary revision body with one more field, `derived_from`, signed by the
exporting device (docs/ARCHITECTURE.md "Lifecycle"):
    {"case_id" (the same case), "parents": [the previous view of this case, if any],
     "author": exporter, "created_at", "protocol" (the head's), "answers" (protected
     answers removed, attachment hashes replaced by the stripped copies'),
     "attachments" (stripped copies of the photographs that non-protected answers name),
     "derived_from": {"view": "anonymised", "attachments_left_out": n}}
It names no source revision on purpose: a hash of a body holding a name would let a
recipient confirm a guessed name. The mapping view -> source heads stays in this vault
(`anonymised_views`). Views never enter the local revision graph, so the original keeps its
history; the stripped photograph copies are blobs of this vault, so export streams them like
any attachment. Attachments other than JPEG/PNG photographs (documents, audio) are left out
of a view: their content often names the person and cannot be cleaned.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from intake_app.cases import graph
from intake_app.cases.attachments import BlobSink, blob_info, open_blob
from intake_app.cases.protocols import ProtocolShelf
from intake_app.cases.revision import Revision, make_revision, utc_now_ms
from intake_app.errors import IntakeError
from intake_app.lifecycle import imagemeta, redact
from intake_app.vault.audit import utc_now

VIEW_KIND = "anonymised"
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png"}


class CannotAnonymise(IntakeError):
    """The case cannot be shown without identifying content (reason in the message)."""


@dataclass(frozen=True)
class View:
    """An anonymised view as stored and exported."""

    revision: Revision
    left_out: int

    @property
    def id(self) -> str:
        return self.revision.id


def _load_views(conn: Any, case_id: str) -> list[Revision]:
    rows = conn.execute(
        "SELECT id, body, signature FROM anonymised_views WHERE case_id = ? ORDER BY seq",
        (case_id,),
    ).fetchall()
    return [Revision(r[0], bytes(r[1]), json.loads(bytes(r[1])), bytes(r[2])) for r in rows]


def view_chain(conn: Any, case_id: str) -> list[Revision]:
    """Every view of the case, oldest first (each names the previous as its parent)."""
    return _load_views(conn, case_id)


def stripped_copy(conn: Any, sha: str, media_type: str) -> str:
    """The hash of the metadata-free copy of a stored photograph, made now if needed (in the
    caller's write transaction)."""
    row = conn.execute(
        "SELECT stripped_sha256 FROM anonymised_blobs WHERE original_sha256 = ?", (sha,)
    ).fetchone()
    if row is not None and blob_info(conn, str(row[0])) is not None:
        return str(row[0])
    sink = BlobSink(conn)
    try:
        with contextlib.closing(open_blob(conn, sha)) as src:
            for piece in imagemeta.strip_metadata(media_type, src):
                sink.write(piece)
        info = sink.finish()
    except BaseException:
        sink.abort()
        raise
    conn.execute(
        "INSERT OR REPLACE INTO anonymised_blobs (original_sha256, stripped_sha256) VALUES (?, ?)",
        (sha, info.sha256),
    )
    return info.sha256


def _view_attachments(
    conn: Any, head: Revision, kept_answers: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, str | None], int]:
    """(view attachment entries, original hash -> copy hash or None, how many left out)."""
    named = redact.hashes_in(kept_answers)
    entries: list[dict[str, Any]] = []
    mapping: dict[str, str | None] = {}
    left_out = 0
    for item in sorted(head.attachments, key=lambda a: (a["sha256"], a.get("name") or "")):
        sha, media_type = item["sha256"], item["media_type"]
        if sha in mapping:
            continue
        if sha not in named or media_type not in imagemeta.STRIPPABLE:
            mapping[sha] = None
            left_out += 1
            continue
        copy = stripped_copy(conn, sha, media_type)
        info = blob_info(conn, copy)
        assert info is not None
        mapping[sha] = copy
        entries.append(
            {
                "sha256": copy,
                "size": info.size,
                "media_type": media_type,
                "name": f"photo-{len(entries) + 1}{_EXTENSIONS[media_type]}",
                "captured_at": item.get("captured_at"),
            }
        )
    for sha in redact.hashes_in(head.answers) - set(mapping):
        mapping[sha] = None  # named by answers but not an attachment of the record
    return entries, mapping, left_out


def build_view(conn: Any, identity: Any, shelf: ProtocolShelf, case_id: str) -> View:
    """The case's current anonymised view, made and stored now unless its heads have one
    already (in the caller's write transaction). CannotAnonymise when it cannot be made."""
    heads = graph.case_heads(conn, case_id)
    key = json.dumps(sorted(heads))
    views = _load_views(conn, case_id)
    row = conn.execute(
        "SELECT id FROM anonymised_views WHERE case_id = ? AND source_heads = ?", (case_id, key)
    ).fetchone()
    if row is not None:
        existing = next(v for v in views if v.id == row[0])
        return View(existing, int(existing.body["derived_from"]["attachments_left_out"]))
    head = graph.primary_head([graph.load_revision(conn, h) for h in heads])
    protocol = shelf.for_ref(conn, head.protocol)
    if protocol is None:
        raise CannotAnonymise(
            "its protocol version is not in this vault, so its identifying answers cannot be "
            "told apart"
        )
    kept = redact.strip_protected(head.answers, protocol)
    try:
        attachments, mapping, left_out = _view_attachments(conn, head, kept)
    except imagemeta.ImageNotClean:
        raise CannotAnonymise(
            "a photograph is damaged and cannot be cleaned of its metadata"
        ) from None
    body = {
        "case_id": case_id,
        "parents": [views[-1].id] if views else [],
        "author": identity.fingerprint,
        "created_at": utc_now_ms(),
        "protocol": dict(head.protocol),
        "answers": redact.remap_hashes(kept, mapping),
        "attachments": attachments,
        "derived_from": {"view": VIEW_KIND, "attachments_left_out": left_out},
    }
    view = make_revision(body, identity)
    conn.execute(
        "INSERT INTO anonymised_views (id, case_id, source_heads, body, signature, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (view.id, case_id, key, view.body_bytes, view.signature, utc_now()),
    )
    return View(view, left_out)


def views_for_export(
    vault: Any, shelf: ProtocolShelf, case_ids: list[str], recipients: list[str], *, resend: bool
) -> tuple[list[Revision], list[tuple[str, str]]]:
    """(view revisions to carry, [(case id, reason withheld)]) for cases that go anonymised.

    Each case's current view is made (or reused) now; the bundle carries the views of its
    chain that some recipient has not been sent (`resend`: the whole chain).
    """
    out: list[Revision] = []
    withheld: list[tuple[str, str]] = []
    if not case_ids:
        return out, withheld
    with vault.write() as conn:
        for case_id in case_ids:
            try:
                build_view(conn, vault.identity, shelf, case_id)
            except CannotAnonymise as exc:
                withheld.append((case_id, f"anonymous consent, but {exc}"))
                continue
            for view in view_chain(conn, case_id):
                if view.body.get("erased"):
                    continue
                if resend or not _sent_to_all(conn, view.id, recipients):
                    out.append(view)
    return out, withheld


def _sent_to_all(conn: Any, item_id: str, recipients: list[str]) -> bool:
    marks = ", ".join("?" for _ in recipients)
    row = conn.execute(
        f"SELECT count(DISTINCT recipient) FROM sent WHERE revision_id = ? AND recipient IN ({marks})",  # noqa: S608, E501 - placeholders only
        (item_id, *recipients),
    ).fetchone()
    return int(row[0]) >= len(recipients)


def view_record(view: Revision) -> bytes:
    """The bundle member of a view (the same shape as any revision member)."""
    from intake_app.bundles.selection import revision_record

    return revision_record(view.body_bytes, view.signature, view.id)


def is_view_body(body: dict[str, Any]) -> bool:
    derived = body.get("derived_from")
    return isinstance(derived, dict) and derived.get("view") == VIEW_KIND
