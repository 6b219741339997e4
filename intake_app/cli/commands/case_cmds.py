"""`case new | list | show | attach | resolve`: cases from the command line.

JSON output follows DESIGN.md "JSON shapes" (keys may be added, never renamed) and is
deterministic: the same vault state prints the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from intake_app.cases.queries import CaseRecord, CaseSummary
from intake_app.cases.store import CaseStore
from intake_app.cli.framework import Context, Subparsers, command_group, print_json
from intake_app.errors import NotFound, UsageError, ValidationError
from intake_app.reports.text_safety import visible

MAX_CASE_FILE = 64 * 1024 * 1024
PAGE = 1000


def register(subparsers: Subparsers) -> None:
    case = command_group(subparsers, "case", "create, list, show and change cases")
    new = case.add_parser("new", help="create a case from a JSON file")
    new.add_argument("--json", dest="json_file", metavar="FILE", required=True,
                     help='{"protocol"?: id, "answers": {question id: value}}; - for stdin')
    new.set_defaults(func=cmd_case_new)
    lst = case.add_parser("list", help="every case, newest change first (pseudonyms only)")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(func=cmd_case_list)
    show = case.add_parser("show", help="one case: answers, red flags, heads, revisions")
    show.add_argument("case_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=cmd_case_show)
    attach = case.add_parser("attach", help="store a file in the vault and add it to a case")
    attach.add_argument("case_id", metavar="ID")
    attach.add_argument("file", metavar="FILE", type=Path)
    attach.set_defaults(func=cmd_case_attach)
    resolve = case.add_parser("resolve", help="end a conflict, keeping one head's answers")
    resolve.add_argument("case_id", metavar="ID")
    resolve.add_argument("--take", metavar="REVISION", required=True)
    resolve.set_defaults(func=cmd_case_resolve)  # fmt: skip


def case_id_arg(text: str) -> str:
    """A case id as typed: a UUID in canonical form, else a clear NotFound."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise NotFound(f"{visible(text[:64], single_line=True)!r} is not a case id.") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValidationError(f"The case file repeats the key {visible(key[:64])!r}.")
        out[key] = value
    return out


def read_case_file(name: str) -> tuple[str | None, dict[str, Any]]:
    """(protocol id or None, answers) from a `case new --json` file."""
    try:
        if name == "-":
            raw = sys.stdin.buffer.read(MAX_CASE_FILE + 1)
        else:
            with open(name, "rb") as fh:
                raw = fh.read(MAX_CASE_FILE + 1)
    except OSError as exc:
        raise NotFound(f"Cannot read {name}: {exc.strerror}.") from exc
    if len(raw) > MAX_CASE_FILE:
        raise ValidationError("The case file is larger than 64 MB; it was refused.")
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValidationError("The case file is not valid UTF-8 JSON.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise ValidationError('The case file must be {"protocol"?: id, "answers": {...}}.')
    unknown = sorted(set(data) - {"protocol", "answers"})
    if unknown:
        raise ValidationError(f"The case file has unknown keys: {', '.join(unknown)}.")
    protocol = data.get("protocol")
    if protocol is not None and not isinstance(protocol, str):
        raise ValidationError('"protocol" must be a protocol id such as "torture-intake".')
    return protocol, data["answers"]


def cmd_case_new(ctx: Context, args: argparse.Namespace) -> int:
    protocol, answers = read_case_file(args.json_file)
    store = CaseStore(ctx.open_vault())
    print(store.new_case(answers, protocol))
    return 0


def all_summaries(store: CaseStore) -> list[CaseSummary]:
    out: list[CaseSummary] = []
    while True:
        page = store.list_page(offset=len(out), limit=PAGE, sort="updated")
        out.extend(page)
        if len(page) < PAGE:
            return out


def print_summaries(summaries: list[CaseSummary], as_json: bool) -> None:
    if as_json:
        print_json([s.as_json() for s in summaries])
        return
    if not summaries:
        print("No cases.")
        return
    print(f"{'ID':36}  {'PSEUDONYM':20}  {'UPDATED (UTC)':24}  FLAGS  CONFLICT")
    for s in summaries:
        name = visible(s.pseudonym or "-", single_line=True)[:20]
        conflict = "yes" if s.conflict else ""
        print(f"{s.id:36}  {name:20}  {s.updated_at:24}  {len(s.red_flags):5}  {conflict}")


def cmd_case_list(ctx: Context, args: argparse.Namespace) -> int:
    print_summaries(all_summaries(CaseStore(ctx.open_vault())), args.json)
    return 0


def show_json(store: CaseStore, record: CaseRecord) -> dict[str, Any]:
    """The `case show --json` object."""
    from intake_app.lifecycle.receipts import delivered_to

    out: dict[str, Any] = {
        "id": record.id,
        "protocol": record.protocol["id"],
        "protocol_version": record.protocol["version"],
        "protocol_sha256": record.protocol["sha256"],
        "answers": record.answers,
        "red_flags": record.red_flags,
        "heads": record.heads,
        "revisions": record.revisions,
        "conflict": record.conflict,
        "waiting": record.waiting,
        "retracted": record.retracted,
        "delivered_to": delivered_to(store.vault.conn, record.id),  # receipts (lifecycle)
        "attachments": [
            {"sha256": a["sha256"], "size": a["size"], "name": a["name"],
             "media_type": a["media_type"], "captured_at": a["captured_at"]}
            for a in record.attachments
        ],
        "history": [
            {"id": h.id, "parents": h.parents, "author": h.author,
             "created_at": h.created_at, "changed": h.changed}
            for h in store.history(record.id)
        ],
    }  # fmt: skip
    if record.conflict:
        out["head_answers"] = record.head_answers
    return out


def _print_record(data: dict[str, Any]) -> None:
    print(f"Case:      {data['id']}")
    print(f"Protocol:  {data['protocol']} v{data['protocol_version']}")
    if data["retracted"]:
        print("Retracted: the person withdrew; no answers are kept.")
    print(f"Red flags: {', '.join(data['red_flags']) or '-'}")
    print(f"Heads:     {', '.join(data['heads'])}" + ("  (CONFLICT)" if data["conflict"] else ""))
    print(f"Revisions: {len(data['revisions'])}")
    for item in data["attachments"]:
        name = visible(item["name"], single_line=True)
        print(f"Attached:  {name}  {item['size']} bytes  sha256 {item['sha256']}")
    print()
    for qid in sorted(data["answers"]):
        value = data["answers"][qid]
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        print(f"{qid}: {visible(text)}")


def cmd_case_show(ctx: Context, args: argparse.Namespace) -> int:
    store = CaseStore(ctx.open_vault())
    data = show_json(store, store.get(case_id_arg(args.case_id)))
    if args.json:
        print_json(data)
    else:
        _print_record(data)
    return 0


def cmd_case_attach(ctx: Context, args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        raise NotFound(f"There is no file {visible(str(path), single_line=True)}.")
    store = CaseStore(ctx.open_vault())
    rev_id, entry = store.attach(case_id_arg(args.case_id), path)
    print(f"Attached {visible(entry['name'], single_line=True)} ({entry['size']} bytes, "
          f"sha256 {entry['sha256']}); revision {rev_id}")  # fmt: skip
    return 0


def cmd_case_resolve(ctx: Context, args: argparse.Namespace) -> int:
    take = args.take.strip().lower()
    if len(take) != 64 or any(c not in "0123456789abcdef" for c in take):
        raise UsageError("--take needs a revision id (64 hexadecimal characters).")
    store = CaseStore(ctx.open_vault())
    print(store.resolve(case_id_arg(args.case_id), take))
    return 0
