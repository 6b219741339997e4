"""`followup add | list | done`: follow-up tasks on cases and what is due.

A note is case content, so it is read from a file (or - for stdin), never from the command
line, where other users of the machine could see it in the process list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from intake_app.cases.store import CaseStore
from intake_app.cli.commands.case_cmds import case_id_arg
from intake_app.cli.framework import Context, Subparsers, command_group, print_json
from intake_app.errors import UsageError
from intake_app.field.followups import add_task, overview, set_state
from intake_app.reports.text_safety import visible

MAX_NOTE = 64 * 1024


def register(subparsers: Subparsers) -> None:
    group = command_group(subparsers, "followup", "follow-up tasks on cases and what is due")
    add = group.add_parser("add", help="add an open task to a case; prints the task id")
    add.add_argument("case_id", metavar="CASE")
    add.add_argument("--kind", required=True,
                     help="request_fme, request_fppe, find_lawyer, file_complaint, "
                          "appeal_termination, request_safety, medical_referral, "
                          "contact_family, un_submission, other")
    add.add_argument("--due", metavar="DATE", help="YYYY-MM-DD (or YYYY-MM, YYYY)")
    add.add_argument("--note-file", metavar="FILE", help="the note, from a file (- for stdin)")
    add.set_defaults(func=cmd_add)
    lst = group.add_parser("list", help="open tasks, most urgent first")
    lst.add_argument("--all", action="store_true", help="also done and cancelled tasks")
    lst.add_argument("--case", metavar="CASE", help="only this case")
    lst.add_argument("--today", metavar="DATE", help="judge due dates as of this day")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(func=cmd_list)
    done = group.add_parser("done", help="mark a task done (or --cancel it, or --reopen it)")
    done.add_argument("case_id", metavar="CASE")
    done.add_argument("task", metavar="TASK", help="task id, or its first 6+ characters")
    how = done.add_mutually_exclusive_group()
    how.add_argument("--cancel", action="store_true", help="no longer needed")
    how.add_argument("--reopen", action="store_true", help="open it again")
    done.add_argument("--on", metavar="DATE", help="when (default today)")
    done.set_defaults(func=cmd_done)


def _day(text: str | None, option: str) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} must be a date like 2024-05-15.") from None


def _note(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_NOTE + 1)
        else:
            with open(path, "rb") as fh:
                raw = fh.read(MAX_NOTE + 1)
    except OSError as exc:
        raise UsageError(f"Cannot read the note file: {exc.strerror}.") from exc
    if len(raw) > MAX_NOTE:
        raise UsageError("The note is too long (64 KiB at most).")
    try:
        return raw.decode("utf-8").removesuffix("\n")
    except UnicodeDecodeError:
        raise UsageError("The note file is not UTF-8 text.") from None


def cmd_add(ctx: Context, args: argparse.Namespace) -> int:
    note = _note(args.note_file)
    store = CaseStore(ctx.open_vault())
    task = add_task(store, case_id_arg(args.case_id), args.kind, due=args.due, note=note)
    sys.stdout.write(task + "\n")
    return 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    today = _day(args.today, "--today")
    case = case_id_arg(args.case) if args.case else None
    tasks = overview(CaseStore(ctx.open_vault()), today, include_closed=args.all, case_id=case)
    if args.json:
        print_json([t.as_json(today) for t in tasks])
        return 0
    if not tasks:
        sys.stdout.write("Nothing is due.\n")
    for t in tasks:
        cells = [t.due_state(today), t.due or "-", t.kind or "-", t.pseudonym or "-",
                 t.case_id, t.task_id[:8], t.note or ""]
        sys.stdout.write("  ".join(visible(c, single_line=True) for c in cells).rstrip() + "\n")
    return 0


def cmd_done(ctx: Context, args: argparse.Namespace) -> int:
    state = "cancelled" if args.cancel else "open" if args.reopen else "done"
    on = _day(args.on, "--on")
    changed = set_state(CaseStore(ctx.open_vault()), case_id_arg(args.case_id), args.task,
                        state, on)
    sys.stdout.write(f"Task {state}.\n" if changed else f"The task was already {state}; "
                     "nothing changed.\n")
    return 0


