"""Crash harness: SIGKILL a worker at random moments of a save, import, passphrase change or
export, then check what ADVERSARIAL.md "Crashes and power loss" promises.

Starting a fresh Python for every kill point would cost ~0.5 s of imports each, so one
long-lived *fork server* imports the core once and forks a worker per kill point (fork is a
few milliseconds). The server never opens a vault itself: each worker opens its own
connection after the fork, as a fresh process would. Workers report progress by appending
lines to a log file with single `os.write` calls, which reach the kernel at once and so
survive the SIGKILL; the test then knows exactly what was committed before the kill.

    server = ForkServer(env)                 # python -c "... serve()"
    pid = server.run("save", {...})          # worker forked, running
    time.sleep(delay); server.kill(pid)      # SIGKILL at a random moment
    server.reap(pid)                         # the server collects the zombie

The number of kill points: env INTAKE_CRASH_POINTS (default 200) or pytest --crash-points.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_POINTS = 200


def crash_points(config: Any = None) -> int:
    """Kill points per run: --crash-points, else INTAKE_CRASH_POINTS, else 200."""
    if config is not None:
        value = config.getoption("--crash-points", default=None)
        if value:
            return int(value)
    return int(os.environ.get("INTAKE_CRASH_POINTS", DEFAULT_POINTS))


# ---- worker side (runs in the forked child) --------------------------------------------


class Log:
    """Append-only progress lines, each one write(2): durable across SIGKILL."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def line(self, kind: str, *words: object) -> None:
        # CLOCK_MONOTONIC is shared by all processes, so the test can place events in time.
        text = " ".join([kind, f"{time.monotonic():.6f}", *map(str, words)])
        os.write(self.fd, (text + "\n").encode())


def narrative(i: int) -> str:
    # Lengths vary from empty to ~20 KB so some commits span many database pages.
    return "Меня избили в ИВС, қорқытты. " * ((i * 37) % 700)


def work_save(args: dict[str, Any], log: Log) -> None:
    """Save revisions (with autosave drafts and an attachment now and then) forever."""
    from intake_app.cases.store import CaseStore
    from intake_app.vault import Vault

    vault = Vault.open(Path(args["vault"]), args["passphrase"])
    store = CaseStore(vault)
    case_id = args["case_id"]
    log.line("open")
    i = int(args["start"])
    while True:
        i += 1
        answers = {"victim.pseudonym": f"K-{i}", "incident.narrative": narrative(i)}
        store.save_draft(case_id, answers)
        if i % 7 == 0:
            blob = Path(args["scratch"]) / f"att-{i}.bin"
            blob.write_bytes(os.urandom(20_000 + i % 50_000))
            rev = store.attach(case_id, blob)[0]
            log.line("rev", i, rev)
            blob.unlink()
        rev = store.save(case_id, answers)
        log.line("rev", i, rev)


def work_import(args: dict[str, Any], log: Log) -> None:
    from intake_app.bundles.importer import import_bundle
    from intake_app.vault import Vault

    vault = Vault.open(Path(args["vault"]), args["passphrase"])
    log.line("open")
    result = import_bundle(vault, Path(args["bundle"]))
    log.line("done", result.new_revisions)
    vault.close()


def work_passwd(args: dict[str, Any], log: Log) -> None:
    """Change the passphrase back and forth between two values, forever."""
    from intake_app.vault import Vault

    phrases = args["phrases"]
    current = int(args["current"])
    vault = Vault.open(Path(args["vault"]), phrases[current])
    log.line("open", current)
    while True:
        vault.change_passphrase(phrases[current], phrases[1 - current])
        current = 1 - current
        log.line("now", current)


def work_export(args: dict[str, Any], log: Log) -> None:
    from intake_app.bundles.export import export_bundle
    from intake_app.vault import Vault

    vault = Vault.open(Path(args["vault"]), args["passphrase"])
    log.line("open")
    result = export_bundle(vault, [args["to"]], Path(args["out"]), case_ids=args.get("cases"))
    log.line("done", result.seq, result.payload_sha256)
    vault.close()


EXPORT_STEPS = ("commit-1", "replace", "fsync_dir", "commit-2")


