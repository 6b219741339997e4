"""Drafts commit without an fsync of the WAL; revisions and everything else keep FULL.

The reasoning is in intake_app/cases/drafts.py; these tests pin which commits run under
which setting, and that the setting always comes back, even when a draft is refused.
"""

from __future__ import annotations

import pytest

from intake_app.cases.store import CaseStore
from intake_app.errors import IntakeError

FULL, NORMAL = 2, 1
ANSWERS = {"victim.pseudonym": "Д-1"}


def _sync(store: CaseStore) -> int:
    return int(store.vault.conn.execute("PRAGMA synchronous").fetchone()[0])


def _trace(store: CaseStore) -> list[str]:
    statements: list[str] = []
    store.vault.conn.set_trace_callback(statements.append)
    return statements


def _setting_at_commits(statements: list[str]) -> list[int]:
    """The synchronous setting in force at each COMMIT, replayed from the trace."""
    setting, seen = FULL, []
    for sql in statements:
        text = sql.strip().upper()
        if text.startswith("PRAGMA SYNCHRONOUS ="):
            value = text.split("=")[1].strip()
            setting = {"NORMAL": NORMAL, "FULL": FULL}.get(
                value, int(value) if value.isdigit() else -1
            )
        elif text == "COMMIT":
            seen.append(setting)
    return seen


def test_a_draft_commits_without_fsync_and_the_setting_comes_back(store):
    assert _sync(store) == FULL
    statements = _trace(store)
    case_id = store.save_draft(None, ANSWERS)
    store.save_draft(case_id, dict(ANSWERS, **{"victim.sex": "female"}))
    assert _setting_at_commits(statements) == [NORMAL, NORMAL]
    assert _sync(store) == FULL


def test_revisions_and_other_writes_commit_with_full(store):
    case_id = store.save_draft(None, ANSWERS)
    statements = _trace(store)
    rev = store.commit_draft(case_id)
    store.save(case_id, dict(ANSWERS, **{"victim.sex": "male"}), base=rev)
    store.discard_draft(case_id)
    assert _setting_at_commits(statements) == [FULL, FULL, FULL]
    assert _sync(store) == FULL


def test_a_refused_draft_restores_full(store):
    case_id = store.new_case(dict(ANSWERS))
    store.vault.conn.execute("UPDATE case_index SET retracted = 1 WHERE case_id = ?", (case_id,))
    with pytest.raises(IntakeError, match="retracted"):
        store.save_draft(case_id, ANSWERS)
    assert _sync(store) == FULL
    assert store.load_draft(case_id) is None


def test_an_unstorable_draft_restores_full_and_writes_nothing(store):
    with pytest.raises(IntakeError):
        store.save_draft(None, {"victim.pseudonym": "\ud800"})
    assert _sync(store) == FULL
    assert store.draft_case_ids() == []
