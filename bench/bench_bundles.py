"""Export and import of attachments against the standard tools (age + minisign).

    .venv/bin/python bench/bench_bundles.py [--mb 300]

A monitor's vault holds one case with attachments of --mb MB (random bytes, 10 MB files);
it exports them to a coordinator, who imports them. The peer is `age` + `minisign` on the
same bytes (a tar of the same files): encrypt then sign for export, verify then decrypt for
import. Ours is split the same way (read from the vault / crypto / store), each part timed
alone on the same bytes, and whole, in a child process whose peak RSS is measured (a
quarter-size run beside it shows whether memory grows with the bundle).
Throughputs in MB/s of attachment bytes; ratio = ours / peer (goal >= 0.6). Each whole
export and import, and each step of the peer, runs REPEAT times and counts by its median:
one run on this virtual machine varies by a third from the next (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from pathlib import Path

from common import MIB, PASSPHRASE, ROOT, emit, python_env, run_measured

from intake_app.bundles import agefile, minisign
from intake_app.cases import attachments
from intake_app.cases.store import CaseStore
from intake_app.identity.card import card_of
from intake_app.identity.trust import TrustRegistry
from intake_app.vault import Vault

FILE_MB = 10
REPEAT = 3

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from intake_app.vault import Vault
    what, vault_dir, passphrase, bundle = sys.argv[1:5]
    vault = Vault.open(Path(vault_dir), passphrase)
    started = time.perf_counter()  # the work itself, not Python's start or Argon2id
    if what == "open":
        pass
    elif what == "export":
        from intake_app.bundles.export import export_bundle
        export_bundle(vault, ["Coordinator"], Path(bundle), case_ids=sys.argv[5:])
    else:
        from intake_app.bundles.importer import import_bundle
        result = import_bundle(vault, Path(bundle))
        assert result.new_revisions > 0
    print(time.perf_counter() - started)
    vault.close()
    """
)


