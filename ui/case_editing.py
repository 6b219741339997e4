"""One case being edited: its answers in memory, autosaved as a draft, committed as revisions.

Every change is written to the vault's encrypted draft after a short pause in typing, by a
worker (the GUI never waits on the disk while the person types), so a crash or a lock loses
nothing. A revision is committed when the user leaves a section, saves, closes or locks.
"""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from intake_app.errors import IntakeError
from intake_app.progress import CancelToken, Progress
from ui.session import Session
from ui.workers import Task, TaskRunner

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 600


class CaseEditing(QObject):
    draftSaved = Signal()
    draftFailed = Signal(str)
    committed = Signal(str)  # revision id

    def __init__(self, session: Session, runner: TaskRunner, case_id: str | None) -> None:
        super().__init__()
        self._session = session
        self._runner = runner
        self.is_new = case_id is None
        # A new case gets its id now, so every autosave writes the same draft row.
        self.case_id = case_id or str(uuid.uuid4())
        self.answers: dict[str, Any] = {}
        self.attachments: list[dict[str, Any]] = []
        self._generation = 0  # bumped by every change
        self._saved_generation = 0
        self._saving = False
        self._task: Task | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self._save_in_worker)
        if not self.is_new:
            self._load()

    def _load(self) -> None:
        store = self._session.cases
        draft = store.load_draft(self.case_id)
        if draft is not None:
            self.answers = dict(draft.answers)
            self.attachments = list(draft.attachments)
            return
        record = store.get(self.case_id)
        self.answers = dict(record.answers)
        self.attachments = list(record.attachments)

    # -- changes -----------------------------------------------------------------------------
    def set_answer(self, qid: str, value: Any) -> None:
        if value is None:
            if qid not in self.answers:
                return
            del self.answers[qid]
        else:
            if self.answers.get(qid) == value:
                return
            self.answers[qid] = value
        self._changed()

    def add_attachment(self, entry: dict[str, Any]) -> None:
        if all(a["sha256"] != entry["sha256"] for a in self.attachments):
            self.attachments.append(entry)
            self._changed()

    def _changed(self) -> None:
        self._generation += 1
        self._timer.start()

    @property
    def unsaved(self) -> bool:
        return self._generation != self._saved_generation

    def attachment_name(self, sha: str) -> str:
        for entry in self.attachments:
            if entry["sha256"] == sha:
                return str(entry.get("name") or sha[:12])
        return sha[:12]

    def referenced_attachments(self) -> list[dict[str, Any]]:
        """Attachments some attachment answer still names (removed ones are left out)."""
        named: set[str] = set()
        for qid, value in self.answers.items():
            question = self._session.protocol.question(qid)
            if question is not None and question.type == "attachment" and isinstance(value, list):
                named.update(v for v in value if isinstance(v, str))
        return [a for a in self.attachments if a["sha256"] in named]

    # -- autosave ----------------------------------------------------------------------------
    def _snapshot(self) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
        # Strings are immutable, so a deep copy of even 1 MB of answers is cheap.
        return self._generation, copy.deepcopy(self.answers), self.referenced_attachments()

    def _save_in_worker(self) -> None:
        if self._saving:
            self._timer.start()  # one write at a time; try again after this one
            return
        generation, answers, attachments = self._snapshot()
        store, case_id = self._session.cases, self.case_id
        self._saving = True

        def work(_progress: Progress, _cancel: CancelToken) -> int:
            store.save_draft(case_id, answers, attachments=attachments)
            return generation

        self._task = self._runner.start(work, on_success=self._saved,
                                        on_failure=self._save_failed)

    def _saved(self, generation: int) -> None:
        self._saving = False
        self._saved_generation = max(self._saved_generation, generation)
        self.draftSaved.emit()

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        message = exc.message if isinstance(exc, IntakeError) else type(exc).__name__
        log.warning("autosave failed: %s", type(exc).__name__)
        self.draftFailed.emit(message)

    def flush(self) -> None:
        """Write the draft now, in this thread (before a commit, a lock or closing)."""
        self._timer.stop()
        if self._saving and self._task is not None:
            self._runner.wait(self._task)  # never two writers of the same draft
        if not self.unsaved:
            return
        generation, answers, attachments = self._snapshot()
        self._session.cases.save_draft(self.case_id, answers, attachments=attachments)
        self._saved_generation = generation

    # -- revisions ---------------------------------------------------------------------------
    def commit(self) -> str | None:
        """Turn the draft into a revision; None when there was nothing to commit.

        Raises the core's ValidationError when answers do not fit the protocol: the draft
        then stays, so nothing typed is lost.
        """
        self.flush()
        store = self._session.cases
        if store.load_draft(self.case_id) is None:
            return None
        rev_id = store.commit_draft(self.case_id)
        self.is_new = False
        self.committed.emit(rev_id)
        return rev_id

    def stop(self) -> None:
        self._timer.stop()
