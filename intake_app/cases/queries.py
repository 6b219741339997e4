"""Reading cases: one record, its history, and pages of the case list (from case_index)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from intake_app.cases import graph
from intake_app.cases.protocols import ProtocolShelf
from intake_app.cases.revision import Revision
from intake_app.cases.search import build_match, page_clause
from intake_app.errors import NotFound, UsageError


@dataclass(frozen=True)
class CaseRecord:
    """A case as its heads show it. With several heads, `conflict` is True, `answers` are
    the latest head's and `head_answers` holds every head's answers."""

    id: str
    protocol: dict[str, Any]
    answers: dict[str, Any]
    attachments: list[dict[str, Any]]
    heads: list[str]
    revisions: list[str]
    red_flags: list[str]
    conflict: bool
    waiting: bool
    retracted: bool
    head_answers: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    parents: list[str]
    author: str
    created_at: str
    changed: list[str]
    waiting: bool
    signer_revoked: bool


@dataclass(frozen=True)
class CaseFilter:
    """Filters of the case list; None means "any"."""

    red_flag: str | None = None
    status: str | None = None
    city: str | None = None
    minor: bool | None = None
    conflict: bool | None = None
    text: str | None = None
    include_retracted: bool = False


@dataclass(frozen=True)
class CaseSummary:
    id: str
    pseudonym: str | None
    updated_at: str
    red_flags: list[str]
    conflict: bool
    status: str | None
    city: str | None
    minor: bool | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pseudonym": self.pseudonym,
            "updated_at": self.updated_at,
            "red_flags": self.red_flags,
            "conflict": self.conflict,
        }


SORTS = {
    "updated": "c.updated_at DESC, c.case_id DESC",
    "updated_asc": "c.updated_at, c.case_id",
    "created": "c.created_at, c.case_id",
    "pseudonym": "c.pseudonym IS NULL, c.pseudonym, c.case_id",
    "city": "c.city IS NULL, c.city, c.case_id",
    "status": "c.status IS NULL, c.status, c.case_id",
    "id": "c.case_id",
}


def get_record(conn: Any, shelf: ProtocolShelf, case_id: str) -> CaseRecord:
    """The case as its heads show it; NotFound when the vault holds no revision of it."""
    head_ids = graph.case_heads(conn, case_id)
    if not head_ids:
        raise NotFound(f"There is no case {case_id} in this vault.")
    heads = [graph.load_revision(conn, h) for h in head_ids]
    primary = graph.primary_head(heads)
    revisions = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM revisions WHERE case_id = ? ORDER BY created_at, id", (case_id,)
        )
    ]
    row = conn.execute(
        "SELECT red_flags, waiting, retracted FROM case_index WHERE case_id = ?", (case_id,)
    ).fetchone()
    retracted = bool(row and row[2])
    return CaseRecord(
        id=case_id,
        protocol=primary.protocol,
        answers={} if retracted else primary.answers,
        attachments=[] if retracted else primary.attachments,
        heads=head_ids,
        revisions=revisions,
        red_flags=json.loads(row[0]) if row else [],
        conflict=len(heads) > 1,
        waiting=bool(row and row[1]),
        retracted=retracted,
        head_answers={} if retracted else {h.id: h.answers for h in heads},
    )


def _changed(rev: Revision, parents: list[Revision]) -> list[str]:
    answers = rev.answers
    if not parents:
        return sorted(answers)
    changed: set[str] = set()
    for parent in parents:
        before = parent.answers
        changed.update(k for k in answers.keys() | before.keys() if answers.get(k) != before.get(k))
    return sorted(changed)


def history(conn: Any, case_id: str) -> list[HistoryEntry]:
    """Every revision of the case, oldest first, with which answer ids changed."""
    rows = conn.execute(
        "SELECT id, waiting, signer_revoked FROM revisions WHERE case_id = ?"
        " ORDER BY created_at, id",
        (case_id,),
    ).fetchall()
    if not rows:
        raise NotFound(f"There is no case {case_id} in this vault.")
    loaded = {r[0]: graph.load_revision(conn, r[0]) for r in rows}
    entries = []
    for rev_id, waiting, revoked in rows:
        rev = loaded[rev_id]
        parents = [loaded[p] for p in rev.parents if p in loaded]
        entries.append(
            HistoryEntry(
                id=rev_id,
                parents=rev.parents,
                author=rev.author,
                created_at=rev.created_at,
                changed=_changed(rev, parents),
                waiting=bool(waiting),
                signer_revoked=bool(revoked),
            )
        )
    return entries


def _where(filters: CaseFilter, *, ordered: bool = False) -> tuple[str, str, list[Any]]:
    joins = ""
    clauses: list[str] = []
    params: list[Any] = []
    if not filters.include_retracted:
        # For a page, "+" keeps the planner off the retracted index: with it, SQLite read and
        # sorted every row for each page (measured in a 20,000-case vault: ~0.9 s a page).
        clauses.append("+c.retracted = 0" if ordered else "c.retracted = 0")
    if filters.red_flag is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(c.red_flags) WHERE value = ?)")
        params.append(filters.red_flag)
    for column, value in (("status", filters.status), ("city", filters.city)):
        if value is not None:
            clauses.append(f"c.{column} = ?")
            params.append(value)
    if filters.minor is not None:
        clauses.append("c.minor = ?")
        params.append(int(filters.minor))
    if filters.conflict is not None:
        clauses.append("c.conflict = ?")
        params.append(int(filters.conflict))
    if filters.text is not None and filters.text.strip():
        match = build_match(filters.text)
        if match is None:
            clauses.append("0")
        else:
            joins = " JOIN answers_fts f ON f.rowid = c.seq"
            clauses.append("answers_fts MATCH ?")
            params.append(match)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return joins, where, params


def list_page(
    conn: Any, offset: int = 0, limit: int = 50, sort: str = "updated",
    filters: CaseFilter | None = None,
) -> list[CaseSummary]:  # fmt: skip
    """One page of the case list, from the index only (never loads revisions)."""
    if sort not in SORTS:
        raise UsageError(f"Unknown sort order {sort!r}; use one of: {', '.join(SORTS)}.")
    joins, where, params = _where(filters or CaseFilter(), ordered=True)
    limit, offset = max(0, int(limit)), max(0, int(offset))
    page_params: tuple[int, ...] = ()
    if joins:  # a MATCH: literal integers, or every page would re-prepare (search.page_clause)
        page = page_clause(limit, offset)
    else:
        page, page_params = "LIMIT ? OFFSET ?", (limit, offset)
    rows = conn.execute(
        "SELECT c.case_id, c.pseudonym, c.updated_at, c.red_flags, c.conflict, c.status,"  # noqa: S608
        f" c.city, c.minor FROM case_index c{joins}{where}"
        f" ORDER BY {SORTS[sort]} {page}",
        (*params, *page_params),
    ).fetchall()
    return [
        CaseSummary(r[0], r[1], r[2], json.loads(r[3]), bool(r[4]), r[5], r[6],
                    None if r[7] is None else bool(r[7]))
        for r in rows
    ]  # fmt: skip


def count(conn: Any, filters: CaseFilter | None = None) -> int:
    joins, where, params = _where(filters or CaseFilter())
    row = conn.execute(
        f"SELECT count(*) FROM case_index c{joins}{where}",  # noqa: S608 (fixed fragments)
        params,
    ).fetchone()
    return int(row[0])
