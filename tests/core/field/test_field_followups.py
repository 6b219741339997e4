"""Follow-up tasks (the protocol's evidence.followup group) and the Due overview, on a real
vault: due logic (overdue, due today, due later, no date, done, cancelled), partial dates,
revisions for each change, refusals that change nothing, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from intake_app.cases.store import CaseStore
from intake_app.errors import IntakeError, NotFound, UsageError, ValidationError
from intake_app.field import followups
from intake_app.field.followups import FollowUp, add_task, due_state, last_day, overview, set_state

TODAY = dt.date(2024, 5, 15)
BASE = {"consent.interview": "yes", "victim.pseudonym": "Айгерім-7", "victim.sex": "female",
        "incident.date": "2022-01-06"}


@pytest.fixture
def store(vault) -> CaseStore:  # noqa: ANN001
    return CaseStore(vault)


def _case(store: CaseStore, pseudonym: str = "Айгерім-7", **extra: object) -> str:
    return store.new_case({**BASE, "victim.pseudonym": pseudonym, **extra})


def test_due_logic_overdue_today_later_no_date_done_cancelled() -> None:
    assert due_state("open", "2024-05-14", TODAY) == "overdue"
    assert due_state("open", "2024-05-15", TODAY) == "today"
    assert due_state("open", "2024-05-16", TODAY) == "later"
    assert due_state("open", None, TODAY) == "no_date"
    assert due_state("done", "2024-01-01", TODAY) == "done"
    assert due_state("cancelled", "2024-01-01", TODAY) == "cancelled"


def test_partial_due_dates_run_to_the_end_of_their_period() -> None:
    assert last_day("2024-02") == dt.date(2024, 2, 29)
    assert last_day("2023") == dt.date(2023, 12, 31)
    assert due_state("open", "2024-05", TODAY) == "later"  # due by 31 May
    assert due_state("open", "2024-04", TODAY) == "overdue"
    assert last_day("2023-02-30") is None and last_day("soon") is None


def test_overview_orders_what_is_due_and_leaves_closed_tasks_out(store) -> None:  # noqa: ANN001
    a, b = _case(store, "A-1"), _case(store, "B-2")
    late = add_task(store, a, "request_fme", due="2024-05-01")
    later = add_task(store, a, "contact_family", due="2024-06-01")
    today = add_task(store, b, "appeal_termination", due="2024-05-15")
    undated = add_task(store, b, "find_lawyer")
    done = add_task(store, b, "file_complaint", due="2024-05-02")
    assert set_state(store, b, done, "done", TODAY) is True
    tasks = overview(store, TODAY)
    assert [(t.task_id, t.due_state(TODAY)) for t in tasks] == [
        (late, "overdue"), (today, "today"), (later, "later"), (undated, "no_date")]
    assert {t.pseudonym for t in tasks} == {"A-1", "B-2"}
    closed = overview(store, TODAY, include_closed=True)
    assert closed[-1].task_id == done and closed[-1].closed_on == TODAY.isoformat()


def test_each_change_is_a_signed_revision_of_the_case(store) -> None:  # noqa: ANN001
    case = _case(store)
    before = len(store.history(case))
    task = add_task(store, case, "request_fme", due="2024-05-20", note="звонить после 18:00")
    assert set_state(store, case, task[:8], "cancelled", TODAY) is True
    assert set_state(store, case, task, "cancelled", TODAY) is False  # nothing to change
    assert len(store.history(case)) == before + 2
    item = store.get(case).answers["evidence.followup"][0]
    assert item == {"_id": task, "task": "request_fme", "due": "2024-05-20",
                    "note": "звонить после 18:00", "state": "cancelled",
                    "closed_on": "2024-05-15"}
    assert set_state(store, case, task, "open", TODAY) is True
    assert "closed_on" not in store.get(case).answers["evidence.followup"][0]


def test_bad_kind_or_date_is_refused_and_changes_nothing(store) -> None:  # noqa: ANN001
    case = _case(store)
    heads = store.get(case).heads
    with pytest.raises(ValidationError):
        add_task(store, case, "bribe_the_judge")
    with pytest.raises(ValidationError):
        add_task(store, case, "request_fme", due="2023-02-30")
    with pytest.raises(UsageError):
        set_state(store, case, "abc", "done", TODAY)  # too short a prefix
    with pytest.raises(NotFound):
        set_state(store, case, "ffffffff", "done", TODAY)
    with pytest.raises(UsageError):
        set_state(store, case, "ffffffff", "finished", TODAY)
    assert store.get(case).heads == heads


def test_task_on_an_unknown_case_is_not_found(store) -> None:  # noqa: ANN001
    with pytest.raises(NotFound):
        add_task(store, "00000000-0000-4000-8000-000000000000", "request_fme")


def test_case_in_conflict_must_be_resolved_first(store) -> None:  # noqa: ANN001
    case = _case(store)
    root = store.get(case).heads[0]
    store.save(case, {**BASE, "victim.sex": "male"}, base=root)
    store.save(case, {**BASE, "victim.sex": "other"}, base=root)
    assert store.get(case).conflict
    with pytest.raises(IntakeError, match="conflict"):
        add_task(store, case, "request_fme")


def test_junk_items_never_break_the_overview() -> None:
    answers = {"evidence.followup": [None, "x", {"_id": 5}, {"_id": "t1", "state": "weird",
                                                             "due": 20240101}]}
    tasks = followups.tasks_of("c", answers)
    assert tasks == [FollowUp("c", None, "t1", None, None, "open", None, None)]
    assert tasks[0].due_state(TODAY) == "no_date"
    assert followups.tasks_of("c", {"evidence.followup": {"status": "unknown"}}) == []


def test_cli_followup_add_list_done(cli_vault: Path, passphrase_file: Path, run_cli,  # noqa: ANN001
                                   tmp_path: Path) -> None:
    base = ["--vault", cli_vault, "--passphrase-file", passphrase_file]
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps({"answers": BASE}), encoding="utf-8")
    created = run_cli([*base, "case", "new", "--json", case_file])
    assert created.returncode == 0, created.stderr
    case = created.stdout.strip()
    note = tmp_path / "note.txt"
    note.write_text("Ask the lawyer ‮first\n", encoding="utf-8")
    added = run_cli([*base, "followup", "add", case, "--kind", "request_fme", "--due",
                     "2024-05-01", "--note-file", note])
    assert added.returncode == 0, added.stderr
    task = added.stdout.strip()
    listed = run_cli([*base, "followup", "list", "--json", "--today", "2024-05-15"])
    rows = json.loads(listed.stdout)
    assert [(r["task_id"], r["due_state"], r["note"]) for r in rows] == [
        (task, "overdue", "Ask the lawyer ‮first")]
    text = run_cli([*base, "followup", "list", "--today", "2024-05-15"]).stdout
    assert "overdue" in text and "⟨U+202E⟩" in text and "\u202e" not in text
    done = run_cli([*base, "followup", "done", case, task[:8], "--on", "2024-05-15"])
    assert done.returncode == 0, done.stderr
    again = run_cli([*base, "followup", "done", case, task[:8]])
    assert again.returncode == 0 and "already" in again.stdout
    assert json.loads(run_cli([*base, "followup", "list", "--json"]).stdout) == []
    bad = run_cli([*base, "followup", "add", case, "--kind", "request_fme", "--due", "tomorrow"])
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
