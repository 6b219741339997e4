"""Benchmarks of bundles: export and import throughput against the real `age` + `minisign`
tools on the same bytes, and memory flat in bundle size.

    .venv/bin/python bench/bench_bundles.py [--sizes 50,300] [--files-mb 10]

For each size S (MB of attachments, in files of --files-mb): a monitor's vault holds one case
with those attachments; the export and the import each run in a child process whose peak RSS
(VmHWM) and peak Python allocation (tracemalloc) are recorded. The peer runs on the same
bytes: `age -e` + `minisign -S` (export) and `minisign -V` + `age -d` (import). Our own
crypto alone (agefile.decrypt into nothing, minisign.verify) is timed too, so the ratios show
where time goes: import = verify + decrypt + parse/store.

Prints JSON lines {"name", "value", "unit", "peer", "peer_value", "ratio"}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("INTAKE_TEST_FAST_KDF", "1")

from pyrage import x25519  # noqa: E402

from intake_app.bundles import agefile, container, minisign  # noqa: E402
from intake_app.bundles.export import export_bundle  # noqa: E402
from intake_app.bundles.importer import import_bundle  # noqa: E402
from intake_app.cases.store import CaseStore  # noqa: E402
from intake_app.identity.card import card_of  # noqa: E402
from intake_app.identity.trust import TrustRegistry  # noqa: E402
from intake_app.vault import Vault  # noqa: E402

PASSPHRASE = "benchmark passphrase, not secret"
MB = 1_000_000


def line(name: str, value: float, unit: str, peer: str = "", peer_value: float = 0.0) -> None:
    ratio = round(value / peer_value, 3) if peer_value else None
    out = {"name": name, "value": round(value, 3), "unit": unit, "peer": peer,
           "peer_value": round(peer_value, 3), "ratio": ratio}  # fmt: skip
    print(json.dumps(out), flush=True)


def timed(cmd: list[str], **kw: Any) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - start


# ---- child processes (one measurement each) ------------------------------------------------


def child(args: argparse.Namespace) -> None:
    if args.trace:
        tracemalloc.start()  # slows everything down: a separate run from the timed one
    with Vault.open(Path(args.vault), PASSPHRASE) as vault:
        start = time.perf_counter()
        if args.child == "export":
            # --case: the full history every time, so the traced run exports the same bytes
            export_bundle(vault, ["Coordinator"], Path(args.bundle), case_ids=[args.case])
        else:
            assert import_bundle(vault, Path(args.bundle)).new_revisions > 0
        elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if args.trace else 0
    print(json.dumps({"seconds": elapsed, "py_peak": peak, "hwm_kib": _vm_hwm_kib()}))


def _vm_hwm_kib() -> int:
    """Peak RSS of this process image (VmHWM). Not ru_maxrss: Linux carries that across
    exec, so it would report the forking parent's size."""
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(
    kind: str, vault: Path, bundle: Path, case_id: str, trace: bool = False
) -> tuple[float, float, float]:
    """(seconds, peak RSS MB, peak Python allocation MB) of one export or import."""
    cmd = [sys.executable, __file__, "--child", kind, "--vault", str(vault),
           "--bundle", str(bundle), "--case", case_id] + (["--trace"] if trace else [])  # fmt: skip
    done = subprocess.run(cmd, stdout=subprocess.PIPE, check=False)
    if done.returncode:
        raise SystemExit(f"{kind} child failed")
    data = json.loads(done.stdout)
    return data["seconds"], data["hwm_kib"] / 1024, data["py_peak"] / 2**20


# ---- setup ---------------------------------------------------------------------------------


