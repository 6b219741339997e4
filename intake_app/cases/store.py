"""CaseStore: creating, saving, attaching, resolving and drafting cases in an open vault.

Every write is one transaction under the vault's writer lock: the new revision, its heads,
the case index and the full-text row change together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from intake_app.cases import attachments as blobs
from intake_app.cases import drafts, graph, queries
from intake_app.cases.protocols import ProtocolShelf, protocol_ref
from intake_app.cases.revision import Revision, build_body, make_revision, utc_now_ms
from intake_app.errors import IntakeError, NotFound, StorageError, ValidationError
from intake_app.progress import CancelToken, Progress
from intake_app.reports.text_safety import visible

Clock = Callable[[], str]


class CaseConflict(IntakeError):
    """The case has several heads; a person must resolve them before editing."""


def _problem_text(problem: Any) -> str:
    qid = getattr(problem, "question_id", None)
    message = str(getattr(problem, "message", None) or problem)
    return f"{qid}: {message}" if qid and qid not in message else message


def _validation_error(problems: list[str]) -> ValidationError:
    # Ids and values come from files and bundles: show their control characters as tokens
    # so a message stays one line and cannot steer a terminal.
    shown = visible("; ".join(p.rstrip(". ") for p in problems[:10]), single_line=True)
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    return ValidationError(f"The answers do not fit the protocol: {shown}{more}.", problems)


class CaseStore:
    """Cases over an open Vault (`vault.conn`, `vault.write()`, `vault.audit`, identity)."""

    def __init__(
        self, vault: Any, *, shelf: ProtocolShelf | None = None, clock: Clock = utc_now_ms
    ) -> None:
        self.vault = vault
        self.shelf = shelf or ProtocolShelf()
        self._clock = clock

    # -- writing revisions -------------------------------------------------------------

    def new_case(
        self,
        answers: dict[str, Any],
        protocol_id: str | None = None,
        *,
        attachments: list[dict[str, Any]] | None = None,
        case_id: str | None = None,
    ) -> str:
        """Create a case from validated answers; returns its new UUID."""
        case_id = case_id or str(uuid.uuid4())
        protocol = self._protocol(protocol_id)
        with self.vault.write() as conn:
            if graph.case_exists(conn, case_id):
                raise IntakeError("A case with this id already exists.")
            self._commit(conn, case_id, answers, attachments or [], [], protocol)
            self.vault.audit(conn, "case.create", case_id)
        return case_id

    def save(
        self,
        case_id: str,
        answers: dict[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
        base: str | list[str] | None = None,
    ) -> str:
        """Commit the answers as a new revision; returns its id (the parent's if unchanged).

        Parents are the current head, or `base` (the revision(s) the editor started from).
        `attachments=None` keeps the parent's attachments.
        """
        with self.vault.write() as conn:
            parents = self._parents(conn, case_id, base)
            rev_id = self._save_on(conn, case_id, answers, attachments, parents)
        return rev_id

    def _save_on(
        self,
        conn: Any,
        case_id: str,
        answers: dict[str, Any],
        attachments: list[dict[str, Any]] | None,
        parents: list[str],
    ) -> str:
        _refuse_retracted(conn, case_id)
        parent_revs = [graph.load_revision(conn, p) for p in parents]
        latest = graph.primary_head(parent_revs)
        kept = latest.attachments if attachments is None else attachments
        protocol = self.shelf.current(latest.protocol["id"])
        if (
            len(parent_revs) == 1
            and latest.answers == answers
            and _same_attachments(latest.attachments, kept)
            and latest.protocol == protocol_ref(protocol)
        ):
            return latest.id
        rev = self._commit(conn, case_id, answers, kept, parents, protocol)
        self.vault.audit(conn, "case.save", case_id)
        return rev.id

    def resolve(
        self,
        case_id: str,
        take: str | dict[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
        expected_heads: Sequence[str] | None = None,
    ) -> str:
        """End a conflict: a revision whose parents are all heads, with the answers of the
        head `take` (a revision id) or the given answers.

        With given answers, `attachments` (default: the latest head's) lists the attachment
        entries the resolution keeps (answers mixed from several heads need theirs).
        `expected_heads`: the heads the person compared; if the case has others by now
        (an import meanwhile), CaseConflict and nothing is written."""
        with self.vault.write() as conn:
            heads = graph.case_heads(conn, case_id)
            if not heads:
                raise NotFound(f"There is no case {case_id} in this vault.")
            _refuse_retracted(conn, case_id)
            if expected_heads is not None and sorted(expected_heads) != sorted(heads):
                raise CaseConflict(
                    "The case changed while you compared its versions (a new version arrived); "
                    "nothing was saved. Open the conflict again."
                )
            if isinstance(take, str):
                chosen = self._case_revision(conn, case_id, take)
                answers, kept = chosen.answers, chosen.attachments
            else:
                answers, kept = (
                    take,
                    attachments if attachments is not None else graph.primary_head(
                        [graph.load_revision(conn, h) for h in heads]).attachments,
                )  # fmt: skip
            if len(heads) == 1 and isinstance(take, str) and take == heads[0]:
                return heads[0]
            protocol = self.shelf.current(graph.load_revision(conn, heads[0]).protocol["id"])
            rev = self._commit(conn, case_id, answers, kept, heads, protocol)
            self.vault.audit(conn, "case.resolve", case_id)
        return rev.id

    def attach(
        self,
        case_id: str,
        path: Path,
        *,
        name: str | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Stream a file into the vault and record it in a new revision of the case.

        Returns (revision id, attachment entry). The file and the revision are stored in one
        transaction: a failure keeps neither.
        """
        path = Path(path)
        try:
            source = path.open("rb")
        except OSError as exc:
            raise NotFound(f"Cannot read the file {path.name}.") from exc
        with source, self.vault.write() as conn:
            parents = self._parents(conn, case_id, None)
            total = path.stat().st_size
            info = blobs.put_blob(conn, source, progress=progress, cancel=cancel, total=total)
            entry = blobs.attachment_entry(info, name or path.name)
            head = graph.load_revision(conn, parents[0])
            kept = [a for a in head.attachments if a["sha256"] != info.sha256] + [entry]
            rev_id = self._save_on(conn, case_id, head.answers, kept, parents)
            self.vault.audit(conn, "case.attach", case_id)
        return rev_id, entry

    def bulk_create(self, items: list[tuple[str, dict[str, Any], str]], protocol: Any) -> int:
        """Create many cases (case id, answers, created_at) in one transaction; cases the
        vault already holds are skipped. Returns how many were created. For demo data."""
        created = 0
        with self.vault.write() as conn:
            for case_id, answers, created_at in items:
                if graph.case_exists(conn, case_id):
                    continue
                self._commit(conn, case_id, answers, [], [], protocol, created_at=created_at)
                self.vault.audit(conn, "case.create", case_id)
                created += 1
        return created

    def insert_verified_revision(
        self, conn: Any, revision: Revision, *, signer_revoked: bool = False
    ) -> bool:
        """For the importer, inside its transaction: add a revision already checked by
        `verify_revision`. Idempotent (False when already held); marks it waiting when its
        parents have not arrived; maintains heads and re-indexes the case."""
        added = graph.insert_revision(conn, revision, signer_revoked=signer_revoked)
        if added:
            graph.reindex_case(conn, self.shelf, revision.case_id)
        return added

    # -- reading -----------------------------------------------------------------------

    def get(self, case_id: str) -> queries.CaseRecord:
        return queries.get_record(self.vault.conn, self.shelf, case_id)

    def history(self, case_id: str) -> list[queries.HistoryEntry]:
        return queries.history(self.vault.conn, case_id)

    def list_page(
        self,
        offset: int = 0,
        limit: int = 50,
        sort: str = "updated",
        filters: queries.CaseFilter | None = None,
    ) -> list[queries.CaseSummary]:
        return queries.list_page(self.vault.conn, offset, limit, sort, filters)

    def count(self, filters: queries.CaseFilter | None = None) -> int:
        return queries.count(self.vault.conn, filters)

    def revision(self, rev_id: str) -> Revision:
        return graph.load_revision(self.vault.conn, rev_id)

    def protocol_of(self, record: queries.CaseRecord) -> Any | None:
        """The protocol version the record was made under (None if this vault lacks it)."""
        return self.shelf.for_ref(self.vault.conn, record.protocol)

    # -- drafts ------------------------------------------------------------------------

    def save_draft(
        self,
        case_id: str | None,
        answers: dict[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
        protocol_id: str | None = None,
    ) -> str:
        """Autosave: overwrite the case's draft (a new case gets its id now); returns it."""
        new = case_id is None
        case_id = case_id or str(uuid.uuid4())
        # The setting goes on the writer connection, under the lock, so it covers only this
        # draft's transaction and not another thread's.
        with (
            self.vault.holding_writer_lock() as writer,
            drafts.without_fsync(writer),
            self.vault.write() as conn,
        ):
            if not new:
                _refuse_retracted(conn, case_id)
            existing = None if new else drafts.read_draft(conn, case_id)
            if existing is not None:
                base = existing.base
                protocol_id = protocol_id or existing.protocol_id
            else:
                base = [] if new else graph.case_heads(conn, case_id)
            drafts.write_draft(conn, case_id, answers, attachments=attachments or [],
                               base=base, protocol_id=protocol_id)  # fmt: skip
        return case_id

    def load_draft(self, case_id: str) -> drafts.Draft | None:
        return drafts.read_draft(self.vault.conn, case_id)

    def draft_case_ids(self) -> list[str]:
        return drafts.draft_case_ids(self.vault.conn)

    def discard_draft(self, case_id: str) -> None:
        with self.vault.write() as conn:
            drafts.delete_draft(conn, case_id)

    def commit_draft(self, case_id: str) -> str:
        """Make the draft a revision (the case's first one for a new case) and delete it."""
        with self.vault.write() as conn:
            draft = drafts.read_draft(conn, case_id)
            if draft is None:
                raise NotFound("There is no unsaved draft for this case.")
            if draft.base:
                rev_id = self._save_on(conn, case_id, draft.answers, draft.attachments,
                                       draft.base)  # fmt: skip
            else:
                protocol = self._protocol(draft.protocol_id)
                rev_id = self._commit(
                    conn, case_id, draft.answers, draft.attachments, [], protocol
                ).id
                self.vault.audit(conn, "case.create", case_id)
            drafts.delete_draft(conn, case_id)
        return rev_id

    # -- internals ---------------------------------------------------------------------

    def _protocol(self, protocol_id: str | None) -> Any:
        try:
            return self.shelf.current(protocol_id)
        except (NotFound, OSError, LookupError) as exc:
            raise ValidationError(f"Unknown protocol {str(protocol_id)[:64]!r}.") from exc

    def _parents(self, conn: Any, case_id: str, base: str | list[str] | None) -> list[str]:
        if base is not None:
            wanted = [base] if isinstance(base, str) else list(base)
            for rev_id in wanted:
                self._case_revision(conn, case_id, rev_id)
            return sorted(set(wanted))
        heads = graph.case_heads(conn, case_id)
        if not heads:
            raise NotFound(f"There is no case {case_id} in this vault.")
        if len(heads) > 1:
            raise CaseConflict(
                f"Case {case_id} has {len(heads)} conflicting versions; resolve the conflict "
                "first (case resolve)."
            )
        return heads

    def _case_revision(self, conn: Any, case_id: str, rev_id: str) -> Revision:
        try:
            rev = graph.load_revision(conn, rev_id)
        except NotFound:
            raise NotFound(f"Revision {rev_id} is not a revision of this case.") from None
        if rev.case_id != case_id:
            raise NotFound(f"Revision {rev_id} is not a revision of this case.")
        return rev

    def _commit(
        self,
        conn: Any,
        case_id: str,
        answers: dict[str, Any],
        attachments: list[dict[str, Any]],
        parents: list[str],
        protocol: Any,
        *,
        created_at: str | None = None,
    ) -> Revision:
        red_flags = check_answers(protocol, answers, attachments)
        for item in attachments:
            if blobs.blob_info(conn, item["sha256"]) is None:
                raise NotFound("An attachment named by the record is not in the vault.")
        identity = self.vault.identity
        body = build_body(
            case_id=case_id, parents=parents, author=identity.fingerprint,
            created_at=created_at or self._clock(), protocol=protocol_ref(protocol),
            answers=answers, attachments=attachments,
        )  # fmt: skip
        rev = make_revision(body, identity)
        self.shelf.remember(conn, protocol)
        try:
            graph.insert_revision(conn, rev)
            graph.reindex_case(conn, self.shelf, case_id, known={rev.id: (rev, red_flags)})
        except Exception as exc:
            if "full" in str(exc).lower():
                raise StorageError("The disk is full; the case was not saved.") from exc
            raise
        return rev


def _refuse_retracted(conn: Any, case_id: str) -> None:
    """A retracted case takes no new content (intake_app.lifecycle.tombstone)."""
    row = conn.execute("SELECT retracted FROM case_index WHERE case_id = ?", (case_id,)).fetchone()
    if row is not None and row[0]:
        raise IntakeError("This case was retracted by the person; it can no longer be changed.")


def _same_attachments(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    def key(x: dict[str, Any]) -> tuple[str, str]:
        return (x["sha256"], x.get("name") or "")

    return sorted(a, key=key) == sorted(b, key=key)


def check_answers(
    protocol: Any, answers: dict[str, Any], attachments: list[dict[str, Any]]
) -> list[str]:
    """Validate the answers; returns the red flags they raise."""
    if not isinstance(answers, dict):
        raise ValidationError("The answers must be a JSON object of question ids.")
    evaluation = protocol.evaluate(answers)
    problems = [_problem_text(p) for p in evaluation.problems]
    held = {a["sha256"] for a in attachments}
    for qid, value in answers.items():
        question = _question(protocol, qid)
        if getattr(question, "type", None) == "attachment" and isinstance(value, list):
            problems += [
                f"{qid}: names an attachment that is not part of the record"
                for sha in value
                if isinstance(sha, str) and sha not in held  # other types: already a problem
            ]
    if problems:
        raise _validation_error(problems)
    return sorted(evaluation.red_flags)


def _question(protocol: Any, qid: str) -> Any:
    try:
        return protocol.question(qid)
    except (KeyError, LookupError):
        return None