class Null(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # noqa: ANN001
        return len(b)


def make_parties(root: Path, mb: int) -> tuple[Path, Path, str, list[Path]]:
    a = Vault.create(root / "monitor", PASSPHRASE, name="Monitor", role="monitor")
    c = Vault.create(root / "coordinator", PASSPHRASE, name="Coordinator", role="coordinator")
    TrustRegistry(a).add(card_of(c.identity), "Coordinator")
    TrustRegistry(c).add(card_of(a.identity), "Monitor")
    consent = {f"consent.share.{k}": "named" for k in
               ("coalition", "lawyer", "prosecutor", "ombudsman", "un_sr")}  # fmt: skip
    store = CaseStore(a)
    case_id = store.new_case({"victim.pseudonym": "B-1", "consent.interview": "yes", **consent})
    files = []
    for i in range(max(1, mb // FILE_MB)):
        path = root / "files" / f"photo-{i}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(min(FILE_MB, mb) * MIB))
        store.attach(case_id, path)
        files.append(path)
    a.close()
    c.close()
    return root / "monitor", root / "coordinator", case_id, files


def cpu_measured(cmd: list, *, env: dict[str, str] | None = None) -> float:
    """CPU seconds (user + sys) of a command: robust where other work shares the cores."""
    fd, report = tempfile.mkstemp(prefix="cpu-", suffix=".txt")
    os.close(fd)
    subprocess.run(["/usr/bin/time", "-f", "%U %S", "-o", report, *[str(c) for c in cmd]],
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)  # fmt: skip
    user, system = Path(report).read_text().split()[-2:]
    os.unlink(report)
    return float(user) + float(system)


def peer_tools(root: Path, files: list[Path], coordinator: Path) -> dict[str, float]:
    """age + minisign on a tar of the same files: seconds per step."""
    tar_path = root / "payload.tar"
    with tarfile.open(tar_path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for f in files:
            tar.add(f, arcname=f.name)
    key = root / "age.key"
    subprocess.run(["age-keygen", "-o", key], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", key], check=True, capture_output=True,
                               text=True).stdout.strip()  # fmt: skip
    vault = Vault.open(coordinator, PASSPHRASE)
    second = vault.identity.age_recipient
    vault.close()
    subprocess.run(["minisign", "-G", "-W", "-f", "-p", root / "mk.pub", "-s", root / "mk.key"],
                   check=True, capture_output=True)  # fmt: skip
    out = root / "payload.age"
    steps = {}
    encrypt = ["age", "-r", recipient, "-r", second, "-o", out, tar_path]
    sign = ["minisign", "-S", "-s", root / "mk.key", "-m", out, "-t", "intake-bundle-v1"]
    verify = ["minisign", "-V", "-p", root / "mk.pub", "-m", out]
    decrypt = ["age", "-d", "-i", key, "-o", "/dev/null", out]
    for name, cmd in (("encrypt", encrypt), ("sign", sign), ("verify", verify),
                      ("decrypt", decrypt)):  # fmt: skip
        runs = [run_measured(cmd) for _ in range(REPEAT)]
        steps[name] = statistics.median(wall for wall, _, _ in runs)
        steps[f"{name}_rss"] = max(rss for _, rss, _ in runs)
    steps["cpu_out"] = cpu_measured(["age", "-r", recipient, "-r", second, "-o",
                                     root / "again.age", tar_path]) + cpu_measured(
        ["minisign", "-S", "-s", root / "mk.key", "-m", out, "-t", "intake-bundle-v1"])
    steps["cpu_in"] = cpu_measured(["minisign", "-V", "-p", root / "mk.pub", "-m", out]) + (
        cpu_measured(["age", "-d", "-i", key, "-o", "/dev/null", out]))
    (root / "again.age").unlink()
    tar_path.unlink()
    return steps


def our_parts(monitor: Path, files: list[Path], root: Path) -> dict[str, float]:
    """Each part of our export/import alone, on the same bytes."""
    parts = {}
    vault = Vault.open(monitor, PASSPHRASE)
    shas = [r[0] for r in vault.conn.execute("SELECT sha256 FROM blobs")]
    started = time.perf_counter()
    for sha in shas:
        with attachments.open_blob(vault.conn, sha) as fh:
            while fh.read(attachments.CHUNK_SIZE):
                pass
    parts["read"] = time.perf_counter() - started
    identity = vault.identity
    vault.close()
    plain = b"".join(f.read_bytes() for f in files)
    cipher = io.BytesIO()
    started = time.perf_counter()
    agefile.encrypt(io.BytesIO(plain), cipher, [identity.age_recipient])
    minisign.sign(identity.signing_key, identity.minisign_key_id, cipher.getvalue(),
                  "intake-bundle-v1 id=0 seq=0")  # fmt: skip
    parts["crypto_out"] = time.perf_counter() - started
    from pyrage import x25519

    cipher.seek(0)
    signature = minisign.sign(identity.signing_key, identity.minisign_key_id, cipher.getvalue(),
                              "t")  # fmt: skip
    public = minisign.public_key_of(identity.signing_key, identity.minisign_key_id)
    started = time.perf_counter()  # signing above is the export's share, not the import's
    minisign.verify(signature, public, cipher.getvalue())
    agefile.decrypt(cipher, [x25519.Identity.from_str(identity.age_identity)], Null())
    parts["crypto_in"] = time.perf_counter() - started
    del plain
    scratch = Vault.create(root / "scratch", PASSPHRASE, name="Scratch", role="monitor")
    started = time.perf_counter()
    with scratch.write() as conn:
        for f in files:
            with f.open("rb") as fh:
                attachments.put_blob(conn, fh)
    parts["store"] = time.perf_counter() - started
    scratch.close()
    return parts


def ours_whole(what: str, vault: Path, bundle: Path, case_id: str) -> tuple[float, float]:
    """(seconds of the export/import call, peak RSS of the whole child process in MiB):
    the median and the largest of REPEAT runs. An import runs on a fresh copy of the vault
    each time but the last, which imports into `vault` itself (later steps read it)."""
    seconds, peaks = [], []
    for run in range(REPEAT):
        last = run == REPEAT - 1
        target = vault if what == "export" or last else vault.with_name(f"{vault.name}-{run}")
        if target != vault:
            shutil.copytree(vault, target)
        out = bundle.with_suffix(f".{what}.txt")
        try:
            with out.open("w") as fh:
                _, rss, _ = run_measured([sys.executable, "-c", CHILD, what, target,
                                          PASSPHRASE, bundle, case_id],
                                         env=python_env(), stdout=fh)  # fmt: skip
        finally:
            if target != vault:
                shutil.rmtree(target)
        seconds.append(float(out.read_text().strip()))
        peaks.append(rss)
    return statistics.median(seconds), max(peaks)


def ours_cpu(what: str, vault: Path, bundle: Path, case_id: str) -> float:
    """CPU seconds of a whole export/import child (a copy of the vault: imports change it),
    minus those of the same child that only opens the vault (interpreter, imports, Argon2id)."""
    work = vault.with_name(vault.name + "-cpu")
    shutil.copytree(vault, work)
    target = bundle.with_suffix(".cpu.intake") if what == "export" else bundle
    try:
        whole = cpu_measured([sys.executable, "-c", CHILD, what, work, PASSPHRASE, target,
                              case_id], env=python_env())  # fmt: skip
        idle = cpu_measured([sys.executable, "-c", CHILD, "open", work, PASSPHRASE, target],
                            env=python_env())  # fmt: skip
    finally:
        shutil.rmtree(work)
        if target != bundle:
            target.unlink(missing_ok=True)
    return max(whole - idle, 1e-3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300)
    args = parser.parse_args()
    mb = args.mb
    with tempfile.TemporaryDirectory(prefix="bench-bundles-", dir=ROOT / "bench") as tmp:
        root = Path(tmp)
        small = max(FILE_MB, mb // 4)
        rss = {}
        for size in (small, mb):
            where = root / f"{size}mb"
            where.mkdir()
            monitor, coordinator, case_id, files = make_parties(where, size)
            bundle = where / "out.intake"
            t_exp, rss[("export", size)] = ours_whole("export", monitor, bundle, case_id)
            if size == mb:  # on copies, before the timed import changes the coordinator
                cpu = {"export": ours_cpu("export", monitor, bundle, case_id),
                       "import": ours_cpu("import", coordinator, bundle, case_id)}  # fmt: skip
            t_imp, rss[("import", size)] = ours_whole("import", coordinator, bundle, case_id)
            if size != mb:
                continue
            peer = peer_tools(where, files, coordinator)
            parts = our_parts(monitor, files, where)
    peer_out = peer["encrypt"] + peer["sign"]
    peer_in = peer["verify"] + peer["decrypt"]
    emit(f"export_{mb}mb", mb / t_exp, "MB/s", peer="age + minisign", peer_value=mb / peer_out,
         goal=">= 0.6x peer")  # fmt: skip
    emit(f"import_{mb}mb", mb / t_imp, "MB/s", peer="minisign + age", peer_value=mb / peer_in,
         goal=">= 0.6x peer")  # fmt: skip
    # Per CPU-second: the figure that load from other processes on the machine cannot skew.
    emit(f"export_{mb}mb_per_cpu_second", mb / cpu["export"], "MB/cpu-s",
         peer="age + minisign", peer_value=mb / peer["cpu_out"])  # fmt: skip
    emit(f"import_{mb}mb_per_cpu_second", mb / cpu["import"], "MB/cpu-s",
         peer="minisign + age", peer_value=mb / peer["cpu_in"])  # fmt: skip
    emit("export_part_read", mb / parts["read"], "MB/s", note="attachments out of the vault")
    emit("export_part_crypto", mb / parts["crypto_out"], "MB/s", peer="age encrypt + sign",
         peer_value=mb / peer_out)  # fmt: skip
    emit("import_part_crypto", mb / parts["crypto_in"], "MB/s", peer="verify + age decrypt",
         peer_value=mb / peer_in)  # fmt: skip
    emit("import_part_store", mb / parts["store"], "MB/s", note="attachments into the vault")
    for name in ("encrypt", "sign", "verify", "decrypt"):
        emit(f"peer_{name}", mb / peer[name], "MB/s", note=f"{name} alone")
    for what in ("export", "import"):
        emit(f"{what}_peak_rss_{mb}mb", rss[(what, mb)], "MiB", peer=f"{small} MB bundle",
             peer_value=rss[(what, small)], goal="<= 200 MiB, flat")  # fmt: skip
    emit("age_decrypt_peak_rss", peer["decrypt_rss"], "MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