def work_export_step(args: dict[str, Any], log: Log) -> None:
    """Export, SIGKILLing itself just after one step of placing the bundle (args["die"]):
    after the n-th vault write transaction commits (`commit-n`), after the rename
    (`replace`) or after the folder's fsync (`fsync_dir`). The steps themselves run for
    real; only the moment of death is chosen."""
    import intake_app.bundles.export as export_module
    from intake_app.vault import Vault

    point = args["die"]

    def die_at(step: str) -> None:
        if step == point:
            log.line("die", step)
            os.kill(os.getpid(), signal.SIGKILL)

    vault = Vault.open(Path(args["vault"]), args["passphrase"])
    log.line("open")
    commits = 0
    write, replace, fsync_dir = Vault.write, os.replace, export_module.fsync_dir

    @contextlib.contextmanager
    def counted_write(self: Vault) -> Any:
        nonlocal commits
        with write(self) as conn:
            yield conn
        commits += 1
        die_at(f"commit-{commits}")

    def replace_then(src: Any, dst: Any) -> None:
        replace(src, dst)
        die_at("replace")

    def fsync_dir_then(path: Path) -> None:
        fsync_dir(path)
        die_at("fsync_dir")

    # Patched in this forked child only, after the vault is open: what counts is the export.
    Vault.write = counted_write  # type: ignore[method-assign]
    os.replace = replace_then
    export_module.fsync_dir = fsync_dir_then
    result = export_module.export_bundle(vault, [args["to"]], Path(args["out"]))
    log.line("done", result.seq, result.payload_sha256)
    vault.close()


WORKERS = {"save": work_save, "import": work_import, "passwd": work_passwd,
           "export": work_export, "export_step": work_export_step}  # fmt: skip


def _worker(scenario: str, args: dict[str, Any]) -> None:
    log = Log(args["log"])
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):
            os.dup2(devnull, fd)
        WORKERS[scenario](args, log)
        log.line("exit")
        code = 0
    except BaseException:  # noqa: BLE001 - reported to the test, which fails on it
        log.line("error", json.dumps(traceback.format_exc()))
        code = 1
    os._exit(code)


def serve() -> None:
    """The fork server: JSON requests on stdin, JSON answers on stdout."""
    # Import what workers use once, before any fork.
    import PIL.Image

    import intake_app.bundles.export  # noqa: F401
    import intake_app.bundles.importer  # noqa: F401
    import intake_app.cases.store  # noqa: F401
    import intake_app.vault  # noqa: F401
    from intake_app.protocol import load_protocol

    load_protocol("torture-intake")  # parsed once; every worker inherits the cache
    PIL.Image.init()  # Pillow imports its format plugins lazily, at the first open

    out = sys.stdout
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    out.flush()
    for raw in sys.stdin:
        request = json.loads(raw)
        if request["op"] == "run":
            pid = os.fork()
            if pid == 0:
                _worker(request["scenario"], request["args"])
            answer: dict[str, Any] = {"pid": pid}
        elif request["op"] == "reap":
            _, status = os.waitpid(int(request["pid"]), 0)
            answer = {"status": status}
        else:
            answer = {"error": "unknown op"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


# ---- test side ---------------------------------------------------------------------------


class ForkServer:
    """Handle on the fork server process (see module docstring)."""

    def __init__(self, env: dict[str, str]) -> None:
        code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                "import crash_harness; crash_harness.serve()")  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=env, cwd=REPO,
        )  # fmt: skip
        ready = self._answer()
        assert "ready" in ready, ready

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fork server died")
        return json.loads(line)  # type: ignore[no-any-return]

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def run(self, scenario: str, args: dict[str, Any]) -> int:
        return int(self._ask({"op": "run", "scenario": scenario, "args": args})["pid"])

    def reap(self, pid: int) -> int:
        return int(self._ask({"op": "reap", "pid": pid})["status"])

    def kill(self, pid: int) -> None:
        # A worker that finished is a zombie until reaped: it still accepts the signal.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def run_until_done(self, scenario: str, args: dict[str, Any], timeout: float = 60) -> float:
        """Run a worker to its end; seconds it took (used to spread the kill points)."""
        started = time.monotonic()
        pid = self.run(scenario, args)
        status = self.reap(pid)
        took = time.monotonic() - started
        lines = read_log(Path(args["log"]))
        assert status == 0 and lines and lines[-1][0] == "exit", lines
        assert took < timeout
        return took

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_log(path: Path) -> list[list[str]]:
    """Progress lines of a worker as [kind, time, words...]; a worker error fails the test."""
    if not path.exists():
        return []
    lines = []
    for text in path.read_text().splitlines():
        if text.startswith("error "):
            raise AssertionError("worker failed:\n" + json.loads(text.split(" ", 2)[2]))
        lines.append(text.split(" "))
    return lines


def kill_at(server: ForkServer, scenario: str, args: dict[str, Any], delay: float) -> float:
    """Start a worker, SIGKILL it `delay` seconds after the fork, reap it; returns the
    monotonic time of the fork (the worker may have finished before the kill)."""
    pid = server.run(scenario, args)
    started = time.monotonic()
    time.sleep(delay)
    server.kill(pid)
    server.reap(pid)
    return started


def harness_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the fork server: fast KDF (inside pytest), the checkout importable."""
    env = dict(os.environ)
    env["INTAKE_TEST_FAST_KDF"] = "1"
    env.setdefault("PYTEST_CURRENT_TEST", "crash harness")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env