def make_vaults(root: Path, size_mb: int, file_mb: int) -> tuple[Path, Path, str, str]:
    monitor = Vault.create(root / "monitor", PASSPHRASE, name="Monitor", role="monitor")
    coord = Vault.create(root / "coord", PASSPHRASE, name="Coordinator", role="coordinator")
    with monitor, coord:
        TrustRegistry(monitor).add(card_of(coord.identity))
        TrustRegistry(coord).add(card_of(monitor.identity))
        store = CaseStore(monitor)
        consent = {f"consent.share.{c}": "named" for c in ("coalition", "lawyer")}
        case_id = store.new_case(
            {"victim.pseudonym": "bench", "consent.interview": "yes", **consent}
        )
        left = size_mb * MB
        n = 0
        while left > 0:
            part = min(left, file_mb * MB)
            path = root / f"file{n}.bin"
            with path.open("wb") as fh:
                for _ in range(part // MB):
                    fh.write(os.urandom(MB))
                fh.write(os.urandom(part % MB))
            store.attach(case_id, path)
            path.unlink()
            left -= part
            n += 1
        identity = coord.identity.age_identity
    return root / "monitor", root / "coord", identity, case_id


def peer_figures(root: Path, bundle: Path, age_identity: str) -> dict[str, float]:
    """The real tools on the same bytes: payload.age out of our bundle, and its plaintext."""
    payload = root / "payload.age"
    with open(bundle, "rb") as fh:
        box = container.read_container(fh)
        with payload.open("wb") as out:
            container.copy_range(fh, box.payload_offset, box.payload_size, out)
    key = root / "age.key"
    key.write_text(age_identity + "\n")
    key.chmod(0o600)
    plain = root / "payload.tar"
    t_decrypt = timed(["age", "-d", "-i", str(key), "-o", str(plain), str(payload)])
    recipient = x25519.Identity.from_str(age_identity).to_public()
    t_encrypt = timed(["age", "-r", str(recipient), "-o", str(root / "again.age"), str(plain)])
    sk, pk = root / "ms.key", root / "ms.pub"
    timed(["minisign", "-G", "-W", "-s", str(sk), "-p", str(pk)])
    t_sign = timed(["minisign", "-S", "-s", str(sk), "-m", str(payload)])
    t_verify = timed(["minisign", "-V", "-p", str(pk), "-m", str(payload)])
    # Our crypto alone on the same payload.
    with payload.open("rb") as src:
        start = time.perf_counter()
        agefile.decrypt(src, [x25519.Identity.from_str(age_identity)], _Null())
        ours_decrypt = time.perf_counter() - start
    signer = root / "payload.age.minisig"
    public = minisign.parse_public_key_file(pk.read_text())
    with payload.open("rb") as src:
        start = time.perf_counter()
        minisign.verify(signer.read_text(), public, src)
        ours_verify = time.perf_counter() - start
    with plain.open("rb") as src:
        start = time.perf_counter()
        agefile.encrypt(src, _Null(), [str(recipient)])  # type: ignore[arg-type]
        ours_encrypt = time.perf_counter() - start
    for path in (plain, root / "again.age", payload):
        path.unlink()
    return {"age_d": t_decrypt, "age_e": t_encrypt, "ms_sign": t_sign, "ms_verify": t_verify,
            "ours_decrypt": ours_decrypt, "ours_verify": ours_verify,
            "ours_encrypt": ours_encrypt}  # fmt: skip


class _Null(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


def bench_size(size_mb: int, file_mb: int) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="bench-bundles-"))
    try:
        monitor, coord, age_identity, case_id = make_vaults(root, size_mb, file_mb)
        shutil.copytree(coord, root / "coord2")
        bundle = root / "out.intake"
        t_exp, rss_exp, _ = run_child("export", monitor, bundle, case_id)
        t_imp, rss_imp, _ = run_child("import", coord, bundle, case_id)
        _, _, py_exp = run_child("export", monitor, root / "traced.intake", case_id, True)
        _, _, py_imp = run_child("import", root / "coord2", bundle, case_id, True)
        peer = peer_figures(root, bundle, age_identity)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    mbs = size_mb  # MB of attachment bytes
    tag = f"{size_mb}MB"
    line(f"export_throughput_{tag}", mbs / t_exp, "MB/s", "age -e + minisign -S",
         mbs / (peer["age_e"] + peer["ms_sign"]))  # fmt: skip
    line(f"import_throughput_{tag}", mbs / t_imp, "MB/s", "minisign -V + age -d",
         mbs / (peer["ms_verify"] + peer["age_d"]))  # fmt: skip
    line(f"encrypt_throughput_{tag}", mbs / peer["ours_encrypt"], "MB/s", "age -e",
         mbs / peer["age_e"])  # fmt: skip
    line(f"decrypt_throughput_{tag}", mbs / peer["ours_decrypt"], "MB/s", "age -d",
         mbs / peer["age_d"])  # fmt: skip
    line(f"verify_throughput_{tag}", mbs / peer["ours_verify"], "MB/s", "minisign -V",
         mbs / peer["ms_verify"])  # fmt: skip
    store = t_imp - peer["ours_verify"] - peer["ours_decrypt"]
    line(f"import_parse_store_seconds_{tag}", store, "s", "import total", t_imp)
    return {"rss_exp": rss_exp, "rss_imp": rss_imp, "py_exp": py_exp, "py_imp": py_imp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,300", help="MB of attachments, comma-separated")
    parser.add_argument("--files-mb", type=int, default=10)
    parser.add_argument("--child", choices=["export", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--vault", help=argparse.SUPPRESS)
    parser.add_argument("--bundle", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if not (shutil.which("age") and shutil.which("minisign")):
        raise SystemExit("the age and minisign tools are needed for the peer figures")
    sizes = [int(s) for s in args.sizes.split(",")]
    memory = {s: bench_size(s, args.files_mb) for s in sizes}
    small, large = min(sizes), max(sizes)
    if small != large:
        for key, what in (("rss_exp", "export_peak_rss"), ("rss_imp", "import_peak_rss"),
                          ("py_exp", "export_peak_python_alloc"),
                          ("py_imp", "import_peak_python_alloc")):  # fmt: skip
            line(f"{what}_{large}MB", memory[large][key], "MB", f"{what}_{small}MB",
                 memory[small][key])  # fmt: skip


if __name__ == "__main__":
    main()
