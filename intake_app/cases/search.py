"""Full-text search over the head answers of each case (SQLite FTS5, inside the vault).

Tokenizer: `unicode61 remove_diacritics 0`. unicode61 case-folds Cyrillic, Kazakh letters
included (Қ→қ, Ә→ә, Ұ→ұ, І→і), so "Қайрат" finds "ҚАЙРАТ". Diacritic removal stays off
because Kazakh letters that look like a base letter plus a mark are distinct letters with
their own meaning: folding would make "ұрды" (hit) match "урды", "өлді" match "олді", and in
the Latin Kazakh alphabet (ä ö ü ū ş ğ ñ) it demonstrably does fold them (measured with the
bundled SQLite: "oskemen" finds "Öskemen" under remove_diacritics 1 or 2). Russian loses
ё→е folding, which users can search for either way by typing the letter they mean.

User text never reaches MATCH as syntax: every term is quoted, the last one is a prefix.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from typing import Any

MAX_QUERY_TERMS = 16
MAX_TERM_LENGTH = 64


def build_match(query: str) -> str | None:
    """Safe FTS5 MATCH text for a user's query, or None when nothing is searchable.

    Each whitespace-separated term becomes a quoted phrase (quotes doubled, so no FTS5
    operator or column filter can be expressed); all terms must match; the last term
    matches as a prefix so results appear while typing.
    """
    # Control characters (NUL ends an FTS5 string) and lone surrogates separate terms.
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in query)
    terms = [t[:MAX_TERM_LENGTH] for t in cleaned.split() if _searchable(t)]
    terms = terms[:MAX_QUERY_TERMS]
    if not terms:
        return None
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def _searchable(term: str) -> bool:
    # A term the tokenizer would reduce to nothing (punctuation, emoji) would make the whole
    # conjunction match nothing; leave it out.
    return any(ch.isalnum() for ch in term)


def write_case_text(conn: Any, seq: int, body: Iterable[str], protected: Iterable[str]) -> None:
    """Replace the full-text row of one case (rowid = case_index.seq)."""
    conn.execute("DELETE FROM answers_fts WHERE rowid = ?", (seq,))
    body_text = "\n".join(body)
    protected_text = "\n".join(protected)
    if body_text or protected_text:
        conn.execute(
            "INSERT INTO answers_fts (rowid, body, protected) VALUES (?, ?, ?)",
            (seq, body_text, protected_text),
        )


def insert_case_texts(conn: Any, rows: list[tuple[int, str, str]]) -> None:
    """Full-text rows (seq, body, protected) of cases new to the vault, in one statement;
    as `write_case_text`, a case with no text gets no row."""
    conn.executemany(
        "INSERT INTO answers_fts (rowid, body, protected) VALUES (?, ?, ?)",
        [row for row in rows if row[1] or row[2]],
    )


def optimize(conn: Any) -> None:
    """Merge the full-text index into one segment (after bulk inserts)."""
    conn.execute("INSERT INTO answers_fts (answers_fts) VALUES ('optimize')")


def delete_case_text(conn: Any, seq: int) -> None:
    conn.execute("DELETE FROM answers_fts WHERE rowid = ?", (seq,))


def page_clause(limit: int, offset: int) -> str:
    """`LIMIT n OFFSET m` as literal integers, for statements that also hold a MATCH.

    Bound LIMIT/OFFSET parameters next to a virtual table make SQLite re-prepare the
    statement at every execution (the planner may show their values to the table), and in
    the vault every allocation of that work is locked and wiped (`cipher_memory_security`,
    no lookaside): it was half the cost of a search (measured, docs/BENCHMARKS.md)."""
    return f"LIMIT {int(limit)} OFFSET {int(offset)}"


def search_cases(
    conn: Any, query: str, *, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Cases whose head answers match `query`, best first: id, pseudonym, updated_at, ...

    Retracted cases are never returned. Results carry pseudonyms only, never names.
    """
    match = build_match(query)
    if match is None:
        return []
    rows = conn.execute(
        "SELECT c.case_id, c.pseudonym, c.updated_at, c.red_flags, c.conflict"  # noqa: S608 - ints
        " FROM answers_fts f JOIN case_index c ON c.seq = f.rowid"
        " WHERE answers_fts MATCH ? AND c.retracted = 0"
        f" ORDER BY f.rank, c.case_id {page_clause(limit, offset)}",
        (match,),
    ).fetchall()
    return [_result(row) for row in rows]


def _result(row: Any) -> dict[str, Any]:
    return {
        "id": row[0],
        "pseudonym": row[1],
        "updated_at": row[2],
        "red_flags": json.loads(row[3]),
        "conflict": bool(row[4]),
    }
