"""`intake-app`: the GUI without a subcommand, else one command from intake_app/cli/commands.

Exit codes: 0 done, 1 failed (one line on stderr, no traceback unless --debug), 2 usage,
3 wrong passphrase or locked vault, 4 bundle refused, 5 vault busy.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import io
import os
import pkgutil
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING

from intake_app import __version__
from intake_app.errors import EXIT_FAILED, IntakeError
from intake_app.paths import resolve_vault_dir

if TYPE_CHECKING:
    from intake_app.cli.framework import Subparsers

PR_SET_DUMPABLE = 4


def harden_process() -> None:
    """Private files by default; no core dumps or ptrace by other users (Linux)."""
    os.umask(0o077)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # hardening is best effort; a missing prctl must not stop the program


def _discover_commands(subparsers: Subparsers) -> None:
    from intake_app.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-app",
        description="Field Intake: confidential torture-documentation intake. "
        "Without a command, the window opens.",
    )
    parser.add_argument("--version", action="version", version=f"intake-app {__version__}")
    parser.add_argument(
        "--vault",
        metavar="DIR",
        help="the vault folder (default: INTAKE_VAULT or the user data folder)",
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="read the passphrase from line 1 of FILE ('-' for stdin); "
        "for passwd line 2 holds the new one",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _discover_commands(subparsers)
    return parser


def _error(message: str) -> None:
    line = " ".join(message.split())  # one line, whatever the message holds
    sys.stderr.write(f"intake-app: {line}\n")
    sys.stderr.flush()


def _start_gui(args: argparse.Namespace) -> int:
    if args.passphrase_file:
        raise IntakeError(
            "The window asks for the passphrase itself; --passphrase-file is for commands."
        )
    if args.vault:
        os.environ["INTAKE_VAULT"] = args.vault
    try:
        app = importlib.import_module("ui.app")
    except ImportError as exc:
        if args.debug:
            traceback.print_exc()
        raise IntakeError(
            "The graphical interface is not available in this installation "
            f"({exc.name or 'ui'} is missing); the commands still work: intake-app --help."
        ) from exc
    return int(app.main() or 0)


def _run(args: argparse.Namespace) -> int:
    from intake_app.cli.framework import Context

    if args.command is None:
        return _start_gui(args)
    ctx = Context(resolve_vault_dir(args.vault), args.passphrase_file, args.debug)
    try:
        return int(args.func(ctx, args) or 0)
    finally:
        ctx.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    harden_process()
    for stream in (sys.stdout, sys.stderr):
        # Names and case text are Cyrillic: never let a C locale turn output into an error.
        encoding = (getattr(stream, "encoding", "") or "").lower().replace("-", "")
        if isinstance(stream, io.TextIOWrapper) and encoding != "utf8":
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except IntakeError as exc:
        if debug:
            traceback.print_exc()
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("Interrupted.")
        return 130
    except BrokenPipeError:
        return EXIT_FAILED
    except Exception as exc:
        if debug:
            traceback.print_exc()
        from intake_app.vault.db import explain_database_error

        explained = explain_database_error(exc)  # e.g. a damaged page met mid-command
        if explained is not None:
            _error(str(explained))
            return explained.exit_code
        _error(f"internal error ({type(exc).__name__}); run with --debug for details.")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
