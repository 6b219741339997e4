"""An export SIGKILLed just after each step of placing its bundle: the sequence number
reserved, the rename, the folder's fsync, `sent` recorded. Whatever the step, no revision is
marked sent unless the bundle carrying it is in place and verifies, the bundle's number is
reserved, and the next export carries whatever was not marked, under a new number: the
coordinator imports both without seeing equivocation. (The random kill points of
test_crash_harness.py rarely land in these windows, which last microseconds.)
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bundle_support import PASSPHRASE, Party, attach, import_, make_party, new_case, trust
from crash_harness import EXPORT_STEPS, ForkServer, harness_env, read_log
from export_checks import check_after_export

from intake_app.bundles.export import TEMP_PREFIX

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

# step -> (a bundle in place afterwards, its revisions marked sent)
EXPECTED = {
    "commit-1": (False, False),  # number reserved (a gap the coordinator lists), no more
    "replace": (True, False),  # in place, not yet counted as sent: the next export resends
    "fsync_dir": (True, False),
    "commit-2": (True, True),
}


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    with ForkServer(harness_env()) as fork_server:
        yield fork_server


def _world(tmp_path: Path) -> tuple[Party, Party, set[str]]:
    a, c = make_party(tmp_path, "A"), make_party(tmp_path, "C", "coordinator")
    trust(c, a)
    trust(a, c)
    case_id = new_case(a, {"victim.pseudonym": "Ә-1", "incident.narrative": "ИВС " * 200})
    blob = tmp_path / "photo.bin"
    blob.write_bytes(os.urandom(50_000))
    attach(a, case_id, blob)
    vault = a.open()
    try:
        revisions = {r[0] for r in vault.conn.execute("SELECT id FROM revisions")}
    finally:
        vault.close()
    return a, c, revisions


def _audited_exports(party: Party) -> int:
    vault = party.open()
    try:
        row = vault.conn.execute("SELECT count(*) FROM audit WHERE action = 'bundle.export'")
        return int(row.fetchone()[0])
    finally:
        vault.close()


def test_every_step_is_covered() -> None:
    assert set(EXPECTED) == set(EXPORT_STEPS)


@pytest.mark.parametrize("step", EXPORT_STEPS)
def test_export_killed_after_each_step_never_marks_sent_without_the_bundle(
    tmp_path: Path, server: ForkServer, step: str
) -> None:
    a, c, revisions = _world(tmp_path)
    usb = tmp_path / "usb"
    usb.mkdir()
    out = usb / "killed.intake"
    log = tmp_path / "killed.log"
    args = {"vault": str(a.path), "passphrase": PASSPHRASE, "to": "C"}
    pid = server.run("export_step", {**args, "out": str(out), "log": str(log), "die": step})
    status = server.reap(pid)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert ["die", step] == [w for w in read_log(log) if w[0] == "die"][0][::2]

    after = check_after_export(a, c, out)
    in_place, marked = EXPECTED[step]
    assert (after.bundle_id is not None) == in_place
    assert after.sent == (len(revisions) if marked else 0)
    assert _audited_exports(a) == 1  # the number was reserved (and audited) at the first step

    if marked:
        return  # the export was complete: nothing is left to send
    # The next export carries every revision the killed one did not mark, under a new number,
    # and sweeps the temporary file the killed one left (if it died before the rename).
    again = usb / "again.intake"
    server.run_until_done("export", {**args, "out": str(again), "log": str(tmp_path / "again.log")})
    assert not [p for p in usb.iterdir() if p.name.startswith(TEMP_PREFIX)]
    second = check_after_export(a, c, again)
    assert second.sent == len(revisions)
    assert second.seq is not None and second.seq >= after.next_seq  # never a reused number
    # The coordinator takes both: the same revisions twice are no equivocation.
    if in_place:
        assert import_(c, out).new_revisions == len(revisions)
        assert import_(c, again).new_revisions == 0
    else:
        assert import_(c, again).new_revisions == len(revisions)
