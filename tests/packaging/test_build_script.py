"""packaging/build's own safety against a second build, without building anything.

A second build of one checkout used to delete the first one's working folder (build/src) under
PyInstaller. Here a stand-in checkout holds only the script, a venv link and one commit; the
test holds the script's lock, checks the script waits for it and keeps its working files in a
private temporary folder, and that the folder is gone when the script exits.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("minisign") is None or shutil.which("git") is None,
    reason="packaging/build needs minisign and git",
)


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "checkout"
    (repo / "packaging").mkdir(parents=True)
    shutil.copy2(ROOT / "packaging" / "build", repo / "packaging" / "build")
    (repo / ".venv").symlink_to(Path(sys.prefix))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "empty"], check=True)
    return repo


def test_second_build_waits_for_the_lock_and_works_outside_the_checkout(
        checkout: Path, tmp_path: Path) -> None:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    (checkout / "dist").mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    with open(checkout / "dist" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a first build holds it
        build = subprocess.Popen([str(checkout / "packaging" / "build")], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert build.stdout is not None
        lines = []
        for line in build.stdout:  # blocks until the script has said it waits
            lines.append(line)
            if "waiting" in line:
                break
        assert any("another build of this checkout is running" in x for x in lines), lines
        assert build.poll() is None  # still waiting while the lock is held
        assert list(private_tmp.iterdir()) == []  # nothing made before it holds the lock
    # Released: the script goes on, makes its private folder, then fails to export this empty
    # commit (no intake_app): the quickest way through without a real build.
    out, err = build.communicate(timeout=120)
    assert build.returncode != 0, out + err
    assert "exporting commit" in out
    assert not (checkout / "build").exists()  # nothing worked on inside the checkout
    assert list(private_tmp.iterdir()) == []  # and the private folder was removed at exit
