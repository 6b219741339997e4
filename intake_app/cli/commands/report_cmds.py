"""`stats` and `dossier`: aggregates of the vault and one case's PDF for a lawyer.

`stats --json` follows DESIGN.md "JSON shapes" (keys may be added, never renamed) and is
deterministic. `--csv FILE` writes the aggregates for a spreadsheet with cells below 5 shown
as "<5" unless `--no-suppress`. `dossier` writes only to --out, atomically, and warns on
stderr that the PDF is a plaintext copy outside the vault.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from intake_app.cases.store import CaseStore
from intake_app.cli.commands.case_cmds import case_id_arg
from intake_app.cli.framework import Context, Subparsers, print_json
from intake_app.errors import UsageError
from intake_app.places import Gazetteer
from intake_app.reports.stats import MEASURES, THEMES, StatsFilter, compute_stats, matcher
from intake_app.reports.stats_csv import write_stats_csv
from intake_app.reports.text_safety import visible

# The dossier's languages (reports.dossier.LANGS): repeated here so that listing the commands
# does not load the PDF library at every start (tests/integration checks both agree).
LANGS = ("ru", "kk", "en")
PLAINTEXT_WARNING = (
    "Warning: {path} is a plaintext copy outside the encrypted vault; keep it safe and "
    "delete it when it is no longer needed.\n"
)


def register(subparsers: Subparsers) -> None:
    stats = subparsers.add_parser(
        "stats", help="aggregate counts of the cases (no names, no free text)"
    )
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.add_argument("--csv", metavar="FILE", type=Path, help="write the tables as CSV")
    stats.add_argument(
        "--no-suppress",
        action="store_true",
        help="CSV: exact counts (default: cells below 5 shown as <5)",
    )
    stats.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="incident on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)",
    )
    stats.add_argument("--to", dest="date_to", metavar="DATE", help="incident up to DATE")
    stats.add_argument(
        "--city", metavar="ID", help="a gazetteer id or place name (a region takes its cities)"
    )
    stats.add_argument("--theme", choices=THEMES, help="only cases of this theme")
    stats.set_defaults(func=cmd_stats)  # fmt: skip
    dossier = subparsers.add_parser("dossier", help="one case as a PDF for a lawyer")
    dossier.add_argument("case_id", metavar="ID")
    dossier.add_argument("--out", metavar="FILE.pdf", type=Path, required=True)
    dossier.add_argument("--lang", choices=LANGS, default="ru", help="language (default ru)")
    dossier.set_defaults(func=cmd_dossier)


def _output_path(path: Path, what: str) -> Path:
    if path.is_dir():
        raise UsageError(f"{what}: {path} is a folder; give a file name.")
    if not path.parent.is_dir():
        raise UsageError(f"{what}: the folder {path.parent} does not exist.")
    return path


def cmd_stats(ctx: Context, args: argparse.Namespace) -> int:
    filters = StatsFilter(args.date_from, args.date_to, args.city, args.theme)
    csv_path = _output_path(args.csv, "--csv") if args.csv is not None else None
    matcher(filters, Gazetteer.load())  # a bad date or place is refused before any unlock
    vault = ctx.open_vault()
    store = CaseStore(vault)
    rules = [r.id for r in store.shelf.current().red_flag_rules]
    stats = compute_stats(vault.conn, filters, rules=rules)
    if csv_path is not None:
        rows = write_stats_csv(csv_path, stats, suppress=not args.no_suppress)
        note = "exact counts" if args.no_suppress else "cells below 5 shown as <5"
        sys.stderr.write(f"Wrote {rows} rows to {csv_path} ({note}).\n")
    if args.json:
        print_json(stats)
    elif csv_path is None:
        _print_summary(stats)
    return 0


def _print_summary(stats: dict[str, Any]) -> None:
    g = Gazetteer.load()
    lines = [f"Cases: {stats['cases']}"]
    lines.append("By sex: " + ", ".join(f"{k} {v}" for k, v in stats["by_sex"].items()))
    lines += [f"{_measure_label(m)}: {stats[m]}" for m in MEASURES]
    lines.append("By city (cases, terminated):")
    by_city = sorted(stats["by_city"].items(), key=lambda kv: (-kv[1]["cases"], kv[0]))
    for key, entry in by_city:
        name = visible(g.name(key, "en"), single_line=True)
        lines.append(f"  {name}: {entry['cases']}, {entry['terminated']}")
    if stats["city_unknown"]:
        lines.append(f"  (unknown): {stats['city_unknown']}")
    lines.append("Red flags:")
    lines += [f"  {k}: {v}" for k, v in stats["red_flags"].items()]
    lines.append("Themes: " + ", ".join(f"{k} {v}" for k, v in stats["themes"].items()))
    sys.stdout.write("\n".join(lines) + "\n")


_ACRONYMS = {"fme": "FME", "fppe": "FPPE", "kui": "KUI", "erdr": "ERDR", "isd": "ISD"}


def _measure_label(key: str) -> str:
    """"fme_not_conducted" -> "FME not conducted" (the abbreviations people use)."""
    words = [_ACRONYMS.get(w, w) for w in key.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def cmd_dossier(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.reports.dossier import write_dossier

    case_id = case_id_arg(args.case_id)
    out = _output_path(args.out, "--out")
    store = CaseStore(ctx.open_vault())
    pages = write_dossier(store, case_id, out, args.lang)
    sys.stderr.write(PLAINTEXT_WARNING.format(path=out))
    print(f"Wrote the dossier ({pages} pages) to {out}.")
    return 0
