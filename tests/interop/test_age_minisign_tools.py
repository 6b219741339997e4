"""Our bundle parts against the real `age`, `minisign` and `unzip` tools, both directions:
a coordinator must be able to check and open a bundle without this application."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from intake_app.bundles import agefile, container, minisign
from intake_app.errors import BundleRefused

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not (shutil.which("age") and shutil.which("minisign")), reason="age/minisign missing"
    ),
]

KEY_ID = os.urandom(8)
COMMENT = "intake-bundle-v1 id=0123456789abcdef0123456789abcdef seq=281474976710000"


def _run(*args: str, **kw) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(args), capture_output=True, timeout=60, **kw)


def test_minisign_tool_verifies_our_signature(tmp_path: Path):
    key = Ed25519PrivateKey.generate()
    data = tmp_path / "payload.age"
    data.write_bytes(os.urandom(300_000))
    with data.open("rb") as fh:
        sig = minisign.sign(key, KEY_ID, fh, COMMENT)
    (tmp_path / "payload.age.minisig").write_text(sig)
    pub = minisign.public_key_of(key, KEY_ID)
    out = _run("minisign", "-Vm", str(data), "-P", pub.key_line)
    assert out.returncode == 0, out.stderr
    assert COMMENT.encode() in out.stdout
    # The same check through a .pub file written by us.
    (tmp_path / "k.pub").write_text(minisign.public_key_file(pub))
    assert _run("minisign", "-Vm", str(data), "-p", str(tmp_path / "k.pub")).returncode == 0


def test_minisign_tool_rejects_our_signature_on_altered_data(tmp_path: Path):
    key = Ed25519PrivateKey.generate()
    data = tmp_path / "payload.age"
    data.write_bytes(b"original")
    (tmp_path / "payload.age.minisig").write_text(minisign.sign(key, KEY_ID, b"original", "c"))
    data.write_bytes(b"originaL")
    pub = minisign.public_key_of(key, KEY_ID)
    assert _run("minisign", "-Vm", str(data), "-P", pub.key_line).returncode != 0


def test_we_verify_what_minisign_tool_signed(tmp_path: Path):
    pub_path, sec_path = tmp_path / "mk.pub", tmp_path / "mk.key"
    gen = _run("minisign", "-G", "-W", "-p", str(pub_path), "-s", str(sec_path))
    assert gen.returncode == 0, gen.stderr
    data = tmp_path / "file.bin"
    data.write_bytes(os.urandom(100_000))
    signed = _run("minisign", "-S", "-s", str(sec_path), "-m", str(data), "-t", COMMENT)
    assert signed.returncode == 0, signed.stderr
    pub = minisign.parse_public_key_file(pub_path.read_text())
    sig = (tmp_path / "file.bin.minisig").read_text()
    with data.open("rb") as fh:
        assert minisign.verify(sig, pub, fh) == COMMENT
    with pytest.raises(BundleRefused):
        minisign.verify(sig, pub, b"something else")


def test_age_tool_decrypts_what_we_encrypted(tmp_path: Path):
    ident = x25519.Identity.generate()
    (tmp_path / "id.txt").write_text(str(ident) + "\n")
    os.chmod(tmp_path / "id.txt", 0o600)
    plain = os.urandom(200_000)
    enc = tmp_path / "payload.age"
    with enc.open("wb") as out:
        agefile.encrypt(io.BytesIO(plain), out, [str(ident.to_public())])
    result = _run("age", "-d", "-i", str(tmp_path / "id.txt"), str(enc))
    assert result.returncode == 0, result.stderr
    assert result.stdout == plain


def test_we_decrypt_what_age_tool_encrypted(tmp_path: Path):
    ident = x25519.Identity.generate()
    plain = os.urandom(150_000)
    result = _run("age", "-r", str(ident.to_public()), input=plain)
    assert result.returncode == 0, result.stderr
    sink = io.BytesIO()
    agefile.decrypt(io.BytesIO(result.stdout), [ident], sink)
    assert sink.getvalue() == plain


def test_we_refuse_what_age_tool_encrypted_with_a_passphrase(tmp_path: Path):
    # age -p reads the passphrase from a terminal only, so build the same file with age's
    # own format through the same library the age tool interoperates with.
    import pyrage

    blob = pyrage.passphrase.encrypt(b"secret", "correct horse")
    with pytest.raises(BundleRefused, match="passphrase-protected"):
        agefile.decrypt(io.BytesIO(blob), [x25519.Identity.generate()], io.BytesIO())


def test_whole_bundle_opens_with_standard_tools(tmp_path: Path):
    """unzip, then minisign -V, then age -d: the coordinator's path without our app."""
    if shutil.which("unzip") is None:
        pytest.skip("unzip missing")
    key = Ed25519PrivateKey.generate()
    ident = x25519.Identity.generate()
    plain = os.urandom(80_000)
    enc = io.BytesIO()
    agefile.encrypt(io.BytesIO(plain), enc, [ident.to_public()])
    sig = minisign.sign(key, KEY_ID, enc.getvalue(), COMMENT)
    bundle = tmp_path / "x7f3.intake"
    with bundle.open("wb") as out:
        container.write_container(
            out, io.BytesIO(enc.getvalue()), len(enc.getvalue()), sig.encode()
        )
    dest = tmp_path / "out"
    assert _run("unzip", "-q", str(bundle), "-d", str(dest)).returncode == 0
    pub = minisign.public_key_of(key, KEY_ID)
    checked = _run("minisign", "-Vm", str(dest / "payload.age"), "-P", pub.key_line)
    assert checked.returncode == 0, checked.stderr
    (tmp_path / "id.txt").write_text(str(ident) + "\n")
    opened = _run("age", "-d", "-i", str(tmp_path / "id.txt"), str(dest / "payload.age"))
    assert opened.returncode == 0 and opened.stdout == plain


def _age_with_tty_passphrase(args: list[str], passphrase: str) -> bytes:
    """Run age in a pseudo-terminal (it reads passphrases from the terminal only)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvp(args[0], args)
    output = b""
    sent = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not sent and b"passphrase" in output.lower():
            os.write(fd, passphrase.encode() + b"\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output
    return output


def test_age_tool_opens_exported_secret_with_its_passphrase(tmp_path: Path, cli_vault, run_cli):
    """`identity export-secret` output is an age identity file that `age -d -i` unlocks."""
    import json

    pw = tmp_path / "pw2.txt"
    pw.write_text("correct horse battery staple\nexport passphrase 42\n")
    key_file = tmp_path / "key.age"
    base = ["--vault", cli_vault, "--passphrase-file", pw]
    exported = run_cli([*base, "identity", "export-secret", "--out", key_file])
    assert exported.returncode == 0, exported.stderr
    shown = json.loads(run_cli([*base, "identity", "show", "--json"]).stdout)
    enc = tmp_path / "payload.age"
    with enc.open("wb") as out:
        agefile.encrypt(io.BytesIO(b"evidence"), out, [shown["age_recipient"]])
    plain = tmp_path / "plain"
    _age_with_tty_passphrase(
        ["age", "-d", "-i", str(key_file), "-o", str(plain), str(enc)], "export passphrase 42"
    )
    assert plain.read_bytes() == b"evidence"
