"""Follow-up tasks on a case (request an FME, appeal a termination, call the family …).

They are the protocol's repeat group `evidence.followup` ({"_id", "task", "due", "state",
"closed_on", "note"}), so they are signed answers like any other: they travel with the case to
its recipients, merge by `_id`, appear in the dossier, and a retraction erases them with the
case. Changing a task's state commits a revision. The Due overview reads the head of every
case that is not retracted (see docs/ARCHITECTURE.md, "Follow-up tasks").
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from intake_app.cases.store import CaseStore
from intake_app.errors import IntakeError, NotFound, UsageError, ValidationError
from intake_app.protocol.values import parse_partial_date

GROUP = "evidence.followup"
STATES = ("open", "done", "cancelled")
# Order of the overview: what needs doing first comes first.
DUE_STATES = ("overdue", "today", "later", "no_date", "done", "cancelled")
MIN_TASK_PREFIX = 6


@dataclass(frozen=True)
class FollowUp:
    case_id: str
    pseudonym: str | None
    task_id: str
    kind: str | None
    due: str | None
    state: str
    closed_on: str | None
    note: str | None

    def due_state(self, today: dt.date) -> str:
        """overdue | today | later | no_date for open tasks; done | cancelled otherwise."""
        return due_state(self.state, self.due, today)

    def as_json(self, today: dt.date) -> dict[str, Any]:
        return {
            "case_id": self.case_id, "pseudonym": self.pseudonym, "task_id": self.task_id,
            "kind": self.kind, "due": self.due, "state": self.state,
            "closed_on": self.closed_on, "note": self.note, "due_state": self.due_state(today),
        }  # fmt: skip


def last_day(due: str) -> dt.date | None:
    """The last day a (possibly partial) due date allows: 2024-05 is due by 31 May."""
    try:
        parse_partial_date(due)
    except (ValidationError, ValueError, TypeError):
        return None
    parts = [int(p) for p in due.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return dt.date(parts[0], 12, 31)


def due_state(state: str, due: str | None, today: dt.date) -> str:
    if state in ("done", "cancelled"):
        return state
    day = last_day(due) if isinstance(due, str) else None
    if day is None:
        return "no_date"
    if day < today:
        return "overdue"
    return "today" if day == today else "later"


def tasks_of(case_id: str, answers: Any, pseudonym: str | None = None) -> list[FollowUp]:
    """The follow-up tasks of one record, in their order; junk items are skipped."""
    items = answers.get(GROUP) if isinstance(answers, dict) else None
    out: list[FollowUp] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("_id"), str):
            continue
        state = item.get("state")
        out.append(FollowUp(
            case_id=case_id,
            pseudonym=pseudonym,
            task_id=item["_id"],
            kind=_text(item.get("task")),
            due=_text(item.get("due")),
            state=state if state in STATES else "open",
            closed_on=_text(item.get("closed_on")),
            note=_text(item.get("note")),
        ))
    return out


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def overview(store: CaseStore, today: dt.date, *, include_closed: bool = False,
             case_id: str | None = None) -> list[FollowUp]:
    """Every task of every case that is not retracted, most urgent first: overdue (oldest
    first), due today, later (soonest first), without a date; then closed ones if asked."""
    conn = store.vault.conn
    # Only head revisions whose body mentions the group are decoded: cheap on big vaults.
    rows = conn.execute(
        "SELECT h.case_id, ci.pseudonym, r.created_at, r.body FROM heads h "
        "JOIN revisions r ON r.id = h.revision_id "
        "JOIN case_index ci ON ci.case_id = h.case_id "
        "WHERE ci.retracted = 0 AND instr(r.body, ?) > 0 AND (? IS NULL OR h.case_id = ?) "
        "ORDER BY h.case_id, r.created_at DESC",
        (GROUP.encode(), case_id, case_id),
    ).fetchall()
    tasks: list[FollowUp] = []
    seen: set[str] = set()
    for cid, pseudonym, _created, body in rows:
        if cid in seen:  # a case in conflict: the latest head speaks for it
            continue
        seen.add(cid)
        answers = json.loads(bytes(body)).get("answers")
        tasks.extend(tasks_of(cid, answers, pseudonym))
    if not include_closed:
        tasks = [t for t in tasks if t.state == "open"]
    return sorted(tasks, key=lambda t: _urgency(t, today))


def _urgency(task: FollowUp, today: dt.date) -> tuple[int, str, str, str]:
    state = task.due_state(today)
    day = last_day(task.due) if task.due else None
    return (DUE_STATES.index(state), day.isoformat() if day else "", task.case_id, task.task_id)


def add_task(store: CaseStore, case_id: str, kind: str, *, due: str | None = None,
             note: str | None = None) -> str:
    """Add an open task to a case (a new revision); returns the task id. The protocol
    validates the kind, the date and the note; a case in conflict must be resolved first."""
    record = _record(store, case_id)
    item: dict[str, Any] = {"_id": str(uuid.uuid4()), "task": kind, "state": "open"}
    if due:
        item["due"] = due
    if note:
        item["note"] = note
    answers = dict(record.answers)
    items = answers.get(GROUP)
    answers[GROUP] = [*(items if isinstance(items, list) else []), item]
    store.save(case_id, answers, base=record.heads)
    return str(item["_id"])


def set_state(store: CaseStore, case_id: str, task: str, state: str,
              on: dt.date) -> bool:
    """Mark a task done, cancelled or open again (a new revision); False when it already
    was in that state (nothing is written). `task` is its id or a unique prefix of it."""
    if state not in STATES:
        raise UsageError(f"A task is {', '.join(STATES)}; not {state!r}.")
    record = _record(store, case_id)
    items = record.answers.get(GROUP)
    items = items if isinstance(items, list) else []
    index = _find(items, task)
    item = dict(items[index])
    if item.get("state", "open") == state:
        return False
    item["state"] = state
    if state == "open":
        item.pop("closed_on", None)
    else:
        item["closed_on"] = on.isoformat()
    answers = dict(record.answers)
    answers[GROUP] = [*items[:index], item, *items[index + 1:]]
    store.save(case_id, answers, base=record.heads)
    return True


def _record(store: CaseStore, case_id: str) -> Any:
    record = store.get(case_id)
    if record.retracted:
        raise IntakeError("This case was retracted; it has no tasks.")
    if record.conflict:
        raise IntakeError(
            "This case has conflicting versions; resolve the conflict first (case resolve).")
    return record


def _find(items: list[Any], task: str) -> int:
    task = task.strip().lower()
    if len(task) < MIN_TASK_PREFIX:
        raise UsageError(f"Give at least {MIN_TASK_PREFIX} characters of the task id.")
    found = [n for n, item in enumerate(items)
             if isinstance(item, dict) and isinstance(item.get("_id"), str)
             and item["_id"].lower().startswith(task)]
    if not found:
        raise NotFound("This case has no task with that id (see followup list).")
    if len(found) > 1:
        raise UsageError("Several tasks start with that id; give more of it.")
    return found[0]
