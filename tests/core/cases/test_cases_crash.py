"""A process killed (SIGKILL) while saving: the last committed revision survives, the
database and the full-text index pass their integrity checks, the index matches the heads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from cases_support import PASSPHRASE, TEST_PROTOCOLS, reopen

from intake_app.vault import Vault

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from intake_app.cases.protocols import ProtocolShelf
    from intake_app.cases.store import CaseStore
    from intake_app.vault import Vault

    vault = Vault.open(Path(sys.argv[1]), sys.argv[2])
    store = CaseStore(vault, shelf=ProtocolShelf(Path(sys.argv[3]), default="mini-intake"))
    case_id = store.new_case({"victim.pseudonym": "K-0"})
    print("case", case_id, flush=True)
    i = 0
    while True:
        i += 1
        answers = {"victim.pseudonym": f"K-{i}", "incident.narrative": "слово " * (i % 300)}
        rev = store.save(case_id, answers)
        store.save_draft(case_id, answers)
        print("rev", rev, flush=True)
    """
)


def test_sigkill_during_saves_keeps_the_last_committed_revision(tmp_path):
    path = tmp_path / "vault"
    Vault.create(path, PASSPHRASE, name="Monitor", role="monitor").close()
    env = dict(os.environ, INTAKE_TEST_FAST_KDF="1", PYTHONPATH=str(Path.cwd()))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), PASSPHRASE, str(TEST_PROTOCOLS)],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines = []
    deadline = time.monotonic() + 60
    try:
        while len(lines) < 40 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.split())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert lines and lines[0][0] == "case", "writer did not start"
    case_id = lines[0][1]
    last = [rev for kind, rev in lines if kind == "rev"][-1]
    store = reopen(Vault.open(path, PASSPHRASE))
    conn = store.vault.conn
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO answers_fts (answers_fts) VALUES ('integrity-check')")
    record = store.get(case_id)
    assert last in record.revisions
    assert len(record.heads) == 1 and not record.conflict
    head = store.revision(record.heads[0])
    row = conn.execute(
        "SELECT pseudonym, updated_at FROM case_index WHERE case_id = ?", (case_id,)
    ).fetchone()
    assert row == (head.answers["victim.pseudonym"], head.created_at)
    store.vault.close()
