"""The revision graph of each case: insertion, heads, waiting parents, and re-indexing.

Revisions are immutable and content-addressed, so inserting is idempotent and the result
does not depend on arrival order: a revision is a head exactly when no revision of its case
names it as a parent, and it is `waiting` exactly while one of its parents is missing.
"""

from __future__ import annotations

import json
from typing import Any

from intake_app.cases import index, search
from intake_app.cases.protocols import ProtocolShelf
from intake_app.cases.revision import Revision
from intake_app.errors import BundleRefused, IntakeError, NotFound


def revision_exists(conn: Any, rev_id: str) -> bool:
    return conn.execute("SELECT 1 FROM revisions WHERE id = ?", (rev_id,)).fetchone() is not None


def load_revision(conn: Any, rev_id: str) -> Revision:
    row = conn.execute(
        "SELECT id, body, signature FROM revisions WHERE id = ?", (rev_id,)
    ).fetchone()
    if row is None:
        raise NotFound("There is no such revision in this vault.")
    body_bytes = bytes(row[1])
    return Revision(row[0], body_bytes, json.loads(body_bytes), bytes(row[2]))


def case_heads(conn: Any, case_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT revision_id FROM heads WHERE case_id = ? ORDER BY revision_id", (case_id,)
    ).fetchall()
    return [r[0] for r in rows]


def case_exists(conn: Any, case_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM revisions WHERE case_id = ? LIMIT 1", (case_id,))
    return row.fetchone() is not None


def insert_revision(conn: Any, rev: Revision, *, signer_revoked: bool = False) -> bool:
    """Add a revision inside the caller's write transaction; False if it was already here.

    Maintains parents, heads and the waiting flags; the caller re-indexes the case.
    """
    if revision_exists(conn, rev.id):
        return False
    parents = rev.parents
    for parent in parents:
        row = conn.execute("SELECT case_id FROM revisions WHERE id = ?", (parent,)).fetchone()
        if row is not None and row[0] != rev.case_id:
            raise BundleRefused("A case revision names a parent from another case; refused.")
    missing = [p for p in parents if not revision_exists(conn, p)]
    conn.execute(
        "INSERT INTO revisions (id, case_id, author, created_at, body, signature, waiting,"
        " signer_revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (rev.id, rev.case_id, rev.author, rev.created_at, rev.body_bytes, rev.signature,
         int(bool(missing)), int(signer_revoked)),
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO revision_parents (revision_id, parent_id) VALUES (?, ?)",
        [(rev.id, p) for p in parents],
    )
    conn.executemany(
        "DELETE FROM heads WHERE case_id = ? AND revision_id = ?",
        [(rev.case_id, p) for p in parents],
    )
    has_child = conn.execute(
        "SELECT 1 FROM revision_parents WHERE parent_id = ? LIMIT 1", (rev.id,)
    ).fetchone()
    if has_child is None:
        conn.execute(
            "INSERT INTO heads (case_id, revision_id) VALUES (?, ?)", (rev.case_id, rev.id)
        )
    # Children that arrived first were waiting for this one; some may still wait for others.
    children = [
        r[0]
        for r in conn.execute(
            "SELECT revision_id FROM revision_parents WHERE parent_id = ?", (rev.id,)
        ).fetchall()
    ]
    for child in children:
        conn.execute(
            "UPDATE revisions SET waiting = EXISTS ("
            "  SELECT 1 FROM revision_parents q WHERE q.revision_id = ?"
            "  AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.id = q.parent_id))"
            " WHERE id = ?",
            (child, child),
        )
    return True


def insert_first_revisions(conn: Any, rows: list[tuple[str, str, str, str, bytes, bytes]]) -> None:
    """Bulk creation (demo data), inside the caller's transaction: the first revision of
    cases this vault has never seen, each (id, case id, author, created_at, body, signature).
    Each becomes its case's only head; the caller checked that the cases are new."""
    conn.executemany(
        "INSERT INTO revisions (id, case_id, author, created_at, body, signature, waiting,"
        " signer_revoked) VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
        rows,
    )
    conn.executemany(
        "INSERT INTO heads (case_id, revision_id) VALUES (?, ?)", [(r[1], r[0]) for r in rows]
    )


def primary_head(heads: list[Revision]) -> Revision:
    """The head shown first in a conflict: the latest, ties broken by id (deterministic)."""
    return max(heads, key=lambda r: (r.created_at, r.id))


def evaluate_red_flags(protocol: Any, answers: dict[str, Any]) -> list[str]:
    if protocol is None:
        return []
    try:
        return sorted(protocol.evaluate(answers).red_flags)
    except (IntakeError, ValueError, TypeError, KeyError):
        # Answers made under another version may not evaluate; the record stays readable.
        return []


def reindex_case(
    conn: Any,
    shelf: ProtocolShelf,
    case_id: str,
    *,
    known: dict[str, tuple[Revision, list[str]]] | None = None,
) -> None:
    """Recompute the case's index row and full-text row from its heads.

    `known` maps revision ids the caller has just evaluated to (revision, red flags), so a
    save does not load and evaluate the same answers twice.
    """
    known = known or {}
    head_ids = case_heads(conn, case_id)
    if not head_ids:
        return
    heads = [known[h][0] if h in known else load_revision(conn, h) for h in head_ids]
    primary = primary_head(heads)
    flags: set[str] = set()
    body_text: list[str] = []
    protected_text: list[str] = []
    for head in sorted(heads, key=lambda r: r.id):
        protocol = shelf.for_ref(conn, head.protocol)
        if head.id in known:
            flags.update(known[head.id][1])
        else:
            flags.update(evaluate_red_flags(protocol, head.answers))
        body, protected = index.text_of_answers(head.answers, protocol)
        body_text.extend(body)
        protected_text.extend(protected)
    primary_protocol = shelf.for_ref(conn, primary.protocol)
    row = index.build_row(primary.answers, primary_protocol, sorted(flags))
    stats = conn.execute(
        "SELECT min(created_at), max(waiting) FROM revisions WHERE case_id = ?", (case_id,)
    ).fetchone()
    seq = index.write_row(
        conn,
        case_id,
        row,
        created_at=stats[0],
        updated_at=max(h.created_at for h in heads),
        conflict=len(heads) > 1,
        waiting=bool(stats[1]),
        protocol_id=primary.protocol.get("id"),
        protocol_version=primary.protocol.get("version"),
    )
    search.write_case_text(conn, seq, body_text, protected_text)
